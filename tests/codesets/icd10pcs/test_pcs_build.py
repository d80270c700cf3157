"""Building ICD-10-PCS codes from procedure descriptions, and the dev-set runner."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.codesets.icd10pcs.build import BuildResult, build
from assistant.codesets.icd10pcs.definitions import Definitions, parse_definitions
from assistant.codesets.icd10pcs.devset import evaluate, main
from assistant.codesets.icd10pcs.index import PcsIndex, parse_index
from assistant.codesets.icd10pcs.tables import PcsTables, parse_tables

FIXTURES = Path(__file__).parents[2] / "data" / "icd10pcs"
REAL = Path(__file__).parents[4] / "shared" / "data" / "icd10pcs"

Sources = tuple[PcsTables, Definitions, PcsIndex]


@pytest.fixture(scope="module")
def sources() -> Sources:
    return (
        parse_tables(FIXTURES / "tables.xml"),
        parse_definitions(FIXTURES / "definitions.xml"),
        parse_index(FIXTURES / "index.xml"),
    )


def run(question: str, sources: Sources) -> BuildResult:
    tables, definitions, index = sources
    return build(question, tables, definitions, index)


def test_laparoscopic_appendectomy_is_a_percutaneous_endoscopic_resection(sources: Sources) -> None:
    result = run("laparoscopic appendectomy", sources)
    best = result.candidates[0]
    assert best.code == "0DTJ4ZZ"
    assert best.description == "Resection of Appendix, Percutaneous Endoscopic Approach"
    approach = next(a for a in best.axes if a.position == 5)
    assert approach.label == "Percutaneous Endoscopic" and "laparoscop" in approach.reason
    assert "Index: Appendectomy -> see Resection, Appendix 0DTJ" in [
        e.line for e in result.index_entries
    ]


def test_shorthand_reads_as_the_full_words(sources: Sources) -> None:
    assert run("lap appy", sources).codes[0] == "0DTJ4ZZ"


def test_every_candidate_is_a_valid_code(sources: Sources) -> None:
    tables = sources[0]
    for question in ("appendectomy", "total knee replacement, left", "sleeve gastrectomy"):
        codes = run(question, sources).codes
        assert codes and all(tables.is_valid(code) for code in codes)


def test_an_unnamed_approach_is_reported_open_not_guessed_silently(sources: Sources) -> None:
    result = run("appendectomy", sources)
    assert result.codes[0] == "0DTJ0ZZ"
    (approach,) = [axis for axis in result.open_axes if axis.position == 5]
    assert approach.chosen == "0 Open"
    assert dict(approach.options) == {"0": "Open", "4": "Percutaneous Endoscopic"}


def test_side_picks_the_body_part_and_unsaid_device_and_qualifier_are_open(
    sources: Sources,
) -> None:
    result = run("total knee replacement, left", sources)
    assert result.codes[0] == "0SRD0JZ"
    open_axes = {axis.position: axis for axis in result.open_axes}
    assert set(open_axes) == {6, 7}
    assert open_axes[6].chosen == "J Synthetic Substitute"
    assert ("3", "Synthetic Substitute, Ceramic") in open_axes[6].options
    assert open_axes[7].chosen == "Z No Qualifier" and "nothing" in open_axes[7].note


def test_an_unstated_side_leaves_the_body_part_open(sources: Sources) -> None:
    result = run("knee replacement", sources)
    assert set(result.codes[:2]) == {"0SRC0JZ", "0SRD0JZ"}
    (part,) = [axis for axis in result.open_axes if axis.position == 4]
    assert dict(part.options) == {"C": "Knee Joint, Right", "D": "Knee Joint, Left"}


def test_words_the_description_names_choose_the_qualifier(sources: Sources) -> None:
    assert run("total knee replacement, left, cemented", sources).codes[0] == "0SRD0J9"
    # The Index subterm "Vertical (sleeve)" carries the qualifier the word "sleeve" implies.
    sleeve = run("laparoscopic sleeve gastrectomy", sources)
    assert sleeve.codes[0] == "0DB64Z3"
    assert "vertical" in next(a for a in sleeve.candidates[0].axes if a.position == 7).reason


def test_an_included_device_term_chooses_the_device(sources: Sources) -> None:
    result = run("left knee replacement with a ceramic test bearing", sources)
    assert result.codes[0] == "0SRD03Z"


def test_a_description_the_index_does_not_know_gives_no_codes(sources: Sources) -> None:
    result = run("hearing aid fitting", sources)
    assert result.candidates == () and result.open_axes == ()


def test_concurrent_builds_agree(sources: Sources) -> None:
    questions = ["laparoscopic appendectomy", "total knee replacement, left"] * 8
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda q: run(q, sources).codes[0], questions))
    assert answers == ["0DTJ4ZZ", "0SRD0JZ"] * 8


def test_evaluate_counts_top1_and_top5(sources: Sources) -> None:
    rows = [
        {"query": "laparoscopic appendectomy", "code": "0DTJ4ZZ"},
        {"query": "appendectomy", "code": "0DTJ4ZZ"},  # second: the approach is not said
        {"query": "hearing aid fitting", "code": "0DTJ0ZZ"},
    ]
    figures = evaluate(rows, *sources)
    assert figures == {"n": 3, "top1": 0.333, "top5": 0.667}


def test_runner_prints_figures_and_reports_bad_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"query": "laparoscopic appendectomy", "code": "0DTJ4ZZ"}) + "\n")
    for name in ("tables", "definitions", "index"):
        (tmp_path / f"icd10pcs_{name}_2099.xml").write_bytes(
            (FIXTURES / f"{name}.xml").read_bytes()
        )
    assert main([str(rows), "--source-dir", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"n": 1, "top1": 1.0, "top5": 1.0}
    assert main([str(rows), "--source-dir", str(tmp_path / "nowhere")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1


@pytest.fixture(scope="module")
def real() -> Sources:
    files = [
        REAL / "icd10pcs_tables_2026.xml",
        REAL / "icd10pcs_definitions_2026.xml",
        REAL / "icd10pcs_index_2025.xml",
    ]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        pytest.skip(f"CMS ICD-10-PCS files not found: {', '.join(missing)}")
    return parse_tables(files[0]), parse_definitions(files[1]), parse_index(files[2])


# Cases written for these tests (none is a row of knowledge/eval/pcs_*.jsonl).
REAL_CASES = [
    ("laparoscopic right nephrectomy", "0TT04ZZ"),
    ("open splenectomy", "07TP0ZZ"),
    ("right total knee replacement", "0SRC0JZ"),
    ("thoracoscopic left lower lobectomy", "0BTJ4ZZ"),
]


@pytest.mark.integration
@pytest.mark.parametrize(("question", "expected"), REAL_CASES)
def test_real_files_build_the_expected_code(question: str, expected: str, real: Sources) -> None:
    result = run(question, real)
    assert expected in result.codes[:3]
    assert all(real[0].is_valid(code) for code in result.codes)


@pytest.mark.integration
def test_real_files_cite_the_index_and_explain_the_approach(real: Sources) -> None:
    result = run("laparoscopic cholecystectomy", real)
    assert result.codes[0] == "0FT44ZZ"
    assert any(e.text == "Cholecystectomy" and e.codes == "0FT4" for e in result.index_entries)
    approach = next(a for a in result.candidates[0].axes if a.position == 5)
    assert approach.label == "Percutaneous Endoscopic"


@pytest.mark.integration
@pytest.mark.parametrize(
    "question", ["adenoidectomy", "uvulectomy", "excision of lesion of tongue"]
)
def test_mouth_structures_seen_without_instruments_take_the_external_approach(
    question: str, real: Sources
) -> None:
    # ICD-10-PCS guideline B5.3a (example: resection of tonsils is External).
    best = run(question, real).candidates[0]
    approach = next(a for a in best.axes if a.position == 5)
    assert (approach.value, approach.settled) == ("X", True)
    assert "B5.3a" in approach.reason


@pytest.mark.integration
def test_a_named_approach_still_wins_in_the_mouth(real: Sources) -> None:
    assert run("open tonsillectomy", real).codes[0] == "0CTP0ZZ"


@pytest.mark.integration
@pytest.mark.parametrize("question", ["TURBT", "transurethral resection of bladder tumor"])
def test_a_transurethral_resection_is_endoscopic(question: str, real: Sources) -> None:
    # Done through a resectoscope: Via Natural or Artificial Opening Endoscopic.
    assert run(question, real).codes[0][4] == "8"


@pytest.mark.integration
def test_a_see_with_a_table_code_names_no_body_part(real: Sources) -> None:
    # "Roux-en-Y operation -> see Bypass, Hepatobiliary System and Pancreas 0F1": the system's
    # name ("Pancreas") is not the description naming the pancreatic duct.
    result = run("Roux-en-Y hepaticojejunostomy, open", real)
    for candidate in result.candidates:
        part = next(a for a in candidate.axes if a.position == 4)
        assert not part.reason.startswith("the Index entry names pancrea"), candidate.code


def test_a_body_part_only_the_index_path_gives_is_shown_as_open(sources: Sources) -> None:
    # "Resection" alone: the Index's only subterm (Appendix) gives the body part, unsaid
    (part,) = [axis for axis in run("resection", sources).open_axes if axis.position == 4]
    assert part.chosen == "J Appendix" and "Index" in part.note
    said = run("resection of the appendix", sources)
    assert said.codes[0] == "0DTJ0ZZ" and not [a for a in said.open_axes if a.position == 4]


def test_external_force_through_the_skin_is_the_external_approach() -> None:
    from assistant.codesets.icd10pcs.approach import EXTERNAL, approach_cues
    from assistant.codesets.icd10pcs.words import analyse

    for text in ("extracorporeal shock wave lithotripsy of a gizmo stone", "shock wave therapy"):
        assert EXTERNAL in approach_cues(analyse(text))
