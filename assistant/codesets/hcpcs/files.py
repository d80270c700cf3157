"""Readers for CMS HCPCS Level II release files (fixed-width TXT, XLSX workbook, CSV) and the
not-otherwise-classified (NOC) list, plus the shape of typed codes and modifiers.

The fixed-width positions follow the CMS HCPCS contractor record layout
(``HCPC<YYYY>_recordlayout.txt``, 320-byte record): HCPC 1-5 (a modifier in 4-5), sequence
number 6-10, record id 11 (3 first line of a code, 4 its continuation, 7 first line of a
modifier, 8 its continuation), long description 12-91, short description 92-119, coverage code
230, BETOS 257-259, code added date 269-276, action effective date 277-284, termination date
285-292, action code 293. Only first lines (3, 7) carry the fields after 91.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

Kind = Literal["code", "modifier"]

TITLE = "HCPCS Level II"

_CODE = re.compile(r"[A-Z][0-9]{4}")
_MODIFIER = re.compile(r"[A-Z0-9]{2}")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June") + (
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTHS = [name[:3].lower() for name in _MONTH_NAMES]
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_MONTH_YEAR = re.compile(rf"(?<![a-z]){_MONTH}[_\- ]?((?:19|20)\d\d)(?!\d)", re.I)
_YEAR_MONTH = re.compile(rf"(?<!\d)((?:19|20)\d\d)[_\- ]?{_MONTH}", re.I)

# Record ids of the CMS layout (field 6): what kind of entry a line is and whether it starts it.
_RECORD_IDS: dict[str, tuple[Kind, bool]] = {
    "3": ("code", True),
    "4": ("code", False),
    "7": ("modifier", True),
    "8": ("modifier", False),
}

# Fixed-width slices, 0-based ends exclusive, from the CMS record layout cited above.
_TXT_FIELDS = {
    "code": (0, 5),
    "seq": (5, 10),
    "recid": (10, 11),
    "long": (11, 91),
    "short": (91, 119),
    "coverage": (229, 230),
    "betos": (256, 259),
    "added": (268, 276),
    "effective": (276, 284),
    "terminated": (284, 292),
    "action": (292, 293),
}

# Column names seen in CMS workbooks and CSV exports, upper-cased with non-alphanumerics removed.
_COLUMNS = {
    "code": {"HCPC", "HCPCS", "HCPCSCODE", "HCPCCODE", "CODE"},
    "seq": {"SEQNUM", "SEQUENCENUMBER", "SEQ"},
    "recid": {"RECID", "RECORDID", "RIC"},
    "long": {"LONGDESCRIPTION", "LONGDESC"},
    "short": {"SHORTDESCRIPTION", "SHORTDESC"},
    "added": {"ADDDT", "ADDDATE", "CODEADDEDDATE"},
    "effective": {"ACTEFFDT", "ACTIONEFFECTIVEDATE"},
    "terminated": {"TERMDT", "TERMDATE", "TERMINATIONDATE"},
    "action": {"ACTIONCD", "ACTIONCODE"},
    "coverage": {"COV", "COVERAGECODE"},
    "betos": {"BETOS"},
}
_WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
_HEADER_ROWS = 20  # the NOC workbook puts a title and a blank row above its header (row 3)
_ZIP_MAGIC = b"PK\x03\x04"  # every XLSX is a ZIP archive


class HcpcsFileError(ValueError):
    """A HCPCS file that cannot be read; the one-line message names the file and the row."""

    def __init__(self, path: Path, problem: str, where: str = "") -> None:
        at = f": {where}" if where else ""
        super().__init__(f"{path.name}{at}: {' '.join(problem.split())}")


@dataclass(frozen=True)
class Entry:
    """One HCPCS Level II code or modifier as a coder looks it up."""

    code: str
    short: str
    long: str
    kind: Kind
    noc: bool = False  # named in the CMS not-otherwise-classified list
    added: date | None = None
    effective: date | None = None  # date of the latest CMS action on the code
    terminated: date | None = None
    action: str | None = None  # CMS action code: A added, C/B/S changed, D discontinued, N none
    coverage: str | None = None  # CMS coverage code: C, D, I, M or S
    betos: str | None = None  # Berenson-Eggers type of service


@dataclass(frozen=True)
class Release:
    """The codes and modifiers of one HCPCS Level II release file."""

    edition: str  # "January 2026"; empty when neither the file name nor its content says
    source: str  # file name read
    codes: dict[str, Entry] = field(default_factory=dict, hash=False)
    modifiers: dict[str, Entry] = field(default_factory=dict, hash=False)

    @property
    def label(self) -> str:
        """How answers name the release: ``HCPCS Level II, January 2026``."""
        return f"{TITLE}, {self.edition}" if self.edition else TITLE

    def get(self, code: str) -> Entry | None:
        """The code or modifier as typed (any case, spaces around), or None."""
        key = code.strip().upper()
        return self.codes.get(key) or self.modifiers.get(key)

    def with_noc(self, noc: NocList) -> Release:
        """This release with ``noc=True`` on every code the NOC list names."""
        codes = {
            code: replace(entry, noc=True) if code in noc.entries else entry
            for code, entry in self.codes.items()
        }
        return replace(self, codes=codes)


@dataclass(frozen=True)
class NocEntry:
    """A code of the CMS not-otherwise-classified list, in the list's own words."""

    code: str
    text: str
    added: date | None = None
    terminated: date | None = None


