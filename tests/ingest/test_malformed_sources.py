"""``medcode ingest`` over a folder with malformed files: each is skipped with one line naming
the file and the place, everything else is ingested, and the exit code is 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fakes import DATA

from assistant.interfaces.cli import main

TRUNCATED_INDEX = (
    '<?xml version="1.0"?>\n<ICD10CM.index>\n<letter><title>A</title>\n'
    "<mainTerm><title>Abscess</mainTerm>\n"
)


def ingest(folder: Path, capsys: pytest.CaptureFixture) -> tuple[int, str, list[str]]:
    code = main(["ingest", "--quiet", "--source-dir", str(folder)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, [line for line in err.splitlines() if "skipped" in line]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Official files: a good HCPCS release, a truncated Index, a malformed PCS tables file
    (with a good PCS Index), a PDF that is no PDF."""
    made = tmp_path / "official"
    made.mkdir()
    shutil.copy(DATA / "hcpcs" / "hcpcs-2026-jan-sample.csv", made)
    (made / "icd10cm-index-2026.xml").write_text(TRUNCATED_INDEX, encoding="utf-8")
    shutil.copy(DATA / "icd10pcs" / "malformed.xml", made / "icd10pcs_tables_2026.xml")
    shutil.copy(DATA / "icd10pcs" / "index.xml", made / "icd10pcs_index_2026.xml")
    (made / "icd10cm-guidelines-fy2026.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<")
    return made


def test_each_malformed_file_is_one_line_and_the_rest_is_ingested(
    cli_home: Path, folder: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, skipped = ingest(folder, capsys)
    assert code == 1
    assert out.startswith("ingest: ") and " added" in out
    assert len(skipped) == 3, skipped
    by_file = {name: [s for s in skipped if name in s] for name in ("index", "pcs", "guide")}
    (index,) = by_file["index"]
    assert "icd10cm-index-2026.xml" in index and "line 4, column" in index
    (pcs,) = by_file["pcs"]
    assert pcs.startswith("icd10pcs: skipped") and "icd10pcs_tables_2026.xml:6:" in pcs
    (guide,) = by_file["guide"]
    assert "icd10cm-guidelines-fy2026.pdf" in guide
    # The readable files were ingested: ICD-10-CM codes and the HCPCS release answer.
    assert main(["lookup", "type 2 diabetes with hyperglycemia", "--k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["code"] == "E11.65"
    assert main(["lookup", "J0696", "--codeset", "hcpcs", "--k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["code"] == "J0696"


def test_a_rerun_with_the_files_still_malformed_skips_them_again(
    cli_home: Path, folder: Path, capsys: pytest.CaptureFixture
) -> None:
    ingest(folder, capsys)
    code, out, skipped = ingest(folder, capsys)
    assert code == 1 and len(skipped) == 3
    assert " 0 added, 0 updated," in out  # what was readable was all stored the first time


def test_without_malformed_files_the_exit_code_is_0(
    cli_home: Path, folder: Path, capsys: pytest.CaptureFixture
) -> None:
    for name in (
        "icd10cm-index-2026.xml",
        "icd10pcs_tables_2026.xml",
        "icd10cm-guidelines-fy2026.pdf",
    ):
        (folder / name).unlink()
    code, _out, skipped = ingest(folder, capsys)
    assert (code, skipped) == (0, [])
