"""Which code fits a description: the best match with what its notes say, and alternatives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.answer import router
from assistant.core.answer import Answer, Sources
from assistant.core.codeset import CodeHit, CodeSet

if TYPE_CHECKING:
    from assistant.answer.compose import Composer

# Below this cosine similarity the best code is too far from the question to be offered
# (measured on the ICD-10-CM dev set: no correct best match scored below it).
MIN_DENSE = 0.35
INDEX_SOURCE = "ICD-10-CM Alphabetic Index"


def lookup(composer: Composer, question: str, decision: router.Route) -> Answer:
    cs = composer.codesets[0]
    hits = composer.searches[cs.name].search_codes(question, k=composer.k)
    if not hits or (hits[0].via != ["exact"] and hits[0].dense < MIN_DENSE):
        return Answer(
            question,
            f'I found no {cs.label} code that fits "{question}". Try the '
            'condition\'s clinical name ("myocardial infarction" rather than a nickname), '
            'add the site or type, or give a code to look up ("E11.65").',
            route=router.LOOKUP,
        )
    sources = Sources()
    best = hits[0]
    lines = [code_line(cs, best, sources, lead=True), *cs.brief(best.code, question)]
    if len(hits) > 1:
        lines.append("\nOther candidates:")
        lines += [f"- {code_line(cs, h, sources)}" for h in hits[1:]]
    lines.append(f"\nCode set: {cs.label}. Verify against the Tabular List before billing.")
    codes = [h.code for h in hits]
    return Answer(
        question,
        "\n".join(lines),
        sources.items,
        codes,
        router.LOOKUP,
        code_sets=[cs.name] * len(codes),
        report=[best.code],
    )


def code_line(cs: CodeSet, hit: CodeHit, sources: Sources, lead: bool = False) -> str:
    """``**E11.65** Type 2 ... (billable) [1]``; the best match also says how it was found."""
    n = sources.cite(cs.source_label, hit.code, f"{hit.code} {hit.description}")
    info = cs.info(hit.code)
    status = "billable" if info is not None and info.billable else "header, not billable"
    line = f"**{hit.code}** {hit.description} ({status}) [{n}]"
    if lead:
        line = f"Best match: {line}"
        if "index" in hit.via and " -> " in hit.matched:
            trail = hit.matched.split(" -> ")[0]
            m = sources.cite(INDEX_SOURCE, trail, hit.matched)
            line += f"\n  found through the index: {hit.matched} [{m}]"
        elif hit.matched and hit.matched.lower() != hit.description.lower():
            line += f'\n  matched: "{hit.matched}"'
    return line


def cpt(composer: Composer, question: str, decision: router.Route) -> Answer:
    text = (
        "CPT codes and descriptors are copyrighted by the American Medical Association, so "
        "medcode does not ship them, and this version cannot yet load a CPT file that your "
        "organisation licenses; use your licensed CPT book or encoder for CPT. I can help "
        "with ICD-10-CM diagnosis codes, the Official Guidelines and career questions."
    )
    return Answer(question, text, route=router.CPT)


def other_code_set(composer: Composer, question: str, decision: router.Route) -> Answer:
    name = "HCPCS Level II" if decision.kind == router.HCPCS else "ICD-10-PCS"
    labels = ", ".join(cs.label for cs in composer.codesets)
    text = (
        f"{name} is not searchable in this version of medcode; it answers from {labels} "
        "(diagnoses), the ICD-10-CM Official Guidelines and its career knowledge. Try a "
        "diagnosis description or a guideline question."
    )
    return Answer(question, text, route=decision.kind)
