"""The ICD-10-CM Tabular List: parsing the official XML into a navigable code tree.

The tree holds chapters, blocks (sections such as ``E08-E13``), categories, subcategories and
codes, each with the instructional notes written at its own level. Codes that need a 7th
character exist in the XML only without it; the full codes (``S02.2XXA``) are derived here
from the nearest ``sevenChrDef`` above them.
"""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from assistant.codesets.icd10cm.syntax import compact, normalize_code

CODE_SET = "ICD-10-CM"

# XML element -> the key used for it everywhere in medcode (JSON, metadata, answers).
NOTE_TAGS: dict[str, str] = {
    "includes": "includes",
    "inclusionTerm": "inclusion_terms",
    "excludes1": "excludes1",
    "excludes2": "excludes2",
    "codeFirst": "code_first",
    "useAdditionalCode": "use_additional_code",
    "codeAlso": "code_also",
    "sevenChrNote": "seven_chr_note",
    "notes": "notes",
}

# A category note may withdraw 7th characters from some codes, as S06 does: "7th characters D
# and S do not apply to codes in category S06 with 6th character 7 - ..., or 8 - ...".
_SEVENTH_EXCEPTION = re.compile(
    r"7th characters? ((?:[A-Z](?:, | and |, and )?)+) do(?:es)? not apply to codes in "
    r"category \w+ with 6th character (.*)"
)


class TabularError(ValueError):
    """The tabular file is missing or is not an ICD-10-CM tabular XML."""


@dataclass(slots=True)
class Node:
    """One level of the Tabular List with the notes written at that level."""

    key: str  # unique: "ch:4", "blk:E08-E13", or the dotted code
    code: str  # what a coder reads: "Chapter 4", "E08-E13", "E11.65"
    kind: str  # chapter | block | category | subcategory | code
    description: str
    parent: str | None = None
    children: list[str] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    seventh: dict[str, str] = field(default_factory=dict)  # own sevenChrDef only
    placeholder: bool = False


class Tabular:
    """An ICD-10-CM release: every node, with lookups for validity, billability and ancestry."""

    def __init__(self, version: str, nodes: dict[str, Node], source: str) -> None:
        self.version = version
        self.source = source
        self._nodes = nodes

    @property
    def label(self) -> str:
        """Human name of the release, used in every answer (``ICD-10-CM FY2026``)."""
        return f"{CODE_SET} FY{self.version}"

    @property
    def source_label(self) -> str:
        """How a citation names the Tabular List (``ICD-10-CM FY2026 Tabular List``)."""
        return f"{self.label} Tabular List"

    # --- navigation -------------------------------------------------------------------
    def node(self, key: str) -> Node | None:
        """The node for a key or a code in any spelling, including derived 7th-character codes."""
        found = self._nodes.get(key)
        if found is not None:
            return found
        code = normalize_code(key)
        if code is None:
            return None
        found = self._nodes.get(code)
        return found if found is not None else self._seventh_node(code)

    def __contains__(self, code: str) -> bool:
        return self.node(code) is not None and not self.node(code).key.startswith(("ch:", "blk:"))  # type: ignore[union-attr]

    def ancestors(self, key: str) -> list[Node]:
        """Nodes above ``key``, outermost (chapter) first."""
        node = self.node(key)
        chain: list[Node] = []
        while node is not None and node.parent is not None:
            node = self._nodes[node.parent]
            chain.append(node)
        return list(reversed(chain))

    def is_manifestation(self, key: str) -> bool:
        """Whether a code names a condition "in diseases classified elsewhere": a "code first"
        note on it or its category, or those words in its title (Official Guidelines I.A.13,
        etiology/manifestation convention)."""
        node = self.node(key)
        if node is None:
            return False
        levels = [node, *(n for n in self.ancestors(key) if n.kind not in {"chapter", "block"})]
        return "classified elsewhere" in node.description.lower() or any(
            n.notes.get("code_first") for n in levels
        )

    @cached_property
    def ranges(self) -> frozenset[str]:
        """Official ranges: block ids and chapter spans ("E08-E13", "U00-U85")."""
        spans = {n.code for n in self._nodes.values() if n.kind == "block" and "-" in n.code}
        for n in self._nodes.values():
            if n.kind == "chapter":
                spans.update(re.findall(r"\(([A-Z0-9]{3}-[A-Z0-9]{3})\)", n.description))
        return frozenset(spans)

    def codes(self) -> Iterator[Node]:
        """Every category, subcategory and code in the XML (not chapters or blocks)."""
        return (n for n in self._nodes.values() if n.kind in {"category", "subcategory", "code"})

    # --- 7th characters ---------------------------------------------------------------
    def seventh_characters(self, key: str) -> tuple[dict[str, str], Node | None]:
        """The 7th-character values that apply to ``key`` and the node that defines them."""
        node = self.node(key)
        while node is not None:
            if node.seventh:
                return node.seventh, node
            node = self._nodes.get(node.parent) if node.parent else None
        return {}, None

    def seventh_values(self, key: str) -> dict[str, str]:
        """The 7th characters valid for the leaf ``key``, after any exception a note makes."""
        values, owner = self.seventh_characters(key)
        if not values or owner is None:
            return values
        sixth = compact(key).ljust(6, "X")[5]
        for note in owner.notes.get("notes", []):
            match = _SEVENTH_EXCEPTION.search(note)
            if match and sixth in re.findall(r"(?:^|or |, )(\w) - ", match.group(2)):
                withdrawn = set(re.findall(r"[A-Z]", match.group(1)))
                values = {c: v for c, v in values.items() if c not in withdrawn}
        return values

    def needs_seventh(self, key: str) -> bool:
        """True for a leaf of the XML whose billable form has a 7th character."""
        node = self._nodes.get(key)
        return bool(node and not node.children and self.seventh_characters(key)[0])

    def with_seventh(self, code: str, char: str) -> str:
        """The full code: ``S02.2`` + ``A`` -> ``S02.2XXA`` (placeholder X up to six characters)."""
        raw = compact(code).ljust(6, "X") + char.upper()
        return f"{raw[:3]}.{raw[3:]}"

    def _seventh_node(self, code: str) -> Node | None:
        raw = compact(code)
        if len(raw) != 7:
            return None
        base_raw = raw[:6].rstrip("X")
        base = normalize_code(base_raw) or ""
        if base not in self._nodes or not self.needs_seventh(base):
            return None
        if self.with_seventh(base, raw[6]) != code:
            return None
        meaning = self.seventh_values(base).get(raw[6])
        if meaning is None:
            return None
        parent = self._nodes[base]
        return Node(
            key=code,
            code=code,
            kind="code",
            description=f"{parent.description}, {meaning}",
            parent=base,
        )

    # --- billability --------------------------------------------------------------------
    def is_billable(self, code: str) -> bool:
        """A code is billable when it is a leaf that needs no further character."""
        node = self.node(code)
        if node is None or node.kind in {"chapter", "block"} or node.children:
            return False
        return not (node.key in self._nodes and self.needs_seventh(node.key))

    def billable_codes(self) -> Iterator[str]:
        """Every billable code of the release, 7th-character codes included."""
        for node in self.codes():
            if node.children:
                continue
            if self.needs_seventh(node.key):
                for char in self.seventh_values(node.key):
                    yield self.with_seventh(node.key, char)
            else:
                yield node.key

    def leaves_under(self, key: str, limit: int | None = None) -> list[str]:
        """Leaves of the XML at or below ``key`` in tabular order (7th characters not added)."""
        out: list[str] = []
        stack = [key]
        while stack and (limit is None or len(out) < limit):
            node = self.node(stack.pop())
            if node is None:
                continue
            if node.children:
                stack.extend(reversed(node.children))
            else:
                out.append(node.key)
        return out

    def billable_under(self, key: str, limit: int | None = None) -> list[str]:
        """Billable codes at or below ``key`` in tabular order (7th characters expanded)."""
        out: list[str] = []
        for leaf in self.leaves_under(key, limit):
            if leaf in self._nodes and self.needs_seventh(leaf):
                out.extend(self.with_seventh(leaf, c) for c in self.seventh_values(leaf))
            else:
                out.append(leaf)
        return out if limit is None else out[:limit]


