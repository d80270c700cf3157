"""The ranking register: every weight of the ranking modules is named with how it was chosen,
and turning a rule off changes that value and only for the duration."""

from __future__ import annotations

import importlib
import numbers

import pytest

from assistant.search import rerank
from assistant.search.ranking import MODULES, NOT_WEIGHTS, RULES


def _numeric_constants(module_name: str) -> set[str]:
    module = importlib.import_module(module_name)
    found = set()
    for name, value in vars(module).items():
        if not name.isupper() or name.startswith("_"):
            continue
        is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        is_weights = isinstance(value, dict) and all(
            isinstance(v, numbers.Real) for v in value.values()
        )
        if is_number or (is_weights and value):
            found.add(f"{module_name}.{name}")
    return found


def test_every_numeric_constant_of_the_ranking_modules_is_registered() -> None:
    registered = {r.target for r in RULES if ":" not in r.target} | set(NOT_WEIGHTS)
    constants = set().union(*(_numeric_constants(m) for m in MODULES))
    assert constants - registered == set(), "add these to assistant/search/ranking.py"
    assert {t for t in registered if t.rsplit(".", 1)[0] in MODULES} - constants == set()


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_each_rule_says_why_and_turns_off_for_the_duration(rule) -> None:
    assert len(rule.why) > 20
    before = rule.value()
    assert before != rule.off
    with rule.disabled():
        assert rule.value() == rule.off
    assert rule.value() == before


def test_a_weight_field_off_changes_the_rescore() -> None:
    (rule,) = [r for r in RULES if r.target.endswith("rescore:overlap")]
    query, title = "acute bronchitis", "Acute bronchitis, unspecified"
    on = rerank.rescore(query, title, 0.5)
    with rule.disabled():
        off = rerank.rescore(query, title, 0.5)
    assert on > off
    assert rerank.rescore(query, title, 0.5) == on
