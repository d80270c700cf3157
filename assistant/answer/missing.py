"""Questions that need a source medcode does not have: one line that names what is missing and
the command that adds it, instead of an answer from something else."""

from __future__ import annotations

from assistant.core.answer import Answer

DOWNLOAD = "medcode download"
SOURCE_DIR = "medcode ingest --source-dir DIR"
CPT_FILE = "medcode ingest --cpt FILE"
GUIDELINES = "guidelines"


def notice(question: str, route: str, source: str, line: str, commands: list[str]) -> Answer:
    """The one-line answer; ``extra["missing"]`` says the same for the API and the page."""
    answer = Answer(question, line, route=route)
    answer.extra["missing"] = {"source": source, "commands": commands}
    return answer


def guidelines(question: str, route: str) -> Answer:
    return notice(
        question,
        route,
        GUIDELINES,
        "The Official Guidelines are not ingested, so this guideline question cannot be "
        f"answered: add them with `{DOWNLOAD}` (online) or `{SOURCE_DIR}` (a folder holding "
        "the guidelines PDF), then ask again.",
        [DOWNLOAD, SOURCE_DIR],
    )


def code_set(question: str, route: str, name: str, source: str, loaded: str) -> Answer:
    """A code set whose official files were not found (ICD-10-PCS, HCPCS Level II)."""
    return notice(
        question,
        route,
        source,
        f"{name} is not loaded, so this {name} question cannot be answered: add its official "
        f"files with `{DOWNLOAD}` (online) or `{SOURCE_DIR}`, then ask again (loaded now: "
        f"{loaded}).",
        [DOWNLOAD, SOURCE_DIR],
    )


def cpt(question: str, route: str) -> Answer:
    """CPT is licensed by the AMA: only a file the user's organisation licenses can add it."""
    return notice(
        question,
        route,
        "cpt",
        "CPT codes and descriptors are copyrighted by the American Medical Association, so "
        "medcode does not ship them: if your organisation licenses CPT, import its descriptor "
        f"file with `{CPT_FILE}` (a CSV of code and descriptor) and ask again; without it I can "
        "answer from HCPCS Level II (supplies, drugs, services), ICD-10-PCS (inpatient "
        "procedures) and ICD-10-CM (diagnoses).",
        [CPT_FILE],
    )
