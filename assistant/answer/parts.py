"""What a coder acts on, as data beside the answer's text: the codes it puts forward in reporting
order (code set, release, billable), a code's notes with its own before the inherited ones, a
PCS code's axes and a pair check's verdict. ``ask --json`` and the API carry them in the answer's
extra fields; the page draws from them."""

from __future__ import annotations

from typing import Any

from assistant.answer import router
from assistant.codesets import CodeSets
from assistant.core.answer import Answer
from assistant.core.codeset import UnknownCodeError

# Routes whose shown codes are the codes put forward when the answer names none to report.
NAMED_CODES = (router.DETAIL, router.CHECK)


def attach(answer: Answer, codesets: CodeSets) -> None:
    """Add ``report_codes`` and, where they apply, ``notes``, ``axes`` and ``verdict``."""
    wanted = answer.report or (answer.codes if answer.route in NAMED_CODES else [])
    rows = [row for code in dict.fromkeys(wanted) if (row := report_row(code, codesets))]
    answer.extra["report_codes"] = rows
    if answer.route == router.DETAIL:
        grouped = [g for row in rows if (g := note_groups(row["code"], codesets))]
        if grouped:
            answer.extra["notes"] = grouped
    axes = [a for row in rows if row["code_set"] == "icd10pcs" and (a := _axes(row, codesets))]
    if axes:
        answer.extra["axes"] = axes[0]
    if answer.route == router.CHECK and answer.codes:
        head = answer.answer.split("\n", 1)[0]
        answer.extra["verdict"] = {"conflict": head.startswith("Excludes1 conflict"), "line": head}


def report_row(code: str, codesets: CodeSets) -> dict[str, Any] | None:
    """``{"code", "description", "code_set", "title", "release", "billable"}`` of a valid code."""
    found = codesets.find(code)
    if found is None:
        return None
    cs, info = found
    return {
        "code": info.code,
        "description": info.description,
        "code_set": cs.name,
        "title": cs.title,
        "release": cs.release,
        "billable": info.billable,
    }


def note_groups(code: str, codesets: CodeSets) -> dict[str, Any] | None:
    """A code's notes split by where they are written: ``own`` (at the code itself) first,
    then ``inherited`` (at its category, block or chapter); None for a set without notes."""
    found = codesets.find(code)
    if found is None:
        return None
    cs, info = found
    try:
        details = cs.details(info.code)
    except UnknownCodeError:
        return None
    notes, levels = details.get("notes"), details.get("note_levels")
    if not isinstance(notes, dict) or not isinstance(levels, dict):
        return None
    labels: dict[str, str] = getattr(cs, "note_labels", {})
    own: list[dict[str, str]] = []
    inherited: list[dict[str, str]] = []
    for kind, texts in notes.items():
        for text, level in zip(texts, levels.get(kind, []), strict=False):
            item = {"kind": kind, "label": labels.get(kind, kind), "text": text, "level": level}
            (own if level == info.code else inherited).append(item)
    if not own and not inherited:
        return None
    return {"code": info.code, "own": own, "inherited": inherited}


def _axes(row: dict[str, Any], codesets: CodeSets) -> dict[str, Any] | None:
    cs = codesets.get(row["code_set"])
    if cs is None:
        return None
    axes = cs.details(row["code"]).get("axes")
    return {"code": row["code"], "axes": axes} if axes else None
