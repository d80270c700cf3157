"""The command line (assistant.interfaces.cli.main): exit codes, one-line errors and the JSON shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FakeEmbeddings, write_career, write_tabular

import assistant.search.embeddings
from assistant.codesets.icd10cm.records import code_records
from assistant.codesets.icd10cm.tabular import load_tabular
from assistant.config import Settings
from assistant.interfaces.cli import main
from ingest.career import career_records


@pytest.fixture
def home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None, capsys: pytest.CaptureFixture
) -> Path:
    """A medcode home on the fixture release, with the word-hashing embedder; not ingested."""
    monkeypatch.setenv("MEDCODE_TABULAR_XML", str(write_tabular(tmp_path / "xml")))
    monkeypatch.setenv("MEDCODE_KNOWLEDGE_DIR", str(write_career(tmp_path / "career")))
    monkeypatch.setattr(
        assistant.search.embeddings, "make_embeddings", lambda settings: FakeEmbeddings()
    )
    return tmp_path / "home"


@pytest.fixture
def ingested_home(home: Path, capsys: pytest.CaptureFixture) -> Path:
    assert main(["--home", str(home), "ingest", "--quiet"]) == 0
    capsys.readouterr()
    return home


def run(home: Path, capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(["--home", str(home), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("medcode: ")
    return lines[0]


# --- ingest ---------------------------------------------------------------------------------
def test_ingest_prints_a_summary_line_and_reports_missing_files(
    home: Path, capsys: pytest.CaptureFixture
) -> None:
    settings = Settings(home=home)  # what the command reads: the fixture XML and career folder
    n = len(code_records(load_tabular(settings.tabular_xml)))
    n += len(career_records(settings.knowledge_dir))
    code, out, err = run(home, capsys, "ingest", "--quiet")
    assert code == 0
    assert out.strip().startswith(f"ingest: {n} added, 0 updated, 0 skipped, 0 removed in ")
    assert "missing icd10cm-guidelines-2026" in err
    code, out, _err = run(home, capsys, "ingest", "--quiet")
    assert code == 0
    assert out.strip().startswith(f"ingest: 0 added, 0 updated, {n} skipped, 0 removed in ")


# --- lookup and ask -------------------------------------------------------------------------
def test_lookup_json_shape(ingested_home: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, err = run(ingested_home, capsys, "lookup", "type 2 diabetes hyperglycemia", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert set(data) == {"query", "results"}
    assert data["query"] == "type 2 diabetes hyperglycemia"
    assert 1 <= len(data["results"]) <= 5
    for row in data["results"]:
        assert set(row) == {"code", "description", "billable", "score", "source", "code_set"}
        assert "." in row["code"] or len(row["code"]) == 3  # dotted, as printed in the Tabular
        assert row["billable"] is True
        assert isinstance(row["score"], float)
        assert row["source"] == "ICD-10-CM FY2026 Tabular List"
    first = data["results"][0]
    assert (first["code"], first["description"]) == (
        "E11.65",
        "Type 2 diabetes mellitus with hyperglycemia",
    )


def test_lookup_text_lists_code_and_description(
    ingested_home: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, _err = run(ingested_home, capsys, "lookup", "s022xxa", "--k", "1")
    assert code == 0
    assert out.splitlines() == [
        "S02.2XXA  Fracture of nasal bones, initial encounter for closed fracture"
    ]


def test_ask_json_shape(ingested_home: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, _err = run(
        ingested_home, capsys, "ask", "type 2 diabetes with hyperglycemia", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert {"answer", "citations", "codes"} <= set(data)
    assert data["answer"].startswith("Best match: **E11.65**")
    assert data["codes"][0] == "E11.65"
    for citation in data["citations"]:
        assert set(citation) == {"n", "source", "ref", "text"}
    assert data["citations"][0] == {
        "n": 1,
        "source": "ICD-10-CM FY2026 Tabular List",
        "ref": "E11.65",
        "text": "E11.65 Type 2 diabetes mellitus with hyperglycemia",
    }


def test_ask_text_prints_the_answer_then_its_sources(
    ingested_home: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, _err = run(ingested_home, capsys, "ask", "what is E11.65?")
    assert code == 0
    assert out.startswith("**E11.65** Type 2 diabetes mellitus with hyperglycemia")
    assert out.strip().splitlines()[-1] == "[1] ICD-10-CM FY2026 Tabular List, E11.65"


# --- code and check -------------------------------------------------------------------------
def test_code_json_keys(home: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, _err = run(home, capsys, "code", "e1165", "--json")  # needs no ingest
    assert code == 0
    data = json.loads(out)
    assert set(data) == {
        "code",
        "description",
        "billable",
        "version",
        "hierarchy",
        "notes",
        "note_levels",
        "seventh_characters",
        "children",
        "code_set",
    }
    assert (data["code"], data["billable"], data["version"]) == ("E11.65", True, "ICD-10-CM FY2026")
    assert data["notes"]["excludes1"] == ["type 1 diabetes mellitus (E10.-)"]
    assert data["note_levels"]["excludes1"] == ["E11"]
    assert [h["code"] for h in data["hierarchy"]] == ["Chapter 4", "E08-E13", "E11", "E11.6"]


def test_check_json_reports_the_excludes1_conflict(
    home: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, _err = run(home, capsys, "check", "E10.9", "e119", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"codes", "conflicts", "allowed_with_note"}
    assert data["codes"] == ["E10.9", "E11.9"]
    assert data["conflicts"]
    for conflict in data["conflicts"]:
        assert set(conflict) == {"code", "other", "note", "level"}
    assert {
        "code": "E11.9",
        "other": "E10.9",
        "note": "type 1 diabetes mellitus (E10.-)",
        "level": "E11",
    } in data["conflicts"]


# --- one-line errors ------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["ask", "lookup"])
def test_empty_question_exits_2_with_one_line(
    ingested_home: Path, capsys: pytest.CaptureFixture, command: str
) -> None:
    code, out, err = run(ingested_home, capsys, command, "   ")
    assert (code, out) == (2, "")
    assert "empty question" in one_line(err)


def test_overlong_question_exits_2_with_one_line(
    ingested_home: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, err = run(ingested_home, capsys, "ask", "diabetes " * 555 + "abcdefghijkl")
    assert (code, out) == (2, "")
    assert "question too long: 5007 characters (limit 2000)" in one_line(err)


def test_invalid_code_fails_with_one_line_naming_it(
    home: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, err = run(home, capsys, "code", "X99.99")
    assert code != 0 and out == ""
    line = one_line(err)
    assert "X99.99" in line and "not a valid" in line


def test_check_needs_two_codes(home: Path, capsys: pytest.CaptureFixture) -> None:
    code, _out, err = run(home, capsys, "check", "E11.9")
    assert code == 2
    assert "at least two codes" in one_line(err)


def test_lookup_before_ingest_exits_2_with_a_hint(
    home: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, err = run(home, capsys, "lookup", "type 2 diabetes")
    assert (code, out) == (2, "")
    assert "run `medcode ingest` first" in one_line(err)


# --- eval -----------------------------------------------------------------------------------
def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_eval_lookup_prints_its_figures_as_the_last_line(
    ingested_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rows = write_jsonl(
        tmp_path / "lookup.jsonl",
        [
            json.dumps({"query": "type 2 diabetes hyperglycemia", "code": "E11.65"}),
            json.dumps({"query": "fracture of nasal bones, initial encounter", "code": "S022XXA"}),
            json.dumps({"query": "streptococcal pharyngitis", "code": "J02.0"}),
        ],
    )
    code, out, _err = run(ingested_home, capsys, "eval", "lookup", str(rows))
    assert code == 0
    report = json.loads(out.strip().splitlines()[-1])
    assert set(report) == {"n", "top1", "top5", "mrr", "p50_ms", "p95_ms"}
    assert report["n"] == 3
    assert report["top1"] == report["top5"] == report["mrr"] == 1.0
    assert 0 <= report["p50_ms"] <= report["p95_ms"]


def test_eval_on_a_malformed_line_names_the_line(
    ingested_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rows = write_jsonl(
        tmp_path / "bad.jsonl",
        [json.dumps({"query": "strep throat", "code": "J02.0"}), '{"query": "cut off', "{}"],
    )
    code, out, err = run(ingested_home, capsys, "eval", "lookup", str(rows))
    assert code != 0 and out == ""
    assert f"{rows}:2: not JSON" in one_line(err)


def test_eval_row_without_its_fields_is_named(
    ingested_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rows = write_jsonl(
        tmp_path / "rows.jsonl",
        [json.dumps({"query": "strep throat", "code": "J02.0"}), json.dumps({"query": "x"})],
    )
    code, _out, err = run(ingested_home, capsys, "eval", "lookup", str(rows))
    assert code != 0
    assert "row 2: missing field 'code'" in one_line(err)


# --- a licensed CPT file (made-up descriptors: real CPT text is never in the repository) -------
def test_a_licensed_cpt_file_is_imported_then_looked_up_and_explained(
    home: Path, capsys: pytest.CaptureFixture
) -> None:
    made_up = Path(__file__).resolve().parents[1] / "data" / "cpt" / "made-up-cpt.csv"
    code, _out, err = run(
        home, capsys, "ingest", "--quiet", "--cpt", str(made_up), "--cpt-edition", "2099"
    )
    assert code == 0
    assert "cpt: 3 codes imported from made-up-cpt.csv" in err
    code, out, _err = run(home, capsys, "code", "99990", "--json")
    details = json.loads(out)
    assert (code, details["code_set"], details["version"]) == (0, "cpt", "CPT 2099")
    assert details["description"] == "Zorbling of the left flibber with quantum glue"
    code, out, _err = run(
        home, capsys, "lookup", "zorbling of the right flibber", "--codeset", "cpt", "--json"
    )
    results = json.loads(out)["results"]
    assert results[0]["code"] == "99991" and results[0]["code_set"] == "cpt"


def test_a_cpt_file_that_is_not_cpt_is_one_line_and_imports_nothing(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code,descriptor\nE11.65,not a CPT code\n", encoding="utf-8")
    code, _out, err = run(home, capsys, "ingest", "--quiet", "--cpt", str(bad))
    assert code == 2  # a file the user named is bad input
    assert "line 2: 'E11.65' is not a CPT code" in one_line(err)
    assert not (home / "licensed").exists()


def test_lookup_in_a_code_set_that_is_not_loaded_says_how_to_add_it(
    ingested_home: Path, capsys: pytest.CaptureFixture
) -> None:
    code, _out, err = run(ingested_home, capsys, "lookup", "office visit", "--codeset", "cpt")
    assert code == 2
    assert "medcode ingest --cpt FILE" in one_line(err)


def test_ask_reads_a_chat_history_file(
    ingested_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    history = tmp_path / "history.json"
    turns = [
        {"role": "user", "content": "fracture of nasal bones"},
        {"role": "assistant", "content": "Best match: S02.2XXA ..."},
    ]
    history.write_text(json.dumps(turns), encoding="utf-8")
    code, out, _err = run(
        ingested_home, capsys, "ask", "follow-up visit", "--history", str(history), "--json"
    )
    data = json.loads(out)
    assert code == 0
    assert data["codes"][0] == "S02.2XXD"
    assert data["answer"].startswith("Read as: fracture of nasal bones, follow-up visit")


@pytest.mark.parametrize(
    "text", ["not json", '{"role": "user"}', '[{"role": "robot", "content": "x"}]']
)
def test_a_malformed_history_file_is_one_line(
    ingested_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture, text: str
) -> None:
    history = tmp_path / "history.json"
    history.write_text(text, encoding="utf-8")
    code, _out, err = run(ingested_home, capsys, "ask", "left", "--history", str(history))
    assert code == 2 and "history file" in one_line(err)


def test_the_files_an_ingest_read_stay_in_use_without_the_source_folder(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "official"
    folder.mkdir()
    sample = Path(__file__).resolve().parents[1] / "data" / "hcpcs" / "hcpcs-2026-jan-sample.csv"
    (folder / sample.name).write_bytes(sample.read_bytes())
    assert run(home, capsys, "ingest", "--quiet", "--source-dir", str(folder))[0] == 0
    code, out, _err = run(home, capsys, "code", "J0696", "--json")  # no --source-dir now
    assert code == 0 and json.loads(out)["release"] == "HCPCS Level II, January 2026"
