"""Which HCPCS code ranks first among codes for one item: national before private-payer S
codes, the drug asked for before another drug."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from assistant.codesets.hcpcs.codeset import Hcpcs
from assistant.codesets.hcpcs.files import read_release
from assistant.codesets.hcpcs.search import DRUG_NAME_PENALTY, S_CODE_PENALTY, HcpcsSearch
from assistant.search.backends import SearchBackends

# Real CMS descriptors (public domain), January 2026: one drug with a national J code and an
# S code, the S code being for private payers.
ROWS = [
    "HCPCS_CODE,SHORT_DESCRIPTION,LONG_DESCRIPTION",
    'J1836,"Inj, metronidazole, 10 mg","Injection, metronidazole, 10 mg"',
    'S0030,"Injection, metronidazole","Injection, metronidazole, 500 mg"',
]


class _NoBackends:
    store = None
    lexical = None
    k = 5


@pytest.fixture
def search(tmp_path: Path) -> HcpcsSearch:
    path = tmp_path / "hcpcs-2026-jan.csv"
    path.write_text("\n".join(ROWS) + "\n")
    return HcpcsSearch(Hcpcs(read_release(path)), cast(SearchBackends, _NoBackends()))


def _gap(search: HcpcsSearch, question: str) -> float:
    national = search.adjust(question, "J1836", "Injection, metronidazole, 10 mg")
    private = search.adjust(question, "S0030", "Injection, metronidazole, 500 mg")
    return national - private


def test_an_s_code_ranks_after_the_national_code_for_the_same_drug(search: HcpcsSearch) -> None:
    assert _gap(search, "metronidazole injection") == pytest.approx(S_CODE_PENALTY)


@pytest.mark.parametrize("payer", ["commercial plan", "private insurance", "BCBS"])
def test_a_question_naming_a_private_payer_keeps_s_codes_level(
    search: HcpcsSearch, payer: str
) -> None:
    assert _gap(search, f"metronidazole injection, {payer}") == pytest.approx(0.0)


def test_a_drug_code_for_another_drug_loses_to_the_drug_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "hcpcs-2026-jan.csv"
    path.write_text(
        "\n".join(
            [
                *ROWS[:1],
                'J0696,"Ceftriaxone sodium injection","Injection, ceftriaxone sodium, per 250 mg"',
                'S0021,"Injection, cefoperazone sod","Injection, cefoperazone sodium, 1 gram"',
            ]
        )
        + "\n"
    )
    search = HcpcsSearch(Hcpcs(read_release(path)), cast(SearchBackends, _NoBackends()))
    question = "ceftriaxone 1 gram injection"
    # Both are sodium salts; only one is ceftriaxone.
    asked = search.adjust(question, "J0696", "Injection, ceftriaxone sodium, per 250 mg")
    other = search.adjust(question, "S0021", "Injection, cefoperazone sodium, 1 gram")
    assert "ceftriaxone" in search.drug_names and "sodium" not in search.drug_names
    assert asked - other >= DRUG_NAME_PENALTY
