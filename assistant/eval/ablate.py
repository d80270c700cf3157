"""``medcode eval ablate``: what each ranking rule is worth, one rule off at a time.

Every file given (the tuning set, its held-out part, a dev set) is answered once with every
rule on, then once per rule of ``assistant.search.ranking.RULES`` with that rule off; the
report gives each rule's top1/top5 contribution per file (on minus off) and how many rows it
changes. A rule whose only support is a dev file, or that costs the tuning set, is a rule to
drop or to settle.

Query vectors are computed once and reused by every pass (the rules act after retrieval's
embedding), so a pass costs the ranking alone.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from assistant.search.ranking import RULES, Rule

if TYPE_CHECKING:
    from assistant.container import Container


class RememberedQueries(Embeddings):
    """An embedder that computes each query's vector once."""

    def __init__(self, model: Embeddings) -> None:
        self.model = model
        self._vectors: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            known = self._vectors.get(text)
        if known is None:
            known = self.model.embed_query(text)
            with self._lock:
                self._vectors[text] = known
        return known


def remember_queries(container: Container) -> None:
    """Give the container a query-remembering embedder before its store is built."""
    if "store" in container.__dict__:
        raise RuntimeError("remember_queries must run before the store is built")
    container.__dict__["embeddings"] = RememberedQueries(container.embeddings)


def ranks(
    container: Container, rows: Sequence[dict[str, Any]], codeset: str
) -> list[tuple[str, ...]]:
    """The first five codes found for each row."""
    from assistant.answer.lookup import find

    sets, searches, store = container.codesets, container.searches, container.store
    return [
        tuple(h.code for h in find(str(row["query"]), sets, searches, 5, codeset, store).hits)
        for row in rows
    ]


def scores(expected: Sequence[str], found: Sequence[tuple[str, ...]]) -> dict[str, float]:
    n = max(len(expected), 1)
    top1 = sum(codes[:1] == (want,) for want, codes in zip(expected, found, strict=True))
    top5 = sum(want in codes[:5] for want, codes in zip(expected, found, strict=True))
    return {"top1": round(top1 / n, 4), "top5": round(top5 / n, 4)}


def ablate(
    container: Container,
    files: dict[str, list[dict[str, Any]]],
    *,
    codeset: str = "auto",
    rules: Sequence[Rule] = RULES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """``{"baseline": {file: scores}, "rules": [{"rule", "value", file: {...}}]}``."""
    say = progress or (lambda line: print(line, file=sys.stderr))
    sets = container.codesets
    expected = {
        name: [_canonical(sets, str(row["code"])) for row in rows] for name, rows in files.items()
    }
    on = {name: ranks(container, rows, codeset) for name, rows in files.items()}
    baseline = {name: scores(expected[name], on[name]) for name in files}
    say(f"all rules on: {baseline}")
    report: dict[str, Any] = {"codeset": codeset, "baseline": baseline, "rules": []}
    for rule in rules:
        entry: dict[str, Any] = {"rule": rule.name, "target": rule.target, "value": rule.value()}
        with rule.disabled():
            for name, rows in files.items():
                off = ranks(container, rows, codeset)
                without = scores(expected[name], off)
                entry[name] = {
                    "top1": round(baseline[name]["top1"] - without["top1"], 4),
                    "top5": round(baseline[name]["top5"] - without["top5"], 4),
                    "rows_changed": sum(a != b for a, b in zip(on[name], off, strict=True)),
                }
        say(f"{rule.name}: " + ", ".join(f"{n} {entry[n]}" for n in files))
        report["rules"].append(entry)
    return report


def _canonical(sets: Any, code: str) -> str:
    hit = sets.find(code)
    return hit[1].code if hit else code.strip().upper()


def table(report: dict[str, Any]) -> str:
    """The report as an aligned text table: one line per rule, top1 contribution per file."""
    names = list(report["baseline"])
    header = ["rule", *(f"{n} top1/top5 (rows)" for n in names)]
    lines = [["all rules on", *(_pair(report["baseline"][n]) for n in names)]]
    for entry in report["rules"]:
        cells = [
            f"{entry[n]['top1']:+.3f}/{entry[n]['top5']:+.3f} ({entry[n]['rows_changed']})"
            for n in names
        ]
        lines.append([entry["rule"], *cells])
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
    out = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True))]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in lines]
    return "\n".join(line.rstrip() for line in out)


def _pair(figures: dict[str, float]) -> str:
    return f"{figures['top1']:.3f}/{figures['top5']:.3f}"
