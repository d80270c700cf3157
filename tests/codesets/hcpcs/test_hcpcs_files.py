"""HCPCS Level II release files: the three CMS forms read alike, bad files fail in one line."""

from __future__ import annotations

import json
import pickle
import shutil
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from assistant.codesets.hcpcs.files import (
    HcpcsFileError,
    Release,
    looks_like_hcpcs,
    normalize_code,
    read_noc,
    read_release,
)

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parents[1] / "data" / "hcpcs"
REPO = HERE.parents[2]
SHARED = REPO.parent / "shared" / "data" / "hcpcs"

# The TXT fixture follows the CMS HCPCS contractor record layout (HCPC<YYYY>_recordlayout.txt,
# e.g. HCPC2016_recordlayout.txt; the 2026 layout keeps the positions). Columns relied on, 1-based:
# HCPC 1-5 (modifiers right-aligned in 4-5), sequence number 6-10, record id 11 (3/4 code first
# line/continuation, 7/8 modifier), long description 12-91, short description 92-119, coverage
# 230, BETOS 257-259, added 269-276, action effective 277-284, termination 285-292, action 293.
# Descriptors are real CMS (public domain) ones; the administrative fields are made up.
TXT = FIXTURES / "HCPC2026_JAN_ANWEB-sample.txt"
CSV = FIXTURES / "hcpcs-2026-jan-sample.csv"


def _workbook(path: Path, rows: list[list[object]], title: str = "Sheet") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _cms_workbook(path: Path) -> Path:
    """The TXT fixture as the CMS workbook lays it out: one row per TXT line, continuation rows
    sharing the code, written in reverse so only SEQNUM can put them back in order."""
    rows: list[list[object]] = []
    for line in TXT.read_text().splitlines():
        line = line.ljust(320)
        rows.append(
            [line[0:5], int(line[5:10]), int(line[10]), line[11:91].strip(), line[91:119].strip()]
        )
    header: list[object] = ["HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION"]
    return _workbook(path, [header, *reversed(rows)], title="HCPC2026_JAN_ANWEB")


def _described(release: Release) -> dict[str, tuple[str, str, str]]:
    entries = {**release.codes, **release.modifiers}
    return {code: (e.kind, e.long, e.short) for code, e in entries.items()}


def test_all_three_forms_give_the_same_codes_and_descriptions(tmp_path: Path) -> None:
    txt = read_release(TXT)
    csv = read_release(CSV)
    xlsx = read_release(_cms_workbook(tmp_path / "HCPC2026_JAN_ANWEB.xlsx"))
    assert _described(txt) == _described(csv) == _described(xlsx)
    assert set(txt.codes) == {"A0427", "A4253", "E0601", "E1130", "J0696", "J3490", "L1833"}
    assert set(txt.modifiers) == {"RT", "KX", "XS"}
    assert txt.label == csv.label == xlsx.label == "HCPCS Level II, January 2026"


def test_continuation_lines_are_joined_in_sequence_order(tmp_path: Path) -> None:
    release = read_release(_cms_workbook(tmp_path / "HCPC2026_JAN_ANWEB.xlsx"))
    assert release.codes["L1833"].long == (
        "Knee orthosis, adjustable knee joints (unicentric or polycentric), positional "
        "orthosis, rigid support, prefabricated, off-the shelf"
    )
    assert release.modifiers["XS"].long.endswith("performed on a separate organ/structure")


def test_first_lines_carry_the_dates_and_coverage_a_coder_sees() -> None:
    ceftriaxone = read_release(TXT).codes["J0696"]
    assert ceftriaxone.short == "Ceftriaxone sodium injection"
    assert (ceftriaxone.effective, ceftriaxone.action) == (date(2026, 1, 1), "C")
    assert (ceftriaxone.coverage, ceftriaxone.betos, ceftriaxone.terminated) == ("C", "O1E", None)


def test_release_named_by_file_name_then_by_content(tmp_path: Path) -> None:
    july = _workbook(
        tmp_path / "HCPC2025_JUL_ANWEB.xlsx",
        [
            ["HCPCS", "LONG_DESCRIPTION"],
            ["E0601", "Continuous positive airway pressure (cpap) device"],
        ],
    )
    assert read_release(july).label == "HCPCS Level II, July 2025"
    # No date in the name: the latest action effective date names the quarter.
    unnamed = shutil.copy(TXT, tmp_path / "alpha-numeric.txt")
    assert read_release(Path(unnamed)).label == "HCPCS Level II, January 2026"
    assert read_release(CSV, edition="April 2026").label == "HCPCS Level II, April 2026"


def test_parsed_releases_survive_pickling() -> None:
    release = read_release(TXT)
    assert pickle.loads(pickle.dumps(release)) == release


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", "", "empty.csv: empty file"),
        ("columns.csv", "name,price\ncpap,10\n", "columns.csv: no header with an HCPC column"),
        (
            "nolong.csv",
            "HCPCS_CODE,SHORT_DESCRIPTION\nJ0696,x\n",
            "nolong.csv: line 1: no LONG DESCRIPTION column",
        ),
        (
            "shape.csv",
            "HCPCS_CODE,SHORT_DESCRIPTION,LONG_DESCRIPTION\nJ0696,a,b\nJ06,a,b\n",
            "shape.csv: line 3: code 'J06' is not a letter and four digits",
        ),
        (
            "twice.csv",
            "HCPCS_CODE,SHORT_DESCRIPTION,LONG_DESCRIPTION\nJ0696,a,b\nJ0696,a,c\n",
            "twice.csv: line 3: J0696 appears twice (first at line 2)",
        ),
        ("notabook.xlsx", "HCPC,LONG\n", "notabook.xlsx: not an Excel workbook"),
        ("prose.txt", "These are not HCPCS records.\n", "prose.txt: line 1: not a HCPCS record"),
        (
            "orphan.txt",
            "J0696001004per 250 mg\n",
            "orphan.txt: line 1: J0696: continuation record with no first line",
        ),
        (
            "letters.txt",
            "JJ696001003Injection\n",
            "letters.txt: line 1: code 'JJ696' is not a letter and four digits",
        ),
    ],
)
def test_malformed_files_fail_with_one_line_naming_file_and_line(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(HcpcsFileError) as caught:
        read_release(path)
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)


