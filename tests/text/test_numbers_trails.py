"""Numbers against title ranges, and Index trails read in a description's order."""

from __future__ import annotations

import math

import pytest

from assistant.text.numbers import asked, measures, number_fit, ranges
from assistant.text.trails import is_trail, natural


@pytest.mark.parametrize(
    ("query", "title", "fit"),
    [
        ("BMI 35.4, adult", "Body mass index [BMI] 35.0-35.9, adult", 1),
        ("BMI 36, adult", "Body mass index [BMI] 40.0-44.9, adult", -1),
        ("BMI 72", "Body mass index [BMI] 70 or greater, adult", 1),
        ("blood alcohol 45 mg/100 ml", "Blood alcohol level of 40-59 mg/100 ml", 1),
        ("newborn check, 12 days old", "Health examination for newborn 8 to 28 days old", 1),
        ("newborn check", "Health examination for newborn 8 to 28 days old", 0),
        ("type 2 diabetes", "Body mass index [BMI] 20.0-24.9, adult", 0),
        # Counts in words, unit words before "or more", and ranges a question states itself.
        ("stimulator with 4 leads", "Stimulator device, four or more leads", 1),
        ("stimulator with 2 leads", "Stimulator device, four or more leads", -1),
        ("seat under 22 inches wide", "Seat, width less than 22 inches", 1),
        ("seat under 22 inches wide", "Seat, width 22 inches or greater", -1),
        ("pad of 30 sq cm", "Pad, more than 16 sq. cm but less than or equal to 48 sq. cm", 1),
        ("pad of 16 sq cm", "Pad, more than 16 sq. cm but less than or equal to 48 sq. cm", -1),
        ("pump set to 20-30 mmHg", "Pump, pressure range 18-30 mmHg", 1),
        ("pump set to 10-30 mmHg", "Pump, pressure range 18-30 mmHg", 0),
        ("at least 5 units", "Supply, not to exceed 4 units", -1),
    ],
)
def test_a_stated_number_fits_the_title_whose_range_holds_it(
    query: str, title: str, fit: int
) -> None:
    assert number_fit(query, title) == fit


def test_names_with_digits_are_not_measurements() -> None:
    assert measures("type 1 diabetes after COVID-19, code E11.9") == ()
    assert asked("type 1 diabetes after COVID-19, code E11.9") == ()


def test_words_that_name_other_things_in_titles_are_read_only_in_questions() -> None:
    # "under direct supervision", a drug billed "up to 50 mg": not ranges of a title.
    assert ranges("Injection, drug name, up to 50 mg, under 2 supervisors") == ()
    assert asked("drug, up to 50 mg") == ((-math.inf, 50.0),)


@pytest.mark.parametrize(
    ("trail", "reading"),
    [
        ("Gastritis, atrophic", "atrophic Gastritis"),
        ("Gastritis, atrophic, chronic", "chronic atrophic Gastritis"),
        ("Dislocation, shoulder, anterior", "anterior Dislocation of shoulder"),
        ("Ulcer, stomach, with, perforation", "Ulcer of stomach with perforation"),
        ("Sprain, ankle, ligament", "Sprain of ligament of ankle"),
    ],
)
def test_an_index_trail_reads_as_a_description(trail: str, reading: str) -> None:
    assert is_trail(trail)
    assert natural(trail) == reading


@pytest.mark.parametrize(
    "text",
    [
        "Chronic gastritis of the antrum, unspecified",
        "gastritis",
        "sore throat, first visit, right",
    ],
)
def test_a_description_is_not_taken_for_a_trail(text: str) -> None:
    assert natural(text) == text or not is_trail(text)
