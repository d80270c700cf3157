"""ICD-10-PCS behind the CodeSet seam: the CMS tables, definitions and Index of one release."""

from __future__ import annotations

import hashlib
import re
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from assistant.codesets.icd10pcs.build import BuildResult, build
from assistant.codesets.icd10pcs.definitions import Definitions, parse_definitions
from assistant.codesets.icd10pcs.index import IndexEntry, PcsIndex, parse_index
from assistant.codesets.icd10pcs.tables import PcsTables, looks_like_pcs, normalize, parse_tables
from assistant.codesets.icd10pcs.words import ABBREVIATIONS
from assistant.core.codeset import (
    CodeHit,
    CodeInfo,
    CodeSearch,
    IngestGroup,
    Mention,
    UnknownCodeError,
    label_of,
)
from assistant.core.records import Record, Scalar, record_id
from assistant.core.vocabulary import Vocabulary
from assistant.sources.cache import ParsedCache, vocabulary
from assistant.text.stems import terms

if TYPE_CHECKING:
    from assistant.codesets import LoadContext
    from assistant.search.backends import SearchBackends

NAME = "icd10pcs"
TITLE = "ICD-10-PCS"
# Seven PCS characters (digits and letters but O and I) with a digit among them, written as one
# token; PCS codes are typed in capitals, so ordinary words are not taken for codes.
_TOKEN = re.compile(r"(?<![\w.])([0-9A-HJ-NP-Z]{7})(?![\w])")
DEFINED = (3, 5)  # axes whose definitions an answer quotes: root operation, approach
# Word endings that name an operation in medical terminology (-ectomy excision, -otomy
# incision, -ostomy opening, -plasty repair, -scopy viewing, -pexy fixation, -rrhaphy suture,
# -centesis puncture, -desis binding, -tripsy crushing), matched on word roots.
SURGICAL = re.compile(r"(?:ectom|otom|ostom|plast|scop|pex|rrhaph|centes|odes|trips)$")
_ABBREVIATION = re.compile(r"[A-Z][A-Z0-9]{1,7}")  # "EGD", "TURP", "CABG"
OPERATION_SECTIONS = ("0", "1", "5")  # Medical and Surgical, Obstetrics, Extracorporeal
MAX_PHRASE = 3  # longer Index main terms are device and technique names, not how one asks
# Root operations whose names are everyday words that name no procedure on their own ("a
# change", "under control", "a transfer"), or a condition as often ("retinal detachment").
GENERIC_OPERATIONS = frozenset(
    terms(
        "alteration change control creation destruction detachment division inspection map "
        "release restriction revision supplement transfer"
    )
)


