"""A biller's words: modifiers named in words, codes typed in a question, supply words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.codesets.hcpcs.files import read_release
from assistant.codesets.hcpcs.modifiers import RULES, modifiers_named
from assistant.codesets.hcpcs.words import BRIDGES, find_codes, read_item

HERE = Path(__file__).resolve().parent
FIXTURE = HERE.parents[1] / "data" / "hcpcs" / "HCPC2026_JAN_ANWEB-sample.txt"
CSV = HERE.parents[3] / "shared" / "data" / "hcpcs" / "hcpcs-2026-jan.csv"


def _named(text: str, item: bool | None = None) -> list[str]:
    return [hint.modifier for hint in modifiers_named(text, item)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("which modifier for the right side", ["RT"]),
        ("brace for the lt ankle", ["LT"]),
        ("is it right to bill this", []),  # "right" that names no side
        ("patient signed an ABN", ["GA"]),
        ("advance beneficiary notice on file", ["GA"]),
        ("no ABN was obtained", ["GZ"]),
        ("voluntary ABN given for a non-covered item", ["GX"]),
        ("coverage requirements have been met", ["KX"]),
        ("hearing aids are statutorily excluded", ["GY"]),
        ("distinct procedural service", ["59"]),
        ("done on a separate structure", ["XS"]),
        ("oxygen concentrator, first month rental", ["KH", "RR"]),
        ("rented hospital bed", ["RR"]),
        ("used equipment sold to the patient", ["UE"]),
        ("part of the vial was discarded", ["JW"]),
        ("zero waste from a single-dose vial", ["JZ"]),
        ("under a physical therapy plan of care", ["GP"]),
        ("test strips for a patient not treated with insulin", ["KS"]),
        ("left thumb splint", ["FA"]),
        ("right great toe", ["T5"]),
        ("lower right eyelid lesion", ["E4"]),
    ],
)
def test_modifiers_named_in_words(text: str, expected: list[str]) -> None:
    assert _named(text) == expected


def test_bilateral_is_rt_and_lt_for_items_and_50_for_procedures() -> None:
    assert _named("bilateral knee orthoses") == ["RT", "LT"]
    assert _named("bilateral knee injections") == ["50"]
    assert _named("both sides", item=True) == ["RT", "LT"]
    [fifty] = modifiers_named("done bilaterally")
    assert not fifty.in_hcpcs  # 50 is a CPT modifier: the answer must not cite the HCPCS file


def test_every_mapping_names_its_source() -> None:
    for hint in modifiers_named("signed ABN, requirements met, distinct procedural service"):
        assert hint.source and hint.said
    assert all(rule.quote for rule in RULES)


@pytest.mark.integration
def test_each_mapping_quotes_its_cms_descriptor() -> None:
    if not CSV.exists():
        pytest.skip(f"real HCPCS file not available: {CSV}")
    release = read_release(CSV)
    for rule in RULES:
        entry = release.modifiers.get(rule.modifier)
        if not rule.in_hcpcs:
            assert entry is None, f"{rule.modifier} is a CPT modifier"
            continue
        assert entry is not None, rule.modifier
        assert rule.quote.lower() in entry.long.lower(), rule.modifier


def test_typed_codes_and_modifiers_are_found_in_order() -> None:
    assert find_codes("what does modifier rt mean on j0696?") == ["RT", "J0696"]
    assert find_codes("modifiers RT and LT with L1833") == ["RT", "LT", "L1833"]
    assert find_codes("billed L1833-RT-KX") == ["L1833", "RT", "KX"]
    assert find_codes("which modifier is for an ABN") == []  # "is" is a word, not a modifier
    assert find_codes("not codes: E11.65, 99213") == []


def test_with_a_release_only_known_or_cpt_modifiers_count() -> None:
    release = read_release(FIXTURE)
    assert find_codes("modifier zz or 59 or kx", release) == ["59", "KX"]


@pytest.mark.parametrize(
    ("text", "added"),
    [
        ("cpap machine", "positive airway pressure device"),
        ("cpap hose", "tubing"),
        ("walker with wheels", "walker, wheeled"),
        ("front-wheeled walker", "walker, wheeled"),
        ("diabetic test strips", "blood glucose test or reagent strips"),
        ("knee brace", "orthosis"),
        ("basic ambulance, emergent", "basic life support"),
        ("als 2 transport", "advanced life support, level 2"),
        ("flu shot for a medicare patient", "influenza virus vaccine"),
        ("hoyer lift for home", "patient lift, hydraulic or mechanical"),
        ("cpm machine after knee replacement", "continuous passive motion exercise device"),
        ("post-op shoe", "surgical boot/shoe"),
        ("intermittent cath, straight tip", "catheter"),
        ("fully electric bed for home", "total electric"),
        ("critical care ambulance transfer", "specialty care transport"),
    ],
)
def test_supply_words_gain_the_descriptor_wording(text: str, added: str) -> None:
    item = read_item(text)
    assert added in item.bridged
    assert item.text.startswith(text.split()[0])  # the biller's own words stay


def test_compression_hose_are_stockings_not_tubing() -> None:
    assert "tubing" not in read_item("compression hose, thigh length").bridged


def test_a_phrase_is_bridged_once_by_its_most_specific_reading() -> None:

    assert read_item("als 1 emergency").bridged == ("advanced life support, level 1",)
    assert read_item("back brace").bridged == ("lumbar-sacral orthosis",)


@pytest.mark.parametrize(
    ("text", "fitting"),
    [
        ("knee brace off the shelf", "off_the_shelf"),
        ("prefab wrist splint fitted by the orthotist", "prefabricated"),
        ("custom molded AFO", "custom"),
        ("knee brace", None),
    ],
)
def test_fitting_words(text: str, fitting: str | None) -> None:
    assert read_item(text).fitting == fitting


def test_supply_quantities_are_read() -> None:
    assert [a.value for a in read_item("glucose test strips, 100").quantities] == [100.0]


@pytest.mark.integration
def test_every_bridge_uses_words_the_descriptors_use() -> None:
    if not CSV.exists():
        pytest.skip(f"real HCPCS file not available: {CSV}")
    descriptors = [
        set(re.findall(r"[a-z0-9]+", e.long.lower())) for e in read_release(CSV).codes.values()
    ]
    for bridge in BRIDGES:
        words = set(re.findall(r"[a-z0-9]+", bridge.means.lower()))
        assert any(words <= d for d in descriptors), bridge.means
