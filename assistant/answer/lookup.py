"""Which code fits a description: the best match from the right code set, what its notes say,
and the alternatives, each with its code set named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.answer import missing, router
from assistant.answer.choose import Choice, choose
from assistant.core.answer import Answer, Sources
from assistant.core.codeset import CodeHit, CodeSearch, CodeSet
from assistant.search.vectors import VectorStore

if TYPE_CHECKING:
    from assistant.answer.compose import Composer

# Below this cosine similarity the best code is too far from the question to be offered
# (measured on the ICD-10-CM dev set: no correct best match scored below it).
MIN_DENSE = 0.35
INDEX_SOURCE = "ICD-10-CM Alphabetic Index"
AUTO = "auto"
# Two sets within this log-odds of each other: the other set's best code is shown second, so
# a question that could be either finds its code in the first two (chosen with the constants of
# ``choose``).
UNCLEAR = 1.0


@dataclass
class Found:
    """The hits for a lookup, the code set each came from, and how the set was chosen."""

    hits: list[CodeHit] = field(default_factory=list)
    sets: dict[str, CodeSet] = field(default_factory=dict)  # code set name -> code set
    choices: list[Choice] = field(default_factory=list)
    unclear: bool = False

    def code_set(self, hit: CodeHit) -> CodeSet:
        return self.sets[hit.code_set]


def find(
    question: str,
    codesets: Sequence[CodeSet],
    searches: Mapping[str, CodeSearch],
    k: int,
    codeset: str = AUTO,
    store: VectorStore | None = None,
) -> Found:
    """Codes for a description from ``codeset`` ("auto": the set the question speaks for, by
    its words and, with ``store``, by how close it is to each set's records; when two sets
    stay too close to call, the other's best code is shown second)."""
    by_name = {cs.name: cs for cs in codesets}
    if codeset != AUTO:
        choices = [Choice(by_name[codeset], 0.0, named=True)]
    else:
        near = (
            closeness(store, codesets, question)
            if store is not None and len(codesets) > 1
            else None
        )
        choices = choose(question, codesets, near)
    found = Found(sets=by_name, choices=choices)
    first = choices[0].code_set
    found.hits = _search(searches[first.name], first, question, k)
    runner = choices[1] if len(choices) > 1 and not choices[0].named else None
    # A named operation keeps its procedure set in view even when another set leads ("ORIF of
    # a distal radius fracture" is coded with both the fracture and the procedure).
    operation = next((c for c in choices[1:] if c.operation), None)
    if runner is not None and operation is not None and not choices[0].operation:
        runner = operation
    if runner is not None and (choices[0].score - runner.score < UNCLEAR or runner.operation):
        second = _search(searches[runner.code_set.name], runner.code_set, question, 1)
        # Only a code one can report stands in for the other set (not a header, a modifier).
        if second and second[0].billable:
            found.unclear = True
            found.hits = found.hits[:1] + second[:1] + found.hits[1 : k - 1]
    return found


def closeness(store: VectorStore, codesets: Sequence[CodeSet], question: str) -> dict[str, float]:
    """Per code set, the cosine similarity of the question to the set's nearest record."""
    vector = store.embeddings.embed_query(question)
    return {
        cs.name: max((s for _, s in store.search(cs.collection, vector, 1)), default=0.0)
        for cs in codesets
    }


def _search(search: CodeSearch, cs: CodeSet, question: str, k: int) -> list[CodeHit]:
    hits = search.search_codes(question, k=k)
    for hit in hits:
        hit.code_set = hit.code_set or cs.name
    return hits


def lookup(composer: Composer, question: str, decision: router.Route) -> Answer:
    found = find(question, composer.codesets, composer.searches, composer.k, store=composer.store)
    hits = found.hits
    best_set = found.code_set(hits[0]) if hits else composer.codesets[0]
    weak = (
        bool(hits)
        and hits[0].code_set != "icd10pcs"
        and "exact" not in hits[0].via
        and hits[0].dense < MIN_DENSE
    )
    if not hits or weak:
        return Answer(
            question,
            f'I found no {best_set.label} code that fits "{question}". Try the clinical name '
            '("myocardial infarction" rather than a nickname), add the site or type, or give a '
            'code to look up ("E11.65").',
            route=router.LOOKUP,
        )
    sources = Sources()
    best = hits[0]
    lines = [code_line(best_set, best, sources, lead=True)]
    lines += best_set.brief(best.code, question)
    lines += detail_lines(best, sources)
    report, together = _together(best_set, best, question, sources)
    lines += together
    if found.unclear and len({h.code_set for h in hits[:2]}) == 2:
        second = found.code_set(hits[1])
        lines.append(
            f"\nThe question could also be for {second.title}; its best match is listed next. "
            'Name the code set ("HCPCS", "ICD-10-PCS", "ICD-10-CM") to choose.'
        )
    if len(hits) > 1:
        lines.append("\nOther candidates:")
        lines += [f"- {code_line(found.code_set(h), h, sources)}" for h in hits[1:]]
    labels = ", ".join(dict.fromkeys(found.code_set(h).label for h in hits))
    lines.append(f"\nCode set: {labels}. Verify against the official code set before billing.")
    codes = [h.code for h in hits]
    sets = [h.code_set for h in hits]
    for code in report:
        if code not in codes:
            codes.append(code)
            sets.append(best_set.name)
    return Answer(
        question,
        "\n".join(lines),
        sources.items,
        codes,
        router.LOOKUP,
        code_sets=sets,
        report=report,
    )


def _together(
    cs: CodeSet, best: CodeHit, question: str, sources: Sources
) -> tuple[list[str], list[str]]:
    """The codes to report for the question in order, and the lines that say why: the best code
    with the companions its notes call for that the question states."""
    find_companions = getattr(cs, "companions", None)
    found = find_companions(best.code, question) if find_companions else []
    if not found:
        return [best.code], []
    order = (
        [c.code for c in found if c.first] + [best.code] + [c.code for c in found if not c.first]
    )
    lines = ["\nReport together, in this order:"]
    for number, code in enumerate(order, start=1):
        comp = next((c for c in found if c.code == code), None)
        info = cs.info(code)
        n = sources.cite(cs.source_label, code, f"{code} {info.description if info else ''}")
        line = f"{number}. **{code}** {info.description if info else ''} [{n}]"
        if comp is not None:
            label = {
                "code_first": "Code first",
                "use_additional_code": "Use additional code",
                "code_also": "Code also",
            }[comp.kind]
            m = sources.cite(
                cs.source_label,
                f"{comp.level} {label}",
                f"{label} note at {comp.level}: {comp.note}",
            )
            line += f' (the {label.lower()} note at {comp.level}: "{comp.note}" [{m}])'
        lines.append(line)
    return order, lines


def code_line(cs: CodeSet, hit: CodeHit, sources: Sources, lead: bool = False) -> str:
    """``**E11.65** Type 2 ... (ICD-10-CM, billable) [1]``; the best match also says how it was
    found."""
    n = sources.cite(cs.source_label, hit.code, f"{hit.code} {hit.description}")
    info = cs.info(hit.code)
    status = "billable" if info is not None and info.billable else "not billable on its own"
    line = f"**{hit.code}** {hit.description} ({cs.title}, {status}) [{n}]"
    if lead:
        line = f"Best match: {line}"
        if "index" in hit.via and " -> " in hit.matched and cs.name == "icd10cm":
            trail = hit.matched.split(" -> ")[0]
            m = sources.cite(INDEX_SOURCE, trail, hit.matched)
            line += f"\n  found through the index: {hit.matched} [{m}]"
        elif (
            hit.matched and cs.name != "icd10pcs" and hit.matched.lower() != hit.description.lower()
        ):
            line += f'\n  matched: "{hit.matched}"'
    return line


def detail_lines(hit: CodeHit, sources: Sources) -> list[str]:
    """What a code set's search adds for the best match: units to bill, modifiers, the axes a
    procedure description leaves open and the PCS Index entries behind it."""
    lines: list[str] = []
    detail = hit.detail
    if detail.get("advice"):
        lines.append(f"- Units: {detail['advice']}.")
    if detail.get("modifiers"):
        lines.append(f"- Append modifier {', '.join(detail['modifiers'])} for the side named.")
    for entry in detail.get("index", [])[:2]:
        m = sources.cite("ICD-10-PCS Index", entry["text"], entry["line"])
        lines.append(f"- Index: {entry['line']} [{m}]")
    for axis in detail.get("open_axes", []):
        options = "; ".join(f"{v} {label}" for v, label in axis["options"])
        lines.append(
            f"- The question does not say the {axis['name'].lower()}: {axis['chosen']} was used "
            f"({axis['note']}). Options: {options}."
        )
    return lines


def cpt(composer: Composer, question: str, decision: router.Route) -> Answer:
    return missing.cpt(question, router.CPT)


def other_code_set(composer: Composer, question: str, decision: router.Route) -> Answer:
    hcpcs = decision.kind == router.HCPCS
    name = "HCPCS Level II" if hcpcs else "ICD-10-PCS"
    labels = ", ".join(cs.label for cs in composer.codesets)
    return missing.code_set(question, decision.kind, name, "hcpcs" if hcpcs else "icd10pcs", labels)
