"""Answers about codes the question names: one code's details, or a set checked together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.answer import router
from assistant.core.answer import Answer, Sources
from assistant.core.codeset import UnknownCodeError

if TYPE_CHECKING:
    from assistant.answer.compose import Composer

DETAILED = 3  # codes explained in full per question; more would bury the first


def detail(composer: Composer, question: str, decision: router.Route) -> Answer:
    sources = Sources()
    parts: list[str] = []
    shown: list[str] = []
    sets: list[str] = []
    labels: list[str] = []
    for code in decision.codes[:DETAILED]:
        try:
            cs, info = composer.codesets.resolve(code)
        except UnknownCodeError as exc:
            parts.append(str(exc))
            continue
        n = sources.cite(cs.source_label, info.code, f"{info.code} {info.description}")
        status = "billable" if info.billable else "not billable on its own"
        block = [f"**{info.code}** {info.description} ({status}) [{n}]"]
        block += cs.brief(info.code, question, full=True)
        text = "\n".join(block)
        if not info.billable:
            done = cs.complete(info.code, question, limit=2)
            if len(done) == 1 and f"**{done[0]}**" in text:
                shown.append(done[0])
                sets.append(cs.name)
        shown.append(info.code)
        sets.append(cs.name)
        labels.append(cs.label)
        parts.append(text)
    if not shown:
        return Answer(question, "\n\n".join(parts), route=router.DETAIL)
    parts.append(f"Code set: {', '.join(dict.fromkeys(labels))}.")
    return Answer(question, "\n\n".join(parts), sources.items, shown, router.DETAIL, code_sets=sets)


def check(composer: Composer, question: str, decision: router.Route) -> Answer:
    """Excludes1/Excludes2 between the named codes (ICD-10-CM's pair rules)."""
    cs = composer.codesets.get("icd10cm")
    checker = getattr(cs, "check", None)
    if cs is None or checker is None:
        return Answer(
            question, "Pair checks need ICD-10-CM, which is not loaded.", route=router.CHECK
        )
    try:
        result = checker(decision.codes)
    except UnknownCodeError as exc:
        return Answer(question, str(exc), route=router.CHECK)
    sources = Sources()
    lines: list[str] = []
    for c in result["conflicts"]:
        n = sources.cite(cs.source_label, c["level"], f"Excludes1 at {c['level']}: {c['note']}")
        lines.append(
            f"- **{c['code']}** and **{c['other']}** cannot be coded together: Excludes1 at "
            f'{c["level"]}: "{c["note"]}" [{n}]'
        )
    for c in result["allowed_with_note"]:
        n = sources.cite(cs.source_label, c["level"], f"Excludes2 at {c['level']}: {c['note']}")
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
    text = "\n".join([head, *lines, f"\nCode set: {cs.label}."])
    shown = list(result["codes"])
    return Answer(
        question, text, sources.items, shown, router.CHECK, code_sets=[cs.name] * len(shown)
    )
