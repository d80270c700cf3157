"""What ``lookup``, ``code`` and ``check`` answer, built once for the command line and the API,
so ``lookup --json`` and ``GET /api/lookup`` are the same object."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.container import Container
from assistant.core import gate

CODESET_CHOICES = ["auto", "icd10cm", "icd10pcs", "hcpcs", "cpt"]
# The most diagnosis codes one claim carries (the 837I institutional claim: a principal and 24
# other diagnoses); a pair check of more is no claim.
MAX_CHECK_CODES = 25


def lookup(container: Container, text: str, k: Any = 5, codeset: str = "auto") -> dict[str, Any]:
    """The ``lookup --json`` object: ``{"query", "results": [{"code", "description", ...}]}``."""
    from assistant.answer.lookup import find

    query = gate.question(text, container.settings.max_question_chars)
    count = gate.k(k)
    name = checked_codeset(container, codeset)
    if overlong := gate.overlong_codes(query):
        raise gate.BadInput("code", gate.overlong_message(overlong[0]))
    if not gate.readable(query):
        raise gate.BadInput("unreadable", gate.UNREADABLE)
    require_index(container)
    found = find(query, container.codesets, container.searches, count, name, container.store)
    if not found.hits:
        reject_unknown_codes(container, query)
    results = [
        {
            "code": h.code,
            "description": h.description,
            "billable": h.billable,
            "score": h.score,
            "source": found.code_set(h).source_label,
            "code_set": h.code_set,
            **({"detail": h.detail} if h.detail else {}),
        }
        for h in found.hits
    ]
    return {"query": query, "results": results}


def lookup_lines(result: dict[str, Any]) -> str:
    """``lookup`` without ``--json``: one line per code."""
    lines = [f"{r['code']:<9} {r['description']}" for r in result["results"]]
    return "\n".join(lines or ["no matching code found"])


def code(container: Container, text: str) -> tuple[dict[str, Any], str]:
    """The ``code --json`` object of one code and its text (``UnknownCodeError`` if invalid)."""
    cs, info = container.codesets.resolve(gate.clean(text))
    details = cs.details(info.code)
    status = "billable" if info.billable else "not billable on its own"
    lines = [f"{info.code} {info.description} ({status})", *cs.brief(info.code, full=True)]
    return details, "\n".join([*lines, f"Code set: {cs.label}."])


def check(container: Container, codes: Sequence[Any]) -> tuple[dict[str, Any], str]:
    """The ``check --json`` object (Excludes1 conflicts, Excludes2 notes) and its text."""
    cleaned = [gate.clean(c) if isinstance(c, str) else "" for c in codes]
    if len(cleaned) < 2:
        raise gate.BadInput("codes", "give at least two codes to check together")
    if len(cleaned) > MAX_CHECK_CODES:
        raise gate.BadInput(
            "codes",
            f"give at most {MAX_CHECK_CODES} codes (one claim's diagnoses), not {len(cleaned)}",
        )
    cs = container.codesets.get("icd10cm")
    checker = getattr(cs, "check", None)
    if cs is None or checker is None:
        raise gate.BadInput("codes", "pair checks need ICD-10-CM, which is not loaded")
    result: dict[str, Any] = checker(cleaned)
    lines = [
        f"{c['code']} and {c['other']}: Excludes1 at {c['level']}: {c['note']}"
        for c in result["conflicts"]
    ] or [f"No Excludes1 conflict among {', '.join(result['codes'])}."]
    lines += [
        f"{c['code']} with {c['other']}: allowed, Excludes2 at {c['level']}: {c['note']}"
        for c in result["allowed_with_note"]
    ]
    return result, "\n".join(lines)


def checked_codeset(container: Container, name: str) -> str:
    """A ``--codeset`` / ``codeset=`` choice, checked against what is loaded."""
    if name not in CODESET_CHOICES:
        raise gate.BadInput(
            "codeset", f"unknown code set {name!r}; one of {', '.join(CODESET_CHOICES)}"
        )
    if name == "auto" or container.codesets.get(name) is not None:
        return name
    how = (
        "import a licensed file with `medcode ingest --cpt FILE`"
        if name == "cpt"
        else "run `medcode download`, or `medcode ingest --source-dir DIR` with its files"
    )
    raise gate.BadInput("codeset", f"code set {name} is not loaded; {how}")


def require_index(container: Container) -> None:
    """Nothing can be looked up before the first ingest."""
    if container.lexical.count(container.codesets[0].collection) == 0:
        raise gate.BadInput(
            "not_ingested",
            f"no codes ingested in {container.settings.home}; run `medcode ingest` first",
        )


def reject_unknown_codes(container: Container, query: str) -> None:
    """A lookup of a code that does not exist is an input error with the nearest codes."""
    from assistant.answer.router import code_tokens

    codes, _rest = code_tokens(query, container.codesets)
    for found in codes:
        container.codesets.resolve(found)  # raises UnknownCodeError, an input error
