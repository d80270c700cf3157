"""Which hits a lookup shows when the question could be for more than one code set."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from assistant.answer import lookup
from assistant.answer.choose import Choice
from assistant.core.codeset import CodeHit


class _Search:
    def __init__(self, name: str, codes: list[str]) -> None:
        self.name, self.codes = name, codes

    def search_codes(self, query: str, k: int | None = None) -> list[CodeHit]:
        return [CodeHit(c, c, True, 1.0, query) for c in self.codes[: k or 5]]


def _sets() -> tuple[list[Any], dict[str, Any]]:
    cm, pcs, hcpcs = (SimpleNamespace(name=n) for n in ("icd10cm", "icd10pcs", "hcpcs"))
    searches = {
        "icd10cm": _Search("icd10cm", ["S52.591A", "S52.591B", "S52.591C"]),
        "icd10pcs": _Search("icd10pcs", ["0PSH04Z", "0PSH34Z"]),
        "hcpcs": _Search("hcpcs", ["L3908"]),
    }
    return [cm, pcs, hcpcs], searches


def _find(monkeypatch: pytest.MonkeyPatch, choices: list[tuple[str, float, bool]]) -> list[str]:
    sets, searches = _sets()
    by_name = {s.name: s for s in sets}
    made = [Choice(by_name[n], score, operation=op) for n, score, op in choices]  # type: ignore[arg-type]
    monkeypatch.setattr(lookup, "choose", lambda *_: made)
    found = lookup.find("q", sets, searches, 5)  # type: ignore[arg-type]
    return [f"{h.code_set}:{h.code}" for h in found.hits]


def test_a_clear_lead_shows_only_its_own_set(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = _find(monkeypatch, [("icd10cm", -5.0, False), ("icd10pcs", -20.0, False)])
    assert {s.split(":")[0] for s in shown} == {"icd10cm"}


def test_a_named_operation_keeps_its_procedure_code_second(monkeypatch: pytest.MonkeyPatch) -> None:
    # The procedure set trails far behind, and HCPCS is the runner-up, but the question named
    # an operation: its best procedure code is shown second.
    shown = _find(
        monkeypatch,
        [("icd10cm", -5.0, False), ("hcpcs", -18.0, False), ("icd10pcs", -20.0, True)],
    )
    assert shown[:3] == ["icd10cm:S52.591A", "icd10pcs:0PSH04Z", "icd10cm:S52.591B"]