class Icd10pcs:
    """One ICD-10-PCS release."""

    name = NAME
    title = TITLE
    collection = "pcs"
    names = re.compile(r"\bicd-?10-?pcs\b|\bpcs\b", re.I)  # how a question names it

    def __init__(
        self,
        tables: PcsTables,
        definitions: Definitions | None,
        index: PcsIndex,
        cache: ParsedCache | None = None,
    ) -> None:
        self.tables = tables
        self._cache = cache  # where the vocabulary is remembered
        self.definitions = definitions
        self.index = index
        self.release = f"FY{tables.version}"

    @cached_property
    def actions(self) -> frozenset[str]:
        """Roots of the words that name a procedure: the root operations of the Medical and
        Surgical and Obstetrics sections, the operation words their definitions give as
        examples ("nephrectomy", "angioplasty") and the Index's procedure main terms."""
        roots: set[str] = set()
        for section in ("0", "1"):
            axis = (self.definitions.sections.get(section, {}) if self.definitions else {}).get(3)
            for term in axis.terms if axis else ():
                roots |= terms(" ".join(term.titles)) - GENERIC_OPERATIONS
                roots |= {r for text in term.includes for r in terms(text) if SURGICAL.search(r)}
        # The Index's one-word main terms that lead to a code, themselves or by a subterm, are
        # procedure names ("Appendectomy", "Reduction, fracture"); entries that only say
        # "use" name anatomy or devices.
        names: list[list[str]] = []
        for entry in self.index.entries:
            if not (entry.codes or entry.see) or entry.use:
                continue
            if len(entry.main_term.split()) == 1:
                roots |= terms(entry.main_term)
            elif "(" in entry.main_term and self._section_of(entry) in OPERATION_SECTIONS:
                names.append([n for n in re.split(r"[()]", entry.main_term) if n.strip()])
        # An abbreviation in parentheses beside a procedure's name is one too:
        # "EGD (esophagogastroduodenoscopy)", "TURP (transurethral resection of prostate)".
        for alternatives in names:
            single = [n for n in alternatives if _ABBREVIATION.fullmatch(n.strip())]
            if any(
                terms(n) & roots or any(SURGICAL.search(r) for r in terms(n))
                for n in alternatives
                if n not in single
            ):
                roots |= {r for n in single for r in terms(n)}
        # Operative shorthand whose written-out form names one ("lap chole", "ORIF", "TURP").
        for short, written in ABBREVIATIONS:
            if re.fullmatch(r"[a-z|]+", short) and terms(written) & roots:
                roots |= {r for part in short.split("|") for r in terms(part)}
        return frozenset(roots - GENERIC_OPERATIONS)

    @cached_property
    def action_phrases(self) -> frozenset[frozenset[str]]:
        """The Index's procedure main terms of two or three words, as sets of roots: a
        question holding all of one names that procedure ("Cesarean section", "Mechanical
        ventilation", "Shunt creation"). Only main terms that themselves lead to an operation
        of the Medical and Surgical, Obstetrics or Extracorporeal Assistance and Performance
        sections count: others name a measurement, a therapy or a drug ("Blood pressure",
        "Physical therapy") as often as a diagnosis or a supply does."""
        phrases: set[frozenset[str]] = set()
        for entry in self.index.entries:
            if len(entry.trail) > 1 or len(entry.main_term.split()) == 1 or entry.use:
                continue
            if self._section_of(entry) not in OPERATION_SECTIONS:
                continue
            for name in re.split(r"[()]", entry.main_term):
                roots = terms(name)
                if 2 <= len(roots) <= MAX_PHRASE:
                    phrases.add(roots)
        return frozenset(phrases)

    def _section_of(self, entry: IndexEntry) -> str:
        """The section character of the codes an Index entry leads to, directly or by its see
        reference ("" when neither gives a code)."""
        if entry.codes:
            return entry.codes[0]
        target = entry.see_trail
        if not target:
            return ""
        found = self._by_trail.get(target) or self._by_trail.get(target[:1])
        return found[0] if found else ""

    @cached_property
    def _by_trail(self) -> dict[tuple[str, ...], str]:
        """Each Index trail (and, for a main term, its first coded subterm) -> its codes."""
        out: dict[tuple[str, ...], str] = {}
        for entry in self.index.entries:
            if entry.codes:
                for n in range(1, len(entry.trail) + 1):
                    out.setdefault(entry.trail[:n], entry.codes)
        return out

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """Index entries, the tables' labels (each once) and the definitions' terms."""
        texts = [" ".join((e.text, e.see, e.use)) for e in self.index.entries]
        labels = {
            label
            for table in self.tables.tables.values()
            for axis in (*table.axes, *(a for row in table.rows for a in row.axes))
            for label in axis.labels.values()
        }
        texts += sorted(labels)
        if self.definitions is not None:
            for axes in self.definitions.sections.values():
                for terms in axes.values():
                    for term in terms.terms:
                        texts += [*term.titles, *term.includes]
        return vocabulary(self._cache, NAME, texts)

    @property
    def label(self) -> str:
        return label_of(self.title, self.release)

    @property
    def source_label(self) -> str:
        return f"{self.label} Tables"

    def normalize(self, text: str) -> str | None:
        code = normalize(text)
        return code if looks_like_pcs(code) else None

    def info(self, code: str) -> CodeInfo | None:
        typed = normalize(code)
        if not looks_like_pcs(typed) or not self.tables.is_valid(typed):
            return None
        return CodeInfo(typed, self.tables.describe(typed), True, NAME)

    def details(self, code: str) -> dict[str, Any]:
        typed = normalize(code)
        problem = self.tables.validate(typed)
        if problem:
            why = problem.split(": ", 1)[-1]  # the message names the code itself first
            raise UnknownCodeError(typed or code.strip(), self.nearest(typed), self.label, why=why)
        axes = self.tables.explain(typed, self.definitions)
        return {
            "code": typed,
            "description": self.tables.describe(typed),
            "billable": True,
            "version": self.label,
            "table": typed[:3],
            "axes": [
                {
                    "position": a.position,
                    "name": a.name,
                    "value": a.value,
                    "label": a.label,
                    "definition": a.definition,
                }
                for a in axes
            ],
            "code_set": NAME,
        }

    def nearest(self, code: str, limit: int = 5) -> list[str]:
        """Valid codes sharing the longest prefix with the typed one."""
        typed = normalize(code)
        for size in range(min(len(typed), 6), 0, -1):
            near = [c for _, c in zip(range(limit), self.tables.codes(typed[:size]), strict=False)]
            if near:
                return near
        return []

    def complete(
        self, code: str, context: str | None = None, limit: int | None = None
    ) -> list[str]:
        typed = normalize(code)
        if len(typed) == 7:
            self.details(typed)  # raises for an invalid code
            return [typed]
        if context:
            built = [c for c in self.build(context).codes if c.startswith(typed)]
            if built:
                return built[:limit]
        codes = list(self.tables.codes(typed))
        return codes if limit is None else codes[:limit]

    def build(self, question: str, limit: int = 10) -> BuildResult:
        """Complete codes for a procedure description, axis by axis (see ``build``)."""
        return build(question, self.tables, self.definitions, self.index, limit)

    def mentions(self, text: str) -> list[Mention]:
        out = []
        for match in _TOKEN.finditer(text):
            token = match.group(1)
            if not any(c.isdigit() for c in token) or not looks_like_pcs(token):
                continue
            valid = self.tables.is_valid(token)
            out.append(
                Mention(match.start(1), match.end(1), token, NAME, token if valid else None, valid)
            )
        return out

    def brief(self, code: str, context: str | None = None, full: bool = False) -> list[str]:
        details = self.details(code)
        lines = ["| # | axis | value | meaning |", "|---|---|---|---|"]
        lines += [
            f"| {a['position']} | {a['name']} | {a['value']} | {a['label']} |"
            for a in details["axes"]
        ]
        for a in details["axes"]:
            if a["position"] in DEFINED and a["definition"]:
                lines.append(f"- {a['label']} ({a['name'].lower()}): {a['definition']}")
        return lines

    def ingest_groups(self) -> list[IngestGroup]:
        """The Index entries: codes are built from the tables in memory, but the entries tell
        how close a question is to a procedure when routing an open question."""
        return [IngestGroup(NAME, self.collection, partial(index_records, self.index))]

    def searcher(self, backends: SearchBackends) -> CodeSearch:
        return PcsSearch(self, backends.k, backends)


