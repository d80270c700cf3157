"""Brand names a biller types reach the generic names HCPCS drug descriptors use."""

from __future__ import annotations

import csv
import importlib
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
BRANDS = HERE.parents[2] / "knowledge" / "hcpcs" / "brands.toml"
CSV = HERE.parents[3] / "shared" / "data" / "hcpcs" / "hcpcs-2026-jan.csv"


def _bridges_module() -> Any:
    # The loader moved from assistant.terms to assistant.text.bridges; either is the one loader.
    for name in ("assistant.text.bridges", "assistant.terms"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    pytest.fail("no terms loader: neither assistant.text.bridges nor assistant.terms")


def _expand(query: str) -> str:
    module = _bridges_module()
    return str(module.expand(query, module.load_terms(BRANDS)))


def _entries() -> list[dict[str, Any]]:
    return list(tomllib.loads(BRANDS.read_text(encoding="utf-8"))["term"])


def test_brands_load_with_the_terms_loader() -> None:
    assert len(_bridges_module().load_terms(BRANDS)) >= 40


@pytest.mark.parametrize(
    ("query", "generic"),
    [
        ("rocephin 500mg IM", "ceftriaxone sodium"),
        ("Toradol 30 mg", "ketorolac tromethamine"),
        ("solu-medrol 125 mg iv", "methylprednisolone sodium succinate"),
        ("Depo-Medrol 80 mg joint injection", "methylprednisolone acetate"),
        ("kenalog-40 to the knee", "triamcinolone acetonide"),
        ("zofran 4 mg", "ondansetron"),
        ("procrit 10,000 units", "epoetin alfa"),
        ("Epogen dialysis dose", "epoetin alfa"),
        ("botox 100 units", "onabotulinumtoxina"),
        ("Keytruda 200 mg", "pembrolizumab"),
        ("nexplanon rod", "etonogestrel (contraceptive) implant system"),
        ("marcaine 30 ml", "bupivacaine"),
    ],
)
def test_a_brand_gains_its_hcpcs_generic(query: str, generic: str) -> None:
    expanded = _expand(query)
    assert generic in expanded
    assert expanded.lower().startswith(query.split()[0].lower())  # the typed brand stays


def test_acetate_and_succinate_methylprednisolone_stay_apart() -> None:
    assert "acetate" not in _expand("solu-medrol 40 mg")
    assert "succinate" not in _expand("depo-medrol 40 mg")


def test_each_brand_means_one_generic_and_names_its_fda_source() -> None:
    seen: dict[str, str] = {}
    for entry in _entries():
        for brand in entry["say"]:
            assert brand.lower() not in seen, f"{brand} is listed twice"
            seen[brand.lower()] = entry["means"]
        assert re.search(r"\b(DailyMed|Drugs@FDA)\b", entry["source"]), entry["source"]
        assert re.search(r"\b20\d\d\b", entry["source"]), entry["source"]


@pytest.mark.integration
def test_every_generic_is_written_as_a_january_2026_descriptor_writes_it() -> None:
    if not CSV.exists():
        pytest.skip(f"real HCPCS file not available: {CSV}")
    with CSV.open(newline="", encoding="utf-8") as handle:
        descriptors = [row["LONG_DESCRIPTION"].lower() for row in csv.DictReader(handle)]
    missing = [e["means"] for e in _entries() if not any(e["means"] in d for d in descriptors)]
    assert missing == []