@dataclass(frozen=True)
class NocList:
    """The CMS list of not-otherwise-classified HCPCS codes."""

    edition: str
    source: str
    entries: dict[str, NocEntry] = field(default_factory=dict, hash=False)


def looks_like_hcpcs(token: str) -> bool:
    """Whether a typed token has the shape of a HCPCS Level II code: a letter and four digits."""
    return _CODE.fullmatch(token.strip().upper()) is not None


def normalize_code(
    token: str, release: Release | None = None, *, modifier: bool = False
) -> str | None:
    """The canonical spelling of a typed code (`` j0696 `` -> ``J0696``) or modifier (``rt`` ->
    ``RT``, only when ``modifier`` says the context names one or ``release`` knows it), else None.
    Says nothing about whether a code exists."""
    text = token.strip().upper()
    if _CODE.fullmatch(text):
        return text
    text = text.lstrip("-")  # "-RT", the way modifiers are appended to a code on a claim line
    if _MODIFIER.fullmatch(text) and (modifier or (release and text in release.modifiers)):
        return text
    return None


def read_release(path: Path, edition: str | None = None) -> Release:
    """Read a HCPCS Level II release in any of its three forms, chosen by content and suffix."""
    data = _read_bytes(path)
    sheet = ""
    if data.startswith(_ZIP_MAGIC) or path.suffix.lower() in _WORKBOOK_SUFFIXES:
        rows, sheet = _workbook_rows(path, data)
        entries = _assemble(path, _table(path, rows, "row"))
    else:
        text = _decode(data)
        first = next((line for line in text.splitlines() if line.strip()), "")
        if _is_header(first) or path.suffix.lower() == ".csv":
            entries = _assemble(path, _table(path, _csv_rows(text), "line"))
        else:
            entries = _assemble(path, _fixed_width(path, text))
    codes = {e.code: e for e in entries if e.kind == "code"}
    modifiers = {e.code: e for e in entries if e.kind == "modifier"}
    if not codes and not modifiers:
        raise HcpcsFileError(path, "no codes or modifiers")
    found = edition or _edition(path.name) or _edition(sheet) or _edition_from_dates(entries)
    return Release(found, path.name, codes, modifiers)


def read_noc(path: Path, edition: str | None = None) -> NocList:
    """Read the CMS not-otherwise-classified list (its XLSX, or a CSV with the same columns)."""
    data = _read_bytes(path)
    sheet = ""
    if data.startswith(_ZIP_MAGIC) or path.suffix.lower() in _WORKBOOK_SUFFIXES:
        rows, sheet = _workbook_rows(path, data)
        table = _table(path, rows, "row")
    else:
        table = _table(path, _csv_rows(_decode(data)), "line")
    entries: dict[str, NocEntry] = {}
    for where, row in table:
        code = row["code"].upper()
        if not _CODE.fullmatch(code):
            raise HcpcsFileError(path, f"code {code!r} is not a letter and four digits", where)
        entries[code] = NocEntry(
            code,
            row.get("long", ""),
            _date(row.get("added", ""), path, where),
            _date(row.get("terminated", ""), path, where),
        )
    if not entries:
        raise HcpcsFileError(path, "no NOC codes")
    return NocList(edition or _edition(path.name) or _edition(sheet), path.name, entries)


