"""Which HCPCS code ranks first among codes for one item: national before private-payer S
codes, the drug asked for before another drug."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from assistant.codesets.hcpcs.codeset import Hcpcs
from assistant.codesets.hcpcs.files import read_release
from assistant.codesets.hcpcs.search import (
    COMPOUNDED_PENALTY,
    DRUG_NAME_PENALTY,
    PRODUCT_PENALTY,
    S_CODE_PENALTY,
    HcpcsSearch,
)
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


def _release_search(tmp_path: Path, rows: list[str]) -> HcpcsSearch:
    path = tmp_path / "hcpcs-2026-jan.csv"
    path.write_text("\n".join([ROWS[0], *rows]) + "\n")
    return HcpcsSearch(Hcpcs(read_release(path)), cast(SearchBackends, _NoBackends()))


# Real CMS descriptors (January 2026): one drug's unnamed code and a code for one product.
TRIAMCINOLONE = [
    'J3299,"Inj xipere 1 mg","Injection, triamcinolone acetonide (xipere), 1 mg"',
    'J3301,"Triamcinolone acet inj nos","Injection, triamcinolone acetonide, not otherwise '
    'specified, 10 mg"',
]


def test_a_code_for_one_named_product_loses_when_the_question_names_no_product(
    tmp_path: Path,
) -> None:
    search = _release_search(tmp_path, TRIAMCINOLONE)
    assert search.product_names == {"J3299": frozenset({"xipere"})}
    title = "Injection, triamcinolone acetonide (xipere), 1 mg"
    plain = search.adjust("triamcinolone acetonide injection", "J3299", title)
    named = search.adjust("xipere triamcinolone acetonide injection", "J3299", title)
    assert named - plain == pytest.approx(PRODUCT_PENALTY)


def test_words_that_also_occur_outside_parentheses_name_no_product(tmp_path: Path) -> None:
    search = _release_search(
        tmp_path,
        [
            'J7192,"Factor viii recomb nos","Factor viii (antihemophilic factor, recombinant) '
            'per iu, not otherwise specified"',
            'J1460,"Gamma globulin 1 cc inj","Injection, gamma globulin, intramuscular, 1 cc"',
            'J0001,"Made-up drug","Injection, madeupdrug (for esrd on dialysis), per 1 mg"',
        ],
    )
    assert search.product_names == {}


ALBUTEROL = [
    'J7609,"Albuterol comp unit","Albuterol, inhalation solution, compounded product, '
    'administered through dme, unit dose, 1 mg"',
    'J7613,"Albuterol non-comp unit","Albuterol, inhalation solution, fda-approved final '
    'product, non-compounded, administered through dme, unit dose, 1 mg"',
]


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("albuterol nebulizer solution 2.5 mg unit dose", "J7613"),
        ("compounded albuterol inhalation solution 2.5 mg", "J7609"),
        ("albuterol inhalation, non-compounded, 2.5 mg", "J7613"),
    ],
)
def test_compounded_inhalation_drugs_only_when_the_question_says_so(
    tmp_path: Path, question: str, first: str
) -> None:
    search = _release_search(tmp_path, ALBUTEROL)
    titles = {code: search.codeset.data.codes[code].long for code in ("J7609", "J7613")}
    other = next(code for code in titles if code != first)
    gap = search.adjust(question, first, titles[first]) - search.adjust(
        question, other, titles[other]
    )
    assert gap == pytest.approx(COMPOUNDED_PENALTY)


def test_a_modifier_whose_meaning_the_question_says_is_not_held_back(tmp_path: Path) -> None:
    from assistant.codesets.hcpcs.search import MODIFIER_PENALTY

    path = tmp_path / "hcpcs-2026-jan.csv"
    denied = "Item or service expected to be denied as not reasonable and necessary"
    path.write_text("\n".join([*ROWS, f'GZ,"Item expected to be denied","{denied}"']) + "\n")
    search = HcpcsSearch(Hcpcs(read_release(path)), cast(SearchBackends, _NoBackends()))
    assert search.adjust("no ABN on file, expect a denial", "GZ", denied) == 0.0
    assert search.adjust("metronidazole injection", "GZ", denied) == -MODIFIER_PENALTY
