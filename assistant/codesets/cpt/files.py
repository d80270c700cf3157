"""Reading a licensed CPT descriptor file (CSV: code, descriptor) that the user supplies.

CPT codes and descriptors are copyrighted by the American Medical Association: medcode ships
none, and reads only a file an organisation licenses. Category I codes are five digits
(99213), Category II four digits and F, Category III four digits and T, PLA codes four digits
and U (AMA CPT code categories).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

CODE = re.compile(r"\d{4}[0-9FTU]")
_CODE_COLUMNS = {"code", "cpt", "cptcode", "cpt_code", "hcpcs", "procedure code"}
_TEXT_COLUMNS = {
    "descriptor",
    "description",
    "long descriptor",
    "long description",
    "long_descriptor",
    "desc",
}


class CptFileError(ValueError):
    """A CPT file that cannot be read; the message names the file and the line."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path.name}: {problem}")


@dataclass(frozen=True)
class CptRelease:
    """The codes and descriptors of one licensed CPT file."""

    edition: str  # the year or edition the user gave, or the file's name
    source: str
    codes: dict[str, str] = field(default_factory=dict, hash=False)


def read_cpt(path: Path, edition: str | None = None) -> CptRelease:
    """Read ``code,descriptor`` rows (a header row is recognised and skipped)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252")
    except OSError as exc:
        raise CptFileError(path, f"cannot read it ({exc.strerror or exc})") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise CptFileError(path, "the file is empty")
    code_col, text_col, start = 0, 1, 0
    header = [c.strip().lower() for c in rows[0]]
    if not CODE.fullmatch(rows[0][0].strip() if rows[0] else ""):
        code_col = next((i for i, c in enumerate(header) if c in _CODE_COLUMNS), 0)
        text_col = next((i for i, c in enumerate(header) if c in _TEXT_COLUMNS), 1)
        start = 1
    codes: dict[str, str] = {}
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(code_col, text_col):
            raise CptFileError(path, f"line {number}: expected a code and a descriptor")
        code, descriptor = row[code_col].strip().upper(), " ".join(row[text_col].split())
        if not CODE.fullmatch(code):
            raise CptFileError(
                path,
                f"line {number}: {code!r} is not a CPT code (5 characters, e.g. 4 digits and a digit, F, T or U)",
            )
        if not descriptor:
            raise CptFileError(path, f"line {number}: {code} has no descriptor")
        codes[code] = descriptor
    if not codes:
        raise CptFileError(path, "no CPT codes in the file")
    return CptRelease(edition or path.stem, path.name, codes)
