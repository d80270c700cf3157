"""The ICD-10-PCS Tables: which 7-character codes exist, and what each character means.

CMS publishes one ``pcsTable`` per first three characters (section, body system, root
operation); each ``pcsRow`` lists the values allowed together for characters 4 to 7 (body
part, approach, device, qualifier in the Medical and Surgical section). A code is valid iff
one row of its table allows each of its characters 4 to 7.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.codesets.icd10pcs.titles import long_title
from assistant.codesets.icd10pcs.xmlfile import child_text, read_root, require, text

if TYPE_CHECKING:
    from assistant.codesets.icd10pcs.definitions import Definitions

ROOT_TAG = "ICD10PCS.tabular"
CODE_LENGTH = 7
# PCS uses digits and the letters other than O and I (they read as 0 and 1).
ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")
# The section characters CMS defines (0-9, B, C, D, F, G, H, X): a code starts with one.
SECTIONS = frozenset("0123456789BCDFGHX")
_SEPARATORS = re.compile(r"[\s.\-_/]+")


@dataclass(frozen=True, slots=True)
class Axis:
    """One character position of a table or row: its title and the values it allows."""

    position: int
    title: str
    labels: Mapping[str, str]  # value character -> label, in file order


@dataclass(frozen=True, slots=True)
class AxisValue:
    """One character of a code, explained: position, axis name, value, label, definition."""

    position: int
    name: str
    value: str
    label: str
    definition: str


@dataclass(frozen=True, slots=True)
class PcsRow:
    """One row of a table: the values allowed together for characters 4 to 7."""

    axes: tuple[Axis, Axis, Axis, Axis]

    def allows(self, tail: str) -> int:
        """How many leading characters of ``tail`` (characters 4-7 of a code) this row allows."""
        for done, (axis, char) in enumerate(zip(self.axes, tail, strict=False)):
            if char not in axis.labels:
                return done
        return min(len(tail), 4)

    def codes(self, table: str) -> Iterator[str]:
        """Every code this row makes under the 3-character ``table``."""
        for chars in itertools.product(*(axis.labels for axis in self.axes)):
            yield table + "".join(chars)

    @property
    def size(self) -> int:
        """How many codes this row makes."""
        count = 1
        for axis in self.axes:
            count *= len(axis.labels)
        return count


@dataclass(frozen=True, slots=True)
class PcsTable:
    """One table: characters 1-3 (one value each) and its rows."""

    code: str
    axes: tuple[Axis, Axis, Axis]
    definition: str  # the table's own definition of its root operation or type
    rows: tuple[PcsRow, ...]

    def label(self, position: int) -> str:
        """The label of character ``position`` (1-3) of this table."""
        return self.axes[position - 1].labels[self.code[position - 1]]

    @property
    def title(self) -> str:
        """'0DT (Medical and Surgical, Gastrointestinal System, Resection)'."""
        return f"{self.code} ({', '.join(self.label(p) for p in (1, 2, 3))})"


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: caches key on it
class PcsTables:
    """All tables of one release, keyed by their first three characters."""

    version: str
    tables: Mapping[str, PcsTable]

    def table(self, code: str) -> PcsTable | None:
        """The table a (normalised) code or code prefix belongs to."""
        return self.tables.get(code[:3])

    def rows(self, table: str) -> tuple[PcsRow, ...]:
        """The rows of the 3-character ``table`` (empty for an unknown table)."""
        found = self.tables.get(normalize(table)[:3])
        return found.rows if found else ()

    def codes(self, prefix: str = "") -> Iterator[str]:
        """Every valid code beginning with ``prefix`` (every code of the release for "")."""
        prefix = normalize(prefix)
        for key, table in self.tables.items():
            if not (key.startswith(prefix) or prefix.startswith(key)):
                continue
            for row in table.rows:
                if row.allows(prefix[3:]) < len(prefix[3:]):
                    continue
                yield from (c for c in row.codes(key) if c.startswith(prefix))

    def is_valid(self, code: str) -> bool:
        """Whether ``code`` (as typed) is a valid code of this release."""
        return self.validate(code) is None

    def validate(self, code: str) -> str | None:
        """None for a valid code, else one line saying which character is wrong and why."""
        typed = normalize(code)
        problem = _shape_problem(typed)
        if problem:
            return f"{typed or code.strip()!r} is not a valid ICD-10-PCS code: {problem}"
        table = self.tables.get(typed[:3])
        if table is None:
            return f"{typed} is not a valid ICD-10-PCS code: {self._missing_table(typed)}"
        tail = typed[3:]
        best = max(table.rows, key=lambda row: row.allows(tail))
        done = best.allows(tail)
        if done == 4:
            return None
        return f"{typed} is not a valid ICD-10-PCS code: {_row_problem(table, best, tail, done)}"

    def _missing_table(self, code: str) -> str:
        """Why no table begins with ``code``'s first three characters."""
        if not any(key[0] == code[0] for key in self.tables):
            return f"section {code[0]} does not exist"
        if not any(key[:2] == code[:2] for key in self.tables):
            return f"body system {code[1]} does not exist in section {code[0]}"
        return f"table {code[:3]} does not exist (no operation {code[2]} in body system {code[:2]})"

    def explain(self, code: str, definitions: Definitions | None = None) -> list[AxisValue]:
        """Each character of a valid code: position, axis name, value, label, definition."""
        typed = self._checked(code)
        table = self.tables[typed[:3]]
        row = next(row for row in table.rows if row.allows(typed[3:]) == 4)
        axes = (*table.axes, *row.axes)
        values: list[AxisValue] = []
        for axis, char in zip(axes, typed, strict=True):
            label = axis.labels[char]
            meaning = table.definition if axis.position == 3 else ""
            if definitions is not None and not meaning:
                meaning = definitions.meaning(typed[0], axis.position, label, table.label(2))
            values.append(AxisValue(axis.position, axis.title, char, label, meaning))
        return values

    def describe(self, code: str) -> str:
        """The code's description in the style of CMS long titles (see ``titles``)."""
        values = self.explain(code)
        return long_title(values[0].value, [value.label for value in values])

    def _checked(self, code: str) -> str:
        """The normalised code, or ValueError with the one-line validation message."""
        problem = self.validate(code)
        if problem:
            raise ValueError(problem)
        return normalize(code)

    def __len__(self) -> int:
        """How many codes the release has."""
        return sum(row.size for table in self.tables.values() for row in table.rows)


