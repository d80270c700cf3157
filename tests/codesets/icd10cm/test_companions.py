"""Companion codes the notes call for, reported with the code when the question states them."""

from __future__ import annotations

import pytest

from assistant.codesets.icd10cm.companions import companions
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.text.bridges import expand, load_terms


@pytest.mark.parametrize(
    ("code", "question", "expected"),
    [
        ("E11.22", "type 2 diabetes with diabetic kidney disease, stage 4", [("N18.4", False)]),
        ("E11.9", "type 2 diabetes, uses insulin long term", [("Z79.4", False)]),
        ("N18.6", "end stage renal disease, on peritoneal dialysis", [("Z99.2", False)]),
        ("R65.21", "septic shock in a patient with sepsis", [("A41.9", True)]),
        ("E11.9", "type 2 diabetes without complications", []),
    ],
)
def test_a_stated_companion_condition_is_reported_in_the_order_its_note_gives(
    real_tab: Tabular, code: str, question: str, expected: list[tuple[str, bool]]
) -> None:
    found = companions(real_tab, code, expand(question, load_terms()))
    assert [(c.code, c.first) for c in found] == expected
    for c in found:
        assert c.note and c.level  # each cited to its note