# --- reading the three forms into rows of named fields ---------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HcpcsFileError(path, f"cannot read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise HcpcsFileError(path, "empty file")
    return data


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older CMS text files are Windows-1252; every byte decodes, so this cannot fail.
        return data.decode("cp1252", errors="replace")


def _workbook_rows(path: Path, data: bytes) -> tuple[Iterator[tuple[int, list[Any]]], str]:
    """The rows of the first sheet that has a header, numbered as Excel numbers them."""
    if not data.startswith(_ZIP_MAGIC):
        raise HcpcsFileError(path, "not an Excel workbook (no XLSX/ZIP signature)")
    try:
        from openpyxl import load_workbook  # optional dependency: only workbooks need it
    except ImportError:
        raise HcpcsFileError(path, "reading an XLSX workbook needs openpyxl installed") from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise HcpcsFileError(path, f"not a readable Excel workbook: {exc}") from exc
    try:
        for sheet in book.worksheets:
            rows = list(enumerate((list(r) for r in sheet.iter_rows(values_only=True)), start=1))
            if any(_header_map(cells) for _, cells in rows[:_HEADER_ROWS]):
                return iter(rows), sheet.title
    finally:
        book.close()
    raise HcpcsFileError(
        path, f"no sheet has an HCPC column header in its first {_HEADER_ROWS} rows"
    )


def _csv_rows(text: str) -> Iterator[tuple[int, list[Any]]]:
    return enumerate(csv.reader(io.StringIO(text)), start=1)


def _table(
    path: Path, rows: Iterable[tuple[int, list[Any]]], unit: str
) -> Iterator[tuple[str, dict[str, str]]]:
    """Rows under the header row as fields by canonical name, each with where it was read."""
    header: dict[int, str] = {}
    for number, cells in rows:
        where = f"{unit} {number}"
        if not header:
            header = _header_map(cells)
            if header and "long" not in header.values():
                found = ", ".join(str(c) for c in cells if c not in (None, ""))
                raise HcpcsFileError(path, f"no LONG DESCRIPTION column (columns: {found})", where)
            if not header and number >= _HEADER_ROWS:
                break
            continue
        values = {name: _cell(cells[i]) for i, name in header.items() if i < len(cells)}
        if not any(values.values()):
            continue  # blank separator rows, as under the NOC workbook's header
        if not values.get("code"):
            raise HcpcsFileError(path, "no code in the HCPC column", where)
        yield where, values
    if not header:
        raise HcpcsFileError(
            path, f"no header with an HCPC column in the first {_HEADER_ROWS} {unit}s"
        )


def _header_map(cells: list[Any]) -> dict[int, str]:
    """Column index -> canonical field name, when the row is a header (names the code column)."""
    names: dict[int, str] = {}
    for index, cell in enumerate(cells):
        key = re.sub(r"[^A-Z0-9]", "", str(cell or "").upper())
        for name, aliases in _COLUMNS.items():
            if key in aliases and name not in names.values():
                names[index] = name
    return names if "code" in names.values() else {}


def _is_header(line: str) -> bool:
    return bool(_header_map(next(csv.reader([line]))))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y%m%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a date or sequence number typed as a number in the workbook
    return str(value).strip()


