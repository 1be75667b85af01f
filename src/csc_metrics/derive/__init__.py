"""Derived structures built from the statutory returns (pure polars functions over the tables read)."""
