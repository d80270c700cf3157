"""The answer chain: route a question, gather records, compose a cited answer, guard its codes.

Without an LLM (the default) answers are composed from the records themselves, so every
sentence is grounded. With an LLM configured, it rewrites the same grounded answer from the same
numbered sources; the invalid-code guard runs on whatever comes out either way.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from assistant import router
from assistant.alphaindex import COLUMN_LABELS
from assistant.excludes import check_codes
from assistant.guard import guard
from assistant.lexical import LexicalIndex
from assistant.notes import UnknownCodeError, code_details, complete, encounter_from_text
from assistant.retrieval import CodeHit, HybridRetriever, Passage, PassageRetriever
from assistant.tables import TableAnswer, lookup_table
from assistant.tabular import Tabular

NOTE_LABELS = {
    "includes": "Includes",
    "inclusion_terms": "Inclusion terms",
    "excludes1": "Excludes1 (never code together)",
    "excludes2": "Excludes2 (not included here; may code both)",
    "code_first": "Code first",
    "use_additional_code": "Use additional code",
    "code_also": "Code also",
    "seven_chr_note": "7th character",
}
# Below this cosine similarity the best code is too far from the question to be offered.
MIN_DENSE = 0.35
# How far a question's wording moves it toward one kind of answer (in cosine similarity).
ROUTE_NUDGE = 0.1


@dataclass
class Citation:
    n: int
    source: str
    ref: str
    text: str


@dataclass
class Answer:
    """What every interface shows: the answer, its numbered sources and the codes it names."""

    question: str
    answer: str
    citations: list[Citation] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    route: str = ""
    guard: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [asdict(c) for c in self.citations],
            "codes": self.codes,
            "route": self.route,
            "guard": self.guard,
        }


class _Sources:
    """Numbered citations collected while an answer is written."""

    def __init__(self) -> None:
        self.items: list[Citation] = []

    def cite(self, source: str, ref: str, text: str) -> int:
        for c in self.items:
            if (c.source, c.ref) == (source, ref):
                return c.n
        self.items.append(Citation(len(self.items) + 1, source, ref, text))
        return len(self.items)


@dataclass
class Composer:
    """Writes grounded answers from the code set and the passage collections."""

    tabular: Tabular
    codes: HybridRetriever
    guidelines: PassageRetriever
    career: PassageRetriever
    lexical: LexicalIndex | None = None  # for the Drug and Neoplasm tables, when ingested
    k: int = 5

    @property
    def tab_source(self) -> str:
        return f"{self.tabular.label} Tabular List"

    def answer(self, question: str) -> Answer:
        decision = router.route(question)
        if decision.kind in {router.OPEN, router.LOOKUP} and self.lexical is not None:
            found = lookup_table(question, self.lexical, self.tabular)
            if found is not None:
                return self._table(question, found)
        if decision.kind == router.OPEN:
            decision.kind = self._choose(question, decision)
        handler = {
            router.DETAIL: self._detail,
            router.CHECK: self._check,
            router.GUIDELINE: self._guideline,
            router.CAREER: self._career,
            router.CPT: self._cpt,
            router.HCPCS: self._other_code_set,
            router.PCS: self._other_code_set,
        }.get(decision.kind, self._lookup)
        result = handler(question, decision)
        result.route = result.route or decision.kind
        return result

    def _choose(self, question: str, decision: router.Route) -> str:
        """Route an open question to the collection whose best match is closest, nudged by
        its words: questions lean to guidelines and career, bare descriptions to codes."""
        vector = self.codes.store.embeddings.embed_query(question)
        # Kept on the route so the chosen handler quotes these passages without searching again.
        decision.passages = {
            router.GUIDELINE: self.guidelines.search(question, 3, vector),
            router.CAREER: self.career.search(question, 3, vector),
        }
        best = {
            router.LOOKUP: max(
                (s for _, s in self.codes.store.search("codes", vector, 3)), default=0.0
            ),
            **{
                kind: max((p.dense for p in found), default=0.0)
                for kind, found in decision.passages.items()
            },
        }
        best[router.LOOKUP] += -ROUTE_NUDGE if decision.question_like else ROUTE_NUDGE
        best[router.GUIDELINE] += ROUTE_NUDGE * decision.guideline_cue
        best[router.CAREER] += ROUTE_NUDGE * (decision.career_cue or bool(decision.mentions))
        decision.scores = {k: round(v, 3) for k, v in best.items()}
        return max(best, key=lambda k: best[k])

    # --- code lookup ---------------------------------------------------------------------
    def _lookup(self, question: str, decision: router.Route) -> Answer:
        hits = self.codes.search_codes(question, k=self.k)
        if not hits or (hits[0].via != ["exact"] and hits[0].dense < MIN_DENSE):
            return Answer(
                question,
                f'I found no {self.tabular.label} code that fits "{question}". Try the '
                'condition\'s clinical name ("myocardial infarction" rather than a nickname), '
                'add the site or type, or give a code to look up ("E11.65").',
                route=router.LOOKUP,
            )
        sources = _Sources()
        best = hits[0]
        lines = [self._code_line(best, sources, lead=True)]
        details = code_details(self.tabular, best.code)
        lines += self._note_lines(details, limit=2)
        encounter = encounter_from_text(question)
        if details.get("seventh_characters") and encounter is None:
            lines.append(
                "The 7th character depends on the encounter; the question does not say which, "
                "so choose from: "
                + "; ".join(f"{c} = {m}" for c, m in details["seventh_characters"].items())
                + "."
            )
        if len(hits) > 1:
            lines.append("\nOther candidates:")
            lines += [f"- {self._code_line(h, sources)}" for h in hits[1:]]
        lines.append(
            f"\nCode set: {self.tabular.label}. Verify against the Tabular List before billing."
        )
        return Answer(
            question, "\n".join(lines), sources.items, [h.code for h in hits], router.LOOKUP
        )

    def _code_line(self, hit: CodeHit, sources: _Sources, lead: bool = False) -> str:
        n = sources.cite(self.tab_source, hit.code, f"{hit.code} {hit.description}")
        status = "billable" if self.tabular.is_billable(hit.code) else "header, not billable"
        line = f"**{hit.code}** {hit.description} ({status}) [{n}]"
        if lead:
            line = f"Best match: {line}"
            if "index" in hit.via and " -> " in hit.matched:
                trail = hit.matched.split(" -> ")[0]
                m = sources.cite("ICD-10-CM Alphabetic Index", trail, hit.matched)
                line += f"\n  found through the index: {hit.matched} [{m}]"
            elif hit.matched and hit.matched.lower() != hit.description.lower():
                line += f'\n  matched: "{hit.matched}"'
        return line

    def _note_lines(self, details: dict[str, Any], limit: int | None = None) -> list[str]:
        lines: list[str] = []
        for kind, label in NOTE_LABELS.items():
            notes = details["notes"].get(kind, [])
            levels = details["note_levels"].get(kind, [])
            if not notes:
                continue
            shown = notes if limit is None else notes[:limit]
            more = "" if len(shown) == len(notes) else f" (+{len(notes) - len(shown)} more)"
            items = "; ".join(f"{n} (at {lvl})" for n, lvl in zip(shown, levels, strict=False))
            lines.append(f"- {label}: {items}{more}")
        return lines

    def _table(self, question: str, found: TableAnswer) -> Answer:
        sources = _Sources()
        meta = found.record.metadata
        n = sources.cite(str(meta["source"]), str(meta["ref"]), str(meta["citation"]))
        label = COLUMN_LABELS.get(found.column, found.column.replace("_", " "))
        row = str(meta["citation"]).split(" -> ")[0]
        lines = [f'{row}, column "{label}": **{found.cell}** [{n}]']
        if len(found.codes) == 1:
            code = found.codes[0]
            node = self.tabular.node(code)
            m = sources.cite(self.tab_source, code, f"{code} {node.description if node else ''}")
            lines.append(f"Complete code: **{code}** {node.description if node else ''} [{m}]")
            if encounter_from_text(question) is None and code != found.cell:
                lines.append(
                    "The question does not say which encounter; this is the initial encounter. "
                    "Use the 7th character D for a subsequent encounter or S for a sequela."
                )
        elif found.codes:
            lines.append("Complete it in the Tabular List; the codes under it:")
            for code in found.codes:
                node = self.tabular.node(code)
                m = sources.cite(
                    self.tab_source, code, f"{code} {node.description if node else ''}"
                )
                lines.append(f"- **{code}** {node.description if node else ''} [{m}]")
        lines.append(f"\nCode set: {self.tabular.label}.")
        return Answer(question, "\n".join(lines), sources.items, found.codes, "table")

    # --- code details and pair checks ----------------------------------------------------
    def _detail(self, question: str, decision: router.Route) -> Answer:
        sources = _Sources()
        parts: list[str] = []
        shown: list[str] = []
        encounter = encounter_from_text(question)
        for code in decision.codes[:3]:
            try:
                details = code_details(self.tabular, code)
            except UnknownCodeError as exc:
                parts.append(str(exc))
                continue
            n = sources.cite(
                self.tab_source, details["code"], f"{details['code']} {details['description']}"
            )
            status = "billable" if details["billable"] else "not billable on its own"
            path = " > ".join(f"{h['code']} {h['description']}" for h in details["hierarchy"])
            block = [
                f"**{details['code']}** {details['description']} ({status}) [{n}]",
                f"In: {path}",
            ]
            block += self._note_lines(details)
            if details["seventh_characters"]:
                sevenths = details["seventh_characters"]
                block.append(
                    "7th characters: " + "; ".join(f"{c} = {m}" for c, m in sevenths.items())
                )
                if encounter and not details["billable"]:
                    full = complete(self.tabular, details["code"], encounter, limit=5)
                    if len(full) == 1:
                        block.append(f"For this encounter the complete code is **{full[0]}**.")
                        shown.append(full[0])
            if details["children"] and not details["billable"]:
                kids = details["children"][:12]
                more = (
                    ""
                    if len(details["children"]) <= 12
                    else f" (+{len(details['children']) - 12} more)"
                )
                block.append("Codes under it: " + ", ".join(kids) + more)
            shown.append(details["code"])
            parts.append("\n".join(block))
        if not shown:
            return Answer(question, "\n\n".join(parts), route=router.DETAIL)
        parts.append(f"Code set: {self.tabular.label}.")
        return Answer(question, "\n\n".join(parts), sources.items, shown, router.DETAIL)

    def _check(self, question: str, decision: router.Route) -> Answer:
        try:
            result = check_codes(self.tabular, decision.codes)
        except UnknownCodeError as exc:
            return Answer(question, str(exc), route=router.CHECK)
        sources = _Sources()
        lines: list[str] = []
        for c in result["conflicts"]:
            n = sources.cite(self.tab_source, c["level"], f"Excludes1 at {c['level']}: {c['note']}")
            lines.append(
                f"- **{c['code']}** and **{c['other']}** cannot be coded together: Excludes1 at "
                f'{c["level"]}: "{c["note"]}" [{n}]'
            )
        for c in result["allowed_with_note"]:
            n = sources.cite(self.tab_source, c["level"], f"Excludes2 at {c['level']}: {c['note']}")
            lines.append(
                f"- **{c['code']}** with **{c['other']}** is allowed when both conditions are "
                f'present (Excludes2 at {c["level"]}: "{c["note"]}") [{n}]'
            )
        codes = ", ".join(result["codes"])
        head = (
            f"Excludes1 conflict found among {codes}:"
            if result["conflicts"]
            else f"No Excludes1 conflict among {codes}."
        )
        text = "\n".join([head, *lines, f"\nCode set: {self.tabular.label}."])
        return Answer(question, text, sources.items, list(result["codes"]), router.CHECK)

    # --- passages --------------------------------------------------------------------------
    def _guideline(self, question: str, decision: router.Route) -> Answer:
        passages = decision.passages.get(router.GUIDELINE) or self.guidelines.search(question, k=3)
        if not passages:
            return Answer(
                question,
                "The Official Guidelines are not ingested yet. Run `medcode download` (online) "
                "or `medcode ingest --source-dir DIR` with the guidelines PDF, then ask again.",
                route=router.GUIDELINE,
            )
        sources = _Sources()
        lines = []
        for i, p in enumerate(passages):
            meta = p.record.metadata
            n = sources.cite(
                str(meta["citation"]), str(meta["ref"]), str(meta.get("passage", p.record.text))
            )
            quote = _excerpt(str(meta.get("passage") or meta.get("title")), 700 if i == 0 else 300)
            head = f"Section {meta['ref']} {meta.get('title', '')}".strip()
            lines.append(f"**{head}** [{n}]\n> {quote}")
        lines.append(
            f"\nSource: {passages[0].record.metadata['source']} {passages[0].record.metadata['version']}."
        )
        return Answer(question, "\n\n".join(lines), sources.items, [], router.GUIDELINE)

    def _career(self, question: str, decision: router.Route) -> Answer:
        passages = decision.passages.get(router.CAREER) or self.career.search(question, k=3)
        if not passages:
            return Answer(
                question,
                "The career knowledge files are not ingested; run `medcode ingest`.",
                route=router.CAREER,
            )
        sources = _Sources()
        lines = []
        gaps = _unanswered_specifics(question, passages)
        if gaps:
            lines.append(f"My sources do not cover {', '.join(gaps)}; here is what they do say.")
        for i, p in enumerate(passages):
            meta = p.record.metadata
            n = sources.cite(str(meta["source"]), str(meta["ref"]), str(meta.get("passage", "")))
            body = _excerpt(str(meta.get("passage", "")), 1500 if i == 0 else 1200)
            lines.append(f"**{meta['ref']}** ({meta['source']}) [{n}]\n{body}")
        return Answer(question, "\n\n".join(lines), sources.items, [], router.CAREER)

    def _cpt(self, question: str, decision: router.Route) -> Answer:
        text = (
            "CPT codes and descriptors are copyrighted by the American Medical Association, so "
            "medcode does not ship them, and this version cannot yet load a CPT file that your "
            "organisation licenses; use your licensed CPT book or encoder for CPT. I can help "
            "with ICD-10-CM diagnosis codes, the Official Guidelines and career questions."
        )
        return Answer(question, text, route=router.CPT)

    def _other_code_set(self, question: str, decision: router.Route) -> Answer:
        name = "HCPCS Level II" if decision.kind == router.HCPCS else "ICD-10-PCS"
        text = (
            f"{name} is not searchable in this version of medcode; it answers from "
            f"{self.tabular.label} (diagnoses), the ICD-10-CM Official Guidelines and its career "
            "knowledge. Try a diagnosis description or a guideline question."
        )
        return Answer(question, text, route=decision.kind)


_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_STATES = [
    "Alabama",
    "Alaska",
    "Arizona",
    "Arkansas",
    "California",
    "Colorado",
    "Connecticut",
    "Delaware",
    "Florida",
    "Georgia",
    "Hawaii",
    "Idaho",
    "Illinois",
    "Indiana",
    "Iowa",
    "Kansas",
    "Kentucky",
    "Louisiana",
    "Maine",
    "Maryland",
    "Massachusetts",
    "Michigan",
    "Minnesota",
    "Mississippi",
    "Missouri",
    "Montana",
    "Nebraska",
    "Nevada",
    "Ohio",
    "Oklahoma",
    "Oregon",
    "Pennsylvania",
    "Rhode",
    "Tennessee",
    "Texas",
    "Utah",
    "Vermont",
    "Virginia",
    "Washington",
    "Wisconsin",
    "Wyoming",
]


def _unanswered_specifics(question: str, passages: list[Passage]) -> list[str]:
    """Years and US states the question names that no retrieved passage mentions."""
    text = " ".join(str(p.record.metadata.get("passage", p.record.text)) for p in passages)
    asked = [m.group(0) for m in _YEAR.finditer(question)]
    asked += [s for s in _STATES if re.search(rf"\b{s}\b", question)]
    return [a for a in asked if a not in text]


def _excerpt(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " ..."


def build_chain(composer: Composer, llm: BaseChatModel | None = None) -> Runnable[str, Answer]:
    """question -> grounded Answer (optionally rewritten by an LLM) -> invalid-code guard."""

    def compose(question: str) -> Answer:
        return composer.answer(question)

    def rewrite(answer: Answer) -> Answer:
        if llm is None or not answer.citations:
            return answer
        sources = "\n".join(f"[{c.n}] {c.source} {c.ref}: {c.text}" for c in answer.citations)
        prompt = (
            "Rewrite this grounded answer for a medical coder. Use only the numbered sources, "
            "keep every code exactly as written and keep the [n] citation markers.\n\n"
            f"Question: {answer.question}\n\nAnswer:\n{answer.answer}\n\nSources:\n{sources}"
        )
        answer.answer = str(llm.invoke(prompt).content)
        return answer

    def check(answer: Answer) -> Answer:
        result = guard(answer.answer, composer.tabular)
        answer.answer = result.text
        answer.codes = [c for c in answer.codes if c not in result.invalid]
        answer.guard = {"checked": result.checked, "invalid": list(result.invalid)}
        return answer

    return RunnableLambda(compose) | RunnableLambda(rewrite) | RunnableLambda(check)