def _fixed_width(path: Path, text: str) -> Iterator[tuple[str, dict[str, str]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) < 12 or line[10] not in _RECORD_IDS:
            raise HcpcsFileError(
                path,
                "not a HCPCS record: no record id 3, 4, 7 or 8 in column 11 (CMS fixed-width "
                "layout), and not a CSV header or an XLSX workbook",
                f"line {number}",
            )
        yield f"line {number}", {name: line[a:b].strip() for name, (a, b) in _TXT_FIELDS.items()}


# --- records to entries ----------------------------------------------------------------------

_Part = tuple[int, int, str, dict[str, str]]  # sequence number, read order, where, fields


def _assemble(path: Path, rows: Iterable[tuple[str, dict[str, str]]]) -> list[Entry]:
    """Entries from records; continuation records join their first line in sequence order."""
    groups: dict[str, list[_Part]] = {}
    for order, (where, fields) in enumerate(rows):
        code = fields["code"].upper()
        seq = fields.get("seq", "")
        if seq and not seq.isdigit():
            raise HcpcsFileError(path, f"sequence number {seq!r} is not a number", where)
        groups.setdefault(code, []).append((int(seq or 0), order, where, fields))
    return [_entry(path, code, parts) for code, parts in groups.items()]


def _entry(path: Path, code: str, parts: list[_Part]) -> Entry:
    parts.sort(key=lambda part: part[:2])
    _, _, where, first = parts[0]
    recid = first.get("recid", "")
    if recid:
        if recid not in _RECORD_IDS:
            raise HcpcsFileError(path, f"record id {recid!r} is not 3, 4, 7 or 8", where)
        kind, starts = _RECORD_IDS[recid]
        if not starts:
            raise HcpcsFileError(path, f"{code}: continuation record with no first line", where)
        for _, _, other_where, other in parts[1:]:
            if _RECORD_IDS.get(other.get("recid", "")) != (kind, False):
                raise HcpcsFileError(
                    path,
                    f"{code}: record id {other.get('recid')!r} after first line {recid}",
                    other_where,
                )
    else:
        kind = "modifier" if len(code) == 2 else "code"
        if len(parts) > 1 and not first.get("seq"):
            raise HcpcsFileError(path, f"{code} appears twice (first at {where})", parts[1][2])
    if kind == "code" and not _CODE.fullmatch(code):
        raise HcpcsFileError(path, f"code {code!r} is not a letter and four digits", where)
    if kind == "modifier" and not _MODIFIER.fullmatch(code):
        raise HcpcsFileError(path, f"modifier {code!r} is not two letters or digits", where)
    # CMS wraps long descriptions between words at 80 characters; the padding is not text.
    long = " ".join(part[3].get("long", "").strip() for part in parts).strip()
    if not long:
        raise HcpcsFileError(path, f"{code} has no long description", where)
    return Entry(
        code=code,
        short=first.get("short", ""),
        long=long,
        kind=kind,
        added=_date(first.get("added", ""), path, where),
        effective=_date(first.get("effective", ""), path, where),
        terminated=_date(first.get("terminated", ""), path, where),
        action=first.get("action") or None,
        coverage=first.get("coverage") or None,
        betos=first.get("betos") or None,
    )


def _date(text: str, path: Path, where: str) -> date | None:
    """A CMS YYYYMMDD date; blank or all-zero fields mean none."""
    text = text.strip()
    if not text or set(text) == {"0"}:
        return None
    try:
        return datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError:
        raise HcpcsFileError(path, f"date {text!r} is not YYYYMMDD", where) from None


# --- the release's name ----------------------------------------------------------------------


def _edition(text: str) -> str:
    """``HCPC2025_JUL_ANWEB`` / ``hcpcs-2026-jan`` / ``NOC_codes_JUL2025`` -> ``July 2025``."""
    if match := _MONTH_YEAR.search(text):
        month, year = match.group(1), match.group(2)
    elif match := _YEAR_MONTH.search(text):
        year, month = match.group(1), match.group(2)
    else:
        return ""
    return f"{_MONTH_NAMES[_MONTHS.index(month.lower())]} {year}"


def _edition_from_dates(entries: list[Entry]) -> str:
    """The month of the latest action effective date: CMS quarterly files date each change to
    the first day of the quarter they publish (record layout field 'action effective date')."""
    dates = [e.effective for e in entries if e.effective]
    if not dates:
        return ""
    latest = max(dates)
    return f"{_MONTH_NAMES[latest.month - 1]} {latest.year}"
