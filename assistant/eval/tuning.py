"""Tuning sets drawn from the code set's own text, never from an evaluation file.

Two kinds of rows, each ``{"query", "code", "kind"}``:

- ``inclusion``: an inclusion term of a billable ICD-10-CM code that says more than, or other
  than, its title ("Fall on same level NOS" under W18.30) -> that code;
- ``index``: an Alphabetic Index entry (main term, then subterms, nonessential modifiers left
  out) that leads to one billable code -> that code, read the way the Index reads it;
- ``drug`` (HCPCS Level II): a J code's drug name as a biller says it (salt words dropped),
  an amount of one to three billing units and the route ("ceftriaxone 500 mg injection"),
  for drug names only one J code carries.

A row is held out when its code's digest falls in the held-out fifth, so a code never sits on
both sides and a rule tuned on one side is checked on codes it has not seen.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.codesets.icd10cm.syntax import normalize_code

if TYPE_CHECKING:
    from assistant.codesets.hcpcs.files import Release
    from assistant.codesets.icd10cm.alphaindex import IndexEntry
    from assistant.codesets.icd10cm.tabular import Tabular

HELD_OUT = 5  # one code in this many is held out (a fifth: enough rows on each side to compare)
INCLUSION_ROWS = 400
INDEX_ROWS = 200
DRUG_ROWS = 300
MIN_WORDS = 2  # a one-word term ("Hives") is a synonym test, not a ranking test


def held_out(code: str) -> bool:
    """Whether a code's rows belong to the held-out side."""
    return int(hashlib.sha1(code.encode("utf-8")).hexdigest()[:8], 16) % HELD_OUT == 0


def inclusion_rows(tab: Tabular) -> list[dict[str, Any]]:
    """Inclusion terms of billable codes that are not their code's title said again."""
    rows = []
    for node in tab.codes():
        if not tab.is_billable(node.code):
            continue
        title = node.description.casefold()
        for term in node.notes.get("inclusion_terms", []):
            if len(term.split()) < MIN_WORDS or term.casefold() == title:
                continue
            rows.append({"query": term, "code": node.code, "kind": "inclusion"})
    return rows


def index_rows(tab: Tabular, entries: Iterable[IndexEntry]) -> list[dict[str, Any]]:
    """Index entries with one code of their own that is complete and billable."""
    from assistant.codesets.icd10cm.alphaindex import trail_text

    rows = []
    for entry in entries:
        if not entry.code or entry.manif or entry.columns:
            continue
        code = normalize_code(entry.code.rstrip("-."))
        if not code or not tab.is_billable(code):
            continue
        query = trail_text(entry)
        if len(query.replace(",", " ").split()) >= MIN_WORDS:
            rows.append({"query": query, "code": code, "kind": "index"})
    return rows


def drug_rows(release: Release, *, seed: int = 0, n: int = DRUG_ROWS) -> list[dict[str, Any]]:
    """Drug questions written from the release's J-code descriptors, one per drug name."""
    from assistant.codesets.hcpcs import dose
    from assistant.codesets.hcpcs.search import NOT_A_NAME

    found: dict[str, list[tuple[str, float, str, str]]] = {}
    for code, entry in sorted(release.codes.items()):
        units = dose.billing_units(entry.long)
        if not code.startswith("J") or entry.noc or len(units) != 1:
            continue
        parts = [p.strip() for p in re.split(r"[,;]", entry.long)]
        route = "injection" if parts[0].lower() in ("injection", "inj") else ""
        parts = [p for p in parts if p.lower() not in ("injection", "inj")]
        amount = re.match(r"([\d.,]+)\s*(\S+)", units[0].amount.text)
        if not parts or not amount:
            continue
        name = re.sub(r"\(.*?\)", "", parts[0]).strip().lower()
        value = float(amount.group(1).replace(",", ""))
        found.setdefault(name, []).append((code, value, amount.group(2), route))
    rng = random.Random(seed)
    rows = []
    for name, codes in found.items():
        if len(codes) != 1:
            continue  # a name several codes share is decided by dose or form, not asked here
        code, value, unit, route = codes[0]
        said = " ".join(w for w in name.split() if w not in NOT_A_NAME) or name
        asked = value * rng.choice((1, 2, 3))
        shown = f"{asked:g}"
        rows.append(
            {"query": f"{said} {shown} {unit} {route}".strip(), "code": code, "kind": "drug"}
        )
    return rng.sample(rows, min(n, len(rows)))


def split(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tuning rows, held-out rows) by code."""
    return [r for r in rows if not held_out(r["code"])], [r for r in rows if held_out(r["code"])]


def build(
    tab: Tabular,
    entries: Iterable[IndexEntry] = (),
    *,
    seed: int = 0,
    inclusion: int = INCLUSION_ROWS,
    index: int = INDEX_ROWS,
    exclude: Iterable[str] = (),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tuning rows, held-out rows): a seeded sample of each kind, split by code. A row whose
    query is in ``exclude`` (the queries of an evaluation file) is never drawn."""
    rng = random.Random(seed)
    banned = {" ".join(q.casefold().split()) for q in exclude}
    chosen: list[dict[str, Any]] = []
    for rows, n in ((inclusion_rows(tab), inclusion), (index_rows(tab, entries), index)):
        kept = [r for r in rows if " ".join(r["query"].casefold().split()) not in banned]
        unique = list({(r["query"].casefold(), r["code"]): r for r in kept}.values())

        chosen += rng.sample(unique, min(n, len(unique)))
    tuning = [r for r in chosen if not held_out(r["code"])]
    holdout = [r for r in chosen if held_out(r["code"])]
    return tuning, holdout


def write(rows: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    path.write_text(text, encoding="utf-8")