class PcsSearch:
    """Codes built from the description (Index, then each axis), as ``CodeHit``s."""

    def __init__(
        self, codeset: Icd10pcs, k: int = 5, backends: SearchBackends | None = None
    ) -> None:
        self.codeset = codeset
        self.k = k
        self.backends = backends

    def closeness(self, query: str) -> float:
        """Cosine similarity of the question to the nearest Index entry: how much it reads
        like a procedure (0 without the store)."""
        if self.backends is None:
            return 0.0
        store = self.backends.store
        vector = store.embeddings.embed_query(query)
        return max((s for _, s in store.search(self.codeset.collection, vector, 3)), default=0.0)

    def search_codes(self, query: str, k: int | None = None) -> list[CodeHit]:
        k = k or self.k
        typed = [m.code for m in self.codeset.mentions(query) if m.code]
        exact = [self._exact(code) for code in typed]
        if typed and not re.search(r"[A-Za-z]{3}", _TOKEN.sub(" ", query)):
            return exact[:k]
        result = self.codeset.build(query, limit=max(k, 5))
        open_axes = [
            {
                "position": o.position,
                "name": o.name,
                "chosen": o.chosen,
                "options": [list(p) for p in o.options],
                "note": o.note,
            }
            for o in result.open_axes
        ]
        index = [{"text": c.text, "codes": c.codes, "line": c.line} for c in result.index_entries]
        hits = []
        close = self.closeness(query) if result.candidates else 0.0
        for rank, cand in enumerate(result.candidates):
            detail: dict[str, Any] = {
                "axes": [
                    {
                        "position": a.position,
                        "name": a.name,
                        "value": a.value,
                        "label": a.label,
                        "reason": a.reason,
                        "settled": a.settled,
                    }
                    for a in cand.axes
                ]
            }
            if rank == 0:
                detail["open_axes"] = open_axes
                detail["index"] = index
            hits.append(
                CodeHit(
                    code=cand.code,
                    description=cand.description,
                    billable=True,
                    score=round(cand.score, 4),
                    matched=index[0]["line"] if index and rank == 0 else "",
                    via=["index", "tables"],
                    dense=round(close, 4),
                    code_set=NAME,
                    detail=detail,
                )
            )
        seen = {h.code for h in exact}
        return (exact + [h for h in hits if h.code not in seen])[:k]

    def _exact(self, code: str) -> CodeHit:
        info = self.codeset.info(code)
        assert info is not None
        return CodeHit(info.code, info.description, True, 1.0, code, ["exact"], 1.0, NAME)


def index_records(index: PcsIndex) -> list[Record]:
    """One record per Index entry that leads somewhere (a code, a see or a use reference)."""
    out: list[Record] = []
    seen: set[str] = set()
    for entry in index.entries:
        text = " ".join(part for part in (entry.text, entry.see, entry.use) if part)
        key = hashlib.sha1(
            f"{entry.text}|{entry.codes}|{entry.see}|{entry.use}".encode()
        ).hexdigest()[:16]
        if key in seen:
            continue
        seen.add(key)
        meta: dict[str, Scalar] = {
            "kind": "index",
            "code_set": NAME,
            "code": entry.codes,
            "ref": entry.text,
            "citation": entry.citation(),
            "source": f"{TITLE} Index FY{index.version}",
            "version": f"FY{index.version}",
        }
        out.append(Record(id=record_id(NAME, index.version, key), text=text, metadata=meta))
    return out


def load(context: LoadContext) -> Icd10pcs | None:
    """The release among the official files (tables and Index needed, definitions optional)."""
    tables_path, index_path = context.files.get("pcs-tables"), context.files.get("pcs-index")
    if tables_path is None or index_path is None:
        return None
    tables = context.cache.load("icd10pcs-tables", tables_path, parse_tables)
    index = context.cache.load("icd10pcs-index", index_path, parse_index)
    defs_path = context.files.get("pcs-definitions")
    definitions = (
        context.cache.load("icd10pcs-definitions", defs_path, parse_definitions)
        if defs_path
        else None
    )
    return Icd10pcs(tables, definitions, index, context.cache)
