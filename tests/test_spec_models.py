"""The definitions language: strict models, discriminated unions, structured predicates."""

import pytest
from pydantic import ValidationError

from csc_metrics.spec.files import DefinitionsFile
from csc_metrics.spec.indicators import ProportionIndicator, RateIndicator

BASE = {
    "id": "x", "title": "t", "section": "inputs", "description": "d", "table": "annex_a_list_3",
    "timing": {"basis": "flow", "date": "referral_date"},
}


def parse(ind: dict) -> object:
    return DefinitionsFile.model_validate({"version": 1, "indicators": [ind]}).indicators[0]


def errors(ind: dict) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as exc:
        parse(ind)
    return [(e["loc"], e["type"]) for e in exc.value.errors()]


def test_proportion_with_every_kind_of_condition():
    ind = parse({**BASE, "type": "proportion", "numerator": [
        {"column": "referral_nfa", "op": "is_yes"},
        {"age": {"at": "as_at"}, "op": "between", "value": [19, 21]},
        {"timescale": {"from": "a", "to": "period_end", "unit": "months", "at_least": 24}},
        {"related": {"table": "annex_a_list_4", "date": "assessment_start",
                     "window": {"direction": "after", "length": 30, "unit": "calendar_days"}}},
        {"any": [{"column": "x", "op": "eq", "value": "Y"}, {"not": {"column": "y", "op": "is_null"}}]},
    ]})
    assert isinstance(ind, ProportionIndicator)
    assert len(ind.numerator) == 5
    assert ind.counts_children is False  # flows count rows by default


def test_unknown_key_is_an_error():
    assert ((("indicators", 0, "proportion", "denominater"), "extra_forbidden")
            in errors({**BASE, "type": "proportion", "numerator": [{"column": "a", "op": "is_yes"}],
                       "denominater": 1}))


def test_unknown_type_names_the_choices():
    (loc, kind), = errors({**BASE, "type": "ratio"})
    assert kind == "indicator_type"


@pytest.mark.parametrize(("cond", "fragment"), [
    ({"column": "a", "op": "in", "value": 3}, "needs a list"),
    ({"column": "a", "op": "eq"}, "needs a `value`"),
    ({"column": "a", "op": "is_yes", "value": "Y"}, "takes no `value`"),
    ({"column": "a", "op": "between", "value": [1]}, "two values"),
    ({"timescale": {"from": "a", "to": "b", "unit": "working_days"}}, "exactly one of"),
    ({"colum": "a"}, "one of the keys"),
])
def test_predicates_are_validated(cond, fragment):
    with pytest.raises(ValidationError) as exc:
        parse({**BASE, "type": "proportion", "numerator": [cond]})
    assert fragment in str(exc.value)


def test_rate_defaults():
    rate = parse({"id": "r", "type": "rate", "title": "t", "section": "inputs", "description": "d", "of": "x"})
    assert isinstance(rate, RateIndicator)
    assert (rate.per, rate.population, rate.annualise) == (10000, "children_0_17", True)


def test_stock_counts_children_by_default():
    ind = parse({**BASE, "type": "count", "timing": {"basis": "stock", "start": "a", "end": "b"}})
    assert ind.counts_children is True


def test_version_must_be_1():
    with pytest.raises(ValidationError):
        DefinitionsFile.model_validate({"version": 2})