# --- parsing ---------------------------------------------------------------------------------
def bundled_tabular_path() -> Path:
    """The FY2026 (April 1 2026) tabular XML shipped inside the simple-icd-10-cm package.

    Found without importing the package, whose import parses that XML itself (1.6 s).
    """
    spec = importlib.util.find_spec("simple_icd_10_cm")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        for entry in sorted((Path(folder) / "data").glob("icd10c*.xml")):
            return entry
    raise TabularError("simple-icd-10-cm is installed without its tabular XML")


def load_tabular(path: Path | None = None) -> Tabular:
    """Parse an official ICD-10-CM tabular XML (default: the bundled FY2026 release)."""
    xml_path = path or bundled_tabular_path()
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise TabularError(f"cannot read tabular XML {xml_path}: {exc}") from exc
    if root.tag != "ICD10CM.tabular":
        raise TabularError(f"{xml_path} is not an ICD-10-CM tabular XML (root <{root.tag}>)")
    version = (root.findtext("version") or "").strip() or "unknown"
    nodes: dict[str, Node] = {}
    for chapter in root.iter("chapter"):
        ch_key = f"ch:{_text(chapter, 'name')}"
        nodes[ch_key] = Node(
            key=ch_key,
            code=f"Chapter {_text(chapter, 'name')}",
            kind="chapter",
            description=_text(chapter, "desc"),
            notes=_notes(chapter),
        )
        for section in chapter.findall("section"):
            blk_key = f"blk:{section.get('id', '')}"
            nodes[blk_key] = Node(
                key=blk_key,
                code=section.get("id", ""),
                kind="block",
                description=_text(section, "desc"),
                parent=ch_key,
                notes=_notes(section),
            )
            nodes[ch_key].children.append(blk_key)
            for diag in section.findall("diag"):
                _add_diag(diag, blk_key, nodes)
    if not any(n.kind == "code" for n in nodes.values()):
        raise TabularError(f"{xml_path} holds no ICD-10-CM codes")
    return Tabular(version=version, nodes=nodes, source=str(xml_path))


def _add_diag(element: ET.Element, parent: str, nodes: dict[str, Node]) -> None:
    code = normalize_code(_text(element, "name"))
    if code is None:
        raise TabularError(f"malformed code {_text(element, 'name')!r} in tabular XML")
    children = element.findall("diag")
    kind = "category" if "." not in code else ("subcategory" if children else "code")
    nodes[code] = Node(
        key=code,
        code=code,
        kind=kind,
        description=_text(element, "desc"),
        parent=parent,
        notes=_notes(element),
        seventh={
            ext.get("char", ""): " ".join((ext.text or "").split())
            for ext in element.findall("sevenChrDef/extension")
        },
        placeholder=element.get("placeholder") == "true",
    )
    nodes[parent].children.append(code)
    for child in children:
        _add_diag(child, code, nodes)


def _notes(element: ET.Element) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for tag, kind in NOTE_TAGS.items():
        texts = [
            " ".join((note.text or "").split())
            for holder in element.findall(tag)
            for note in holder.findall("note")
        ]
        if texts:
            out[kind] = texts
    return out


def _text(element: ET.Element, tag: str) -> str:
    return " ".join((element.findtext(tag) or "").split())
