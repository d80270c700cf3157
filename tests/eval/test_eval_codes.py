"""The notes and excludes benchmarks against simple_icd_10_cm (assistant.eval.codes): they
agree on the bundled release, and a Tabular read wrongly shows up in their figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.codesets.icd10cm.tabular import Tabular, bundled_tabular_path, load_tabular
from assistant.eval.codes import _refs, excludes_accuracy, notes_recall

CHAPTERS = range(1, 23)


@pytest.fixture(scope="module")
def misread_tab() -> Tabular:
    """The bundled release read with two bugs a parser could have: chapter notes lost on the
    way down, and Excludes1/Excludes2 swapped (a fresh copy: the session's real_tab is shared)."""
    tab = load_tabular()
    for number in CHAPTERS:
        chapter = tab.node(f"ch:{number}")
        if chapter is not None:
            chapter.notes = {}
    for node in tab.codes():
        ex1, ex2 = node.notes.pop("excludes1", None), node.notes.pop("excludes2", None)
        if ex1:
            node.notes["excludes2"] = ex1
        if ex2:
            node.notes["excludes1"] = ex2
    return tab


def test_notes_agree_with_the_library_on_the_bundled_release(real_tab: Tabular) -> None:
    report = notes_recall(real_tab, bundled_tabular_path(), sample=200, seed=3)
    assert report["reference"].startswith("simple_icd_10_cm ")
    assert report["notes_expected"] > 1000
    assert (report["recall"], report["extra_notes"], report["mismatches"]) == (1.0, 0, [])


def test_lost_chapter_notes_lower_recall(misread_tab: Tabular) -> None:
    report = notes_recall(misread_tab, bundled_tabular_path(), sample=200, seed=3)
    assert report["recall"] < 0.9
    missing = [m for miss in report["mismatches"] for m in miss["missing"]]
    assert any(level.startswith("Chapter ") for _kind, level, _text in missing)


def test_excludes_agree_with_the_library_on_the_bundled_release(real_tab: Tabular) -> None:
    report = excludes_accuracy(real_tab, bundled_tabular_path(), n_pairs=200, seed=3)
    assert report["note_pairs"] > 150
    assert report["random_pairs"] > 150
    assert (report["found"], report["false_conflicts"], report["missed_conflicts"]) == (1.0, 0, 0)


def test_swapped_excludes_are_caught(misread_tab: Tabular) -> None:
    report = excludes_accuracy(misread_tab, bundled_tabular_path(), n_pairs=200, seed=3)
    assert report["found"] < 0.5
    assert report["missed"]
    assert report["false_conflicts"] + report["missed_conflicts"] > 0


def test_another_release_is_not_compared(small_tab: Tabular, tabular_xml: Path) -> None:
    for report in (notes_recall(small_tab, tabular_xml), excludes_accuracy(small_tab, tabular_xml)):
        assert report["reference"].startswith("simple_icd_10_cm ")
        assert str(tabular_xml) in report["skipped"]
        assert "recall" not in report and "found" not in report


@pytest.mark.parametrize(
    ("note", "refs"),
    [
        ("type 1 diabetes mellitus (E10.-)", [("E10", "E10")]),
        ("newborn disorders (P70-P74)", [("P70", "P74")]),
        ("injury of cortex S06.1- to S06.6-", [("S061", "S066")]),
        (
            "gout (M1A.-, M10.-) and chorea (G25.5)",
            [("M1A", "M1A"), ("M10", "M10"), ("G255", "G255")],
        ),
        ("diabetic kidney disease (E08-E13 with .22)", None),
    ],
)
def test_reference_reader_reads_note_references(
    note: str, refs: list[tuple[str, str]] | None
) -> None:
    assert _refs(note) == refs
