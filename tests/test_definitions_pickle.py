"""The definitions cache holds plain Python values: a cached load (every `compute`) never imports ruamel."""

from __future__ import annotations

import pickle

from csc_metrics.spec.loader import _plain, load_definitions, standard_definitions_path


def test_shipped_definitions_pickle_without_ruamel_types():
    loaded = load_definitions([standard_definitions_path()])
    assert not loaded.has_errors
    loaded.definitions.located = {}  # as the cache stores it (positions only for `check`)
    assert b"ruamel" not in pickle.dumps(loaded)  # e.g. ruamel's ScalarInt in embedded test rows


def test_plain_turns_ruamel_scalars_into_builtins():
    from ruamel.yaml.scalarbool import ScalarBoolean
    from ruamel.yaml.scalarfloat import ScalarFloat
    from ruamel.yaml.scalarint import ScalarInt
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    out = _plain({"rows": [{"n": ScalarInt(3), "x": ScalarFloat(1.5), "s": DoubleQuotedScalarString("a"),
                            "b": ScalarBoolean(1)}]})
    row = out["rows"][0]
    assert row == {"n": 3, "x": 1.5, "s": "a", "b": True}
    assert [type(v) for v in row.values()] == [int, float, str, bool]
