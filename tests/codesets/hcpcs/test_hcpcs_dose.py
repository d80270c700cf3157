"""Drug doses: what a biller types against what a HCPCS descriptor bills, and the units to bill."""

from __future__ import annotations

import pytest

from assistant.codesets.hcpcs.dose import (
    billing_units,
    descriptor_routes,
    dose_fit,
    query_doses,
    query_routes,
    read_drug,
    route_agreement,
)


@pytest.mark.parametrize(
    ("query", "value", "dimension"),
    [
        ("cefazolin 2 g", 2000.0, "mass"),  # grams read as milligrams
        ("250mg", 250.0, "mass"),
        ("0.5 mg", 0.5, "mass"),
        ("10 mcg", 0.01, "mass"),
        ("25 micrograms", 0.025, "mass"),
        ("heparin 1,000 units", 1000.0, "activity"),
        ("5000 IU", 5000.0, "activity"),
        ("1.2 million units", 1_200_000.0, "activity"),
        ("5 ml", 5.0, "volume"),
        ("5 cc", 5.0, "volume"),
        ("1 L bag", 1000.0, "volume"),
        ("per vial", 1.0, "package"),
        ("strips, 100", 100.0, "count"),
    ],
)
def test_query_doses_are_read_in_one_unit_per_dimension(
    query: str, value: float, dimension: str
) -> None:
    [dose] = query_doses(query)
    assert dose.value == pytest.approx(value)
    assert dose.dimension == dimension


def test_a_concentration_is_not_a_dose_but_an_amount_over_a_volume_is_two() -> None:
    assert query_doses("dexamethasone 4 mg/ml vial") == []
    assert [d.text for d in query_doses("4 mg/2 ml")] == ["4 mg", "2 ml"]


@pytest.mark.parametrize(
    ("descriptor", "expected"),
    [
        ("Injection, examplemab, per 250 mg", [("per", 250.0, "mass")]),
        ("Injection, examplecillin, up to 1 g", [("up_to", 1000.0, "mass")]),
        ("Injection, examplesone, 10 mg", [("strength", 10.0, "mass")]),
        ("Injection, examplegrastim, 1 microgram", [("strength", 0.001, "mass")]),
        ("Injection, examplase, per 50 units", [("per", 50.0, "activity")]),
        ("Injection, contrast example, per ml", [("per", 1.0, "volume")]),
        ("Example eye rinse 10.16 mg/ml, 4 ml", [("strength", 4.0, "volume")]),
        ("Example saline, sterile (500 ml = 1 unit)", [("strength", 500.0, "volume")]),
        (
            "Example tablet, oral, greater than 3 mg, but less than or equal to 6 mg",
            [("up_to", 6.0, "mass")],
        ),
        ("Test strips for a home monitor, per 50 strips", [("per", 50.0, "count")]),
        ("Lancets, per box of 100", [("per", 100.0, "count")]),
    ],
)
def test_descriptor_billing_units(descriptor: str, expected: list[tuple[str, float, str]]) -> None:
    units = billing_units(descriptor)
    assert [(u.basis, pytest.approx(u.amount.value), u.amount.dimension) for u in units] == expected


PER_250 = "Injection, examplemab sodium, per 250 mg"


@pytest.mark.parametrize(
    ("query", "units"),
    [
        ("examplemab 250 mg", 1),
        ("examplemab 500 mg", 2),
        ("examplemab 1 g", 4),  # converted to mg first
        ("examplemab 300 mg", 2),  # between multiples: rounded up
        ("examplemab 100 mg", 1),  # below one unit: still one unit
    ],
)
def test_per_descriptor_bills_every_part_of_its_unit(query: str, units: int) -> None:
    fit = dose_fit(query, PER_250)
    assert fit.fits
    assert fit.units == units


def test_the_answer_can_say_how_many_units_to_bill() -> None:
    assert dose_fit("examplemab 500 mg IM", PER_250).advice("J9999") == (
        "bill 2 units of J9999 for 500 mg"
    )


def test_up_to_descriptor_fits_doses_within_its_cap_best() -> None:
    within = dose_fit("25 mg", "Injection, example hcl, up to 50 mg")
    over = dose_fit("100 mg", "Injection, example hcl, up to 50 mg")
    assert (within.fits, within.units) == (True, 1)
    assert over.score < within.score  # a code with a larger cap would fit better
    assert over.units == 2  # CMS still bills multiples when nothing larger exists


def test_an_exact_strength_beats_a_multiple_of_a_smaller_one() -> None:
    exact = dose_fit("80 mg", "Injection, examplesone acetate, 80 mg")
    multiple = dose_fit("80 mg", "Injection, examplesone acetate, 40 mg")
    assert (exact.units, multiple.units) == (1, 2)
    assert exact.score > multiple.score


@pytest.mark.parametrize(
    ("query", "descriptor", "units"),
    [
        ("10 mcg", "Injection, examplegrastim, 1 microgram", 10),
        ("0.5 mg", "Injection, examplegrastim, 1 microgram", 500),
        ("5,000 IU", "Injection, exampleparin, per 1,000 units", 5),
        ("10 cc", "Injection, contrast example, per ml", 10),
    ],
)
def test_units_convert_before_counting(query: str, descriptor: str, units: int) -> None:
    assert dose_fit(query, descriptor).units == units


def test_a_dose_in_another_dimension_does_not_fit() -> None:
    fit = dose_fit("1,000 units", PER_250)
    assert not fit.fits and fit.units is None
    vials = dose_fit("2 vials", PER_250)
    assert not vials.fits
    assert "give the dose" in vials.reason  # units follow the dose, not the package


def test_no_dose_neither_fits_nor_counts_against() -> None:
    silent = dose_fit("examplemab injection", PER_250)
    assert not silent.fits and silent.units is None
    assert silent.score > dose_fit("1,000 units", PER_250).score


@pytest.mark.parametrize(
    ("query", "descriptor", "agreement"),
    [
        ("ceftriaxone IM", "Injection, ceftriaxone sodium, per 250 mg", "agree"),
        ("given IV push", "Injection, example, for intravenous use, 1 mg", "agree"),
        ("IV drip", "Injection, examplimab, 10 mg", "agree"),
        ("subq", "Injection, example, for intravenous use, 1 mg", "conflict"),
        ("by mouth", "Injection, example, 1 mg", "conflict"),
        ("4 mg tablet", "Example, oral, 1 mg", "agree"),
        ("neb treatment", "Example, inhalation solution, unit dose form, per mg", "agree"),
        ("inhaled", "Injection, example, 1 mg", "conflict"),
        ("ondansetron 4 mg", "Injection, ondansetron, 1 mg", "silent"),
    ],
)
def test_route_words_agree_or_conflict(query: str, descriptor: str, agreement: str) -> None:
    assert route_agreement(query_routes(query), descriptor_routes(descriptor)) == agreement


def test_drug_words_are_left_for_the_search() -> None:
    drug = read_drug("rocephin 500mg IM")
    assert drug.words == "rocephin"
    assert [d.text for d in drug.doses] == ["500mg"]
    assert drug.routes == {"intramuscular"}