def normalize(text: str) -> str:
    """A typed code in canonical form: upper case, no spaces, dots, dashes or slashes."""
    return _SEPARATORS.sub("", text).upper()


def looks_like_pcs(text: str) -> bool:
    """Whether ``text`` has the shape of a PCS code (7 PCS characters, a section first)."""
    return not _shape_problem(normalize(text))


def _shape_problem(code: str) -> str:
    """Why ``code`` cannot be a PCS code whatever the tables say ("" when it can)."""
    if len(code) != CODE_LENGTH:
        return f"it has {len(code)} characters; ICD-10-PCS codes have {CODE_LENGTH}"
    for position, char in enumerate(code, start=1):
        if char in "OI":
            return f"character {position} is the letter {char}, which ICD-10-PCS never uses"
        if char not in ALPHABET:
            return f"character {position} ({char!r}) is not a digit or a letter"
    if code[0] not in SECTIONS:
        return f"section {code[0]} does not exist"
    return ""


def _row_problem(table: PcsTable, row: PcsRow, tail: str, done: int) -> str:
    """Which axis value of ``tail`` the closest ``row`` of ``table`` does not allow."""
    axis = row.axes[done]
    where = f"table {table.code} ({table.label(3)})"
    if done == 0:
        return f"{axis.title.lower()} {tail[0]} does not exist in {where}"
    allowed = ", ".join(
        f"{a.title.lower()} {c} {a.labels[c]}" for a, c in zip(row.axes, tail[:done], strict=False)
    )
    return f"{axis.title.lower()} {tail[done]} does not exist in {where} for {allowed}"


def parse_tables(path: Path | str) -> PcsTables:
    """Read the CMS tables XML (``icd10pcs_tables_YYYY.xml``) into :class:`PcsTables`."""
    root = read_root(path, ROOT_TAG)
    tables: dict[str, PcsTable] = {}
    for number, element in enumerate(root.iter("pcsTable"), start=1):
        table = _parse_table(element, path, number)
        tables[table.code] = table
    require(bool(tables), path, "no <pcsTable> elements")
    return PcsTables(version=child_text(root, "version"), tables=tables)


def _parse_table(element: ET.Element, path: Path | str, number: int) -> PcsTable:
    """One ``pcsTable`` element (the ``number``-th of the file, for error messages)."""
    head = tuple(_parse_axis(a, path, f"table {number}") for a in element.findall("axis"))
    require(len(head) == 3, path, f"table {number} has {len(head)} axes, expected 3")
    for axis in head:
        require(
            len(axis.labels) == 1, path, f"table {number} axis {axis.position} has not one value"
        )
    code = "".join(next(iter(axis.labels)) for axis in head)
    definition = next(
        (text(a.find("definition")) for a in element.findall("axis") if a.get("pos") == "3"), ""
    )
    rows = tuple(
        _parse_row(r, path, f"table {code} row {i}")
        for i, r in enumerate(element.findall("pcsRow"), start=1)
    )
    require(bool(rows), path, f"table {code} has no rows")
    return PcsTable(code, (head[0], head[1], head[2]), definition, rows)


def _parse_row(element: ET.Element, path: Path | str, where: str) -> PcsRow:
    """One ``pcsRow``: exactly the axes 4, 5, 6 and 7, in that order."""
    axes = tuple(_parse_axis(a, path, where) for a in element.findall("axis"))
    positions = [axis.position for axis in axes]
    require(positions == [4, 5, 6, 7], path, f"{where} has axes {positions}, expected [4, 5, 6, 7]")
    return PcsRow((axes[0], axes[1], axes[2], axes[3]))


def _parse_axis(element: ET.Element, path: Path | str, where: str) -> Axis:
    """One ``axis`` element: ``pos``, ``title`` and its ``label code=`` values."""
    position = element.get("pos", "")
    require(position.isdigit(), path, f"{where}: axis without a numeric pos")
    labels: dict[str, str] = {}
    for label in element.findall("label"):
        char = label.get("code", "")
        require(
            len(char) == 1 and char in ALPHABET,
            path,
            f"{where} axis {position}: bad value {char!r}",
        )
        labels[char] = text(label)
    require(bool(labels), path, f"{where} axis {position} has no values")
    return Axis(int(position), child_text(element, "title"), labels)
