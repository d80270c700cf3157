"""Answers from the ICD-10-CM Drug and Neoplasm tables: the row, the column, the complete code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.codesets.icd10cm.alphaindex import COLUMN_LABELS
from assistant.codesets.icd10cm.seventh import encounter_from_text
from assistant.codesets.icd10cm.tables import lookup_table
from assistant.core.answer import Answer, Sources

if TYPE_CHECKING:
    from assistant.answer.compose import Composer

ROUTE = "table"


def answer(composer: Composer, question: str) -> Answer | None:
    """The table answer, or None when the question asks no table or the tables are absent."""
    cs = composer.codesets.get("icd10cm")
    tabular = getattr(cs, "tabular", None)
    if cs is None or tabular is None or composer.lexical is None:
        return None
    found = lookup_table(question, composer.lexical, tabular)
    if found is None:
        return None
    sources = Sources()
    meta = found.record.metadata
    n = sources.cite(str(meta["source"]), str(meta["ref"]), str(meta["citation"]))
    label = COLUMN_LABELS.get(found.column, found.column.replace("_", " "))
    row = str(meta["citation"]).split(" -> ")[0]
    lines = [f'{row}, column "{label}": **{found.cell}** [{n}]']

    def described(code: str) -> str:
        info = cs.info(code)
        text = info.description if info else ""
        m = sources.cite(cs.source_label, code, f"{code} {text}")
        return f"**{code}** {text} [{m}]"

    if len(found.codes) == 1:
        code = found.codes[0]
        lines.append(f"Complete code: {described(code)}")
        if encounter_from_text(question) is None and code != found.cell:
            lines.append(
                "The question does not say which encounter; this is the initial encounter. "
                "Use the 7th character D for a subsequent encounter or S for a sequela."
            )
    elif found.codes:
        lines.append("Complete it in the Tabular List; the codes under it:")
        lines += [f"- {described(code)}" for code in found.codes]
    lines.append(f"\nCode set: {cs.label}.")
    report = found.codes[:1] if len(found.codes) == 1 else []
    return Answer(
        question,
        "\n".join(lines),
        sources.items,
        found.codes,
        ROUTE,
        code_sets=[cs.name] * len(found.codes),
        report=report,
    )
