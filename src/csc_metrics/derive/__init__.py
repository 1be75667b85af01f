"""Derived structures built from the DfE returns: pure polars functions over typed frames, no I/O."""
