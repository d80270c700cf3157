"""Measuring the code builder on a set of descriptions with their expected complete codes.

Rows are ``{"query": str, "code": str}`` (JSON lines). ``python -m
assistant.codesets.icd10pcs.devset FILE --source-dir DIR`` reads the CMS tables, definitions
and index XML from DIR and prints n, top1 and top5 (complete-code matches).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from assistant.codesets.icd10pcs.build import build
from assistant.codesets.icd10pcs.definitions import Definitions, parse_definitions
from assistant.codesets.icd10pcs.index import PcsIndex, parse_index
from assistant.codesets.icd10pcs.tables import PcsTables, normalize, parse_tables
from assistant.codesets.icd10pcs.xmlfile import PcsFileError

# The release files, by the names CMS gives them ("icd10pcs_tables_2026.xml").
PATTERNS = {
    "tables": "icd10pcs_tables_*.xml",
    "definitions": "icd10pcs_definitions_*.xml",
    "index": "icd10pcs_index_*.xml",
}


def evaluate(
    rows: Iterable[Mapping[str, str]],
    tables: PcsTables,
    definitions: Definitions | None,
    index: PcsIndex,
    misses: list[str] | None = None,
) -> dict[str, float]:
    """{"n", "top1", "top5"}: the share of rows whose expected code ranks first / in the top 5."""
    n = top1 = top5 = 0
    for row in rows:
        expected = normalize(row["code"])
        codes = build(row["query"], tables, definitions, index, limit=5).codes
        n += 1
        top1 += bool(codes) and codes[0] == expected
        top5 += expected in codes
        if misses is not None and (not codes or codes[0] != expected):
            misses.append(f"{row['query']!r}: expected {expected}, got {codes[:5]}")
    if n == 0:
        return {"n": 0, "top1": 0.0, "top5": 0.0}
    return {"n": n, "top1": round(top1 / n, 3), "top5": round(top5 / n, 3)}


def source_files(directory: Path) -> dict[str, Path]:
    """The newest tables, definitions and index files in ``directory``."""
    found: dict[str, Path] = {}
    for kind, pattern in PATTERNS.items():
        matches = sorted(directory.glob(pattern))
        if not matches:
            raise PcsFileError(f"{directory}: no {pattern} file")
        found[kind] = matches[-1]
    return found


def read_rows(path: Path) -> list[dict[str, str]]:
    """The JSON-lines rows of ``path`` (blank lines skipped)."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise PcsFileError(f"{path}:{number}: not JSON ({exc.msg})") from None
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures for one file of rows; 1 with a one-line error when inputs are bad."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="JSON lines of {query, code}")
    parser.add_argument(
        "--source-dir",
        type=Path,
        required=True,
        help="folder with the CMS tables, definitions and index XML",
    )
    parser.add_argument("--misses", action="store_true", help="also list the rows missed at top 1")
    args = parser.parse_args(argv)
    try:
        files = source_files(args.source_dir)
        rows = read_rows(args.file)
        tables = parse_tables(files["tables"])
        definitions = parse_definitions(files["definitions"])
        index = parse_index(files["index"])
    except (PcsFileError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    misses: list[str] = []
    print(json.dumps(evaluate(rows, tables, definitions, index, misses)))
    if args.misses:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