def test_a_workbook_without_the_hcpc_column_names_the_file(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "other.xlsx", [["Name", "Price"], ["cpap", 10]])
    with pytest.raises(HcpcsFileError, match=r"^other\.xlsx: no sheet has an HCPC column"):
        read_release(path)


def _noc_workbook(path: Path, codes: list[tuple[str, str]]) -> Path:
    # Laid out like the CMS NOC workbook: a title row and a blank row above the header, a blank
    # row under it, add and term dates as YYYYMMDD numbers.
    rows: list[list[object]] = [
        [None, "NOC CODES - HCPCS 2026", None, None],
        [None, None, None, None],
        ["HCPCS", "LONG DESCRIPTION", "ADD DATE", "TERM DATE"],
        [None, None, None, None],
    ]
    rows += [[code, text, 19840101, None] for code, text in codes]
    return _workbook(path, rows)


def test_noc_list_flags_the_codes_it_names_and_keeps_its_text(tmp_path: Path) -> None:
    noc = read_noc(
        _noc_workbook(tmp_path / "NOC_codes_JAN2026.xlsx", [("J3490", "Unclassified drugs NOC")])
    )
    assert noc.edition == "January 2026"
    assert noc.entries["J3490"].text == "Unclassified drugs NOC"
    assert noc.entries["J3490"].added is not None and noc.entries["J3490"].added.year == 1984
    release = read_release(TXT).with_noc(noc)
    assert release.codes["J3490"].noc
    assert not release.codes["J0696"].noc


def test_noc_list_rejects_a_malformed_code(tmp_path: Path) -> None:
    path = _noc_workbook(tmp_path / "noc.xlsx", [("J3490", "ok"), ("3490J", "bad")])
    with pytest.raises(HcpcsFileError, match=r"^noc\.xlsx: row 6: code '3490J'"):
        read_noc(path)


def test_typed_codes_and_modifiers_are_normalized() -> None:
    release = read_release(TXT)
    assert normalize_code(" j0696 ") == "J0696"
    assert normalize_code("rt") is None  # two letters alone could be any word
    assert normalize_code("rt", modifier=True) == "RT"
    assert normalize_code("-kx", release) == "KX"  # known to the release
    assert normalize_code("zz", release) is None
    assert looks_like_hcpcs("e1130") and looks_like_hcpcs(" L1833")
    assert not looks_like_hcpcs("E11.65") and not looks_like_hcpcs("99213")
    assert release.get(" j0696") == release.codes["J0696"]


# --- the real CMS files in ../shared/data/hcpcs ----------------------------------------------


def _shared(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"real HCPCS file not available: {path} (see shared/data/README.md)")
    return path


@pytest.mark.integration
def test_january_2026_csv_has_every_code_and_modifier() -> None:
    release = read_release(_shared("hcpcs-2026-jan.csv"))
    assert (len(release.codes), len(release.modifiers)) == (8623, 383)
    assert release.label == "HCPCS Level II, January 2026"
    assert release.codes["J0696"].long == "Injection, ceftriaxone sodium, per 250 mg"
    assert release.modifiers["RT"].short == "Right side"


@pytest.mark.integration
def test_july_2025_workbook_parses() -> None:
    release = read_release(_shared("HCPC2025_JUL_ANWEB_v3-trimmed.xlsx"))
    assert release.label == "HCPCS Level II, July 2025"
    assert len(release.codes) > 8000 and len(release.modifiers) > 350
    assert release.codes["E0601"].long == "Continuous positive airway pressure (cpap) device"
    assert release.modifiers["GA"].long.startswith("Waiver of liability statement")


@pytest.mark.integration
def test_real_noc_list_names_codes_of_its_release() -> None:
    noc = read_noc(_shared("NOC_codes_JUL2025.xlsx"))
    release = read_release(_shared("HCPC2025_JUL_ANWEB_v3-trimmed.xlsx")).with_noc(noc)
    assert noc.edition == "July 2025"
    assert {"J3490", "E1399", "A0999"} <= set(noc.entries)
    assert all(release.codes[code].noc for code in noc.entries if code in release.codes)
    assert not release.codes["J0696"].noc


@pytest.mark.integration
@pytest.mark.parametrize("name", ["hcpcs_dev.jsonl", "hcpcs_holdout.jsonl"])
def test_every_evaluation_code_exists_in_january_2026(name: str) -> None:
    release = read_release(_shared("hcpcs-2026-jan.csv"))
    rows = [
        json.loads(line)
        for line in (REPO / "knowledge" / "eval" / name).read_text().splitlines()
        if line.strip()
    ]
    assert len(rows) >= (80 if name == "hcpcs_dev.jsonl" else 30)
    missing = [row["code"] for row in rows if release.get(row["code"]) is None]
    assert missing == []
    # Written in billers' words, not the descriptors' own.
    descriptors = {e.long.lower() for e in (*release.codes.values(), *release.modifiers.values())}
    assert [row["query"] for row in rows if row["query"].lower() in descriptors] == []
