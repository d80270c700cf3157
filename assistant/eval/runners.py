"""Evaluation runners behind ``medcode eval``: accuracy and warm in-process latency."""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.container import Container


class EvalFileError(ValueError):
    """The evaluation file is missing or has a malformed line."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSON Lines file; a bad line is reported with its number."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise EvalFileError(f"{path}:{number}: expected a JSON object")
        rows.append(row)
    if not rows:
        raise EvalFileError(f"{path} has no rows")
    return rows


def _require(rows: list[dict[str, Any]], *keys: str) -> None:
    for number, row in enumerate(rows, start=1):
        for key in keys:
            if key not in row:
                raise EvalFileError(f"row {number}: missing field {key!r}")


def _report(n: int, counts: dict[str, float], ms: list[float]) -> dict[str, float]:
    """The JSON line of an eval: n, each count as a share of n, then latency percentiles."""
    p50, p95 = percentiles(ms)
    shares = {key: round(value / n, 4) for key, value in counts.items()}
    return {"n": n, **shares, "p50_ms": p50, "p95_ms": p95}


def percentiles(ms: list[float]) -> tuple[float, float]:
    """p50 and p95 of latencies in milliseconds."""
    if len(ms) < 2:
        return (ms[0], ms[0]) if ms else (0.0, 0.0)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return round(cuts[49], 2), round(cuts[94], 2)


def eval_lookup(
    container: Container, rows: list[dict[str, Any]], k: int = 5, codeset: str | None = None
) -> dict[str, float]:
    """top1, top5 and MRR of a code set's search against expected codes, with warm latency."""
    from assistant.answer.lookup import find

    _require(rows, "query", "code")
    codeset = codeset or "auto"
    sets, searches = container.codesets, container.searches
    store = container.store
    find("warm up the model and the indexes", sets, searches, k, codeset, store)
    top1 = topk = rr = 0.0
    invalid = partial = 0
    ms: list[float] = []
    for row in rows:
        expected = _expected(sets, str(row["code"]))
        started = time.perf_counter()
        found = find(str(row["query"]), sets, searches, max(k, 5), codeset, store)
        ms.append((time.perf_counter() - started) * 1000)
        codes = [h.code for h in found.hits]
        infos = [found.code_set(h).info(h.code) for h in found.hits]
        invalid += sum(1 for info in infos if info is None)
        partial += sum(1 for info in infos if info is not None and not info.billable)
        if codes[:1] == [expected]:
            top1 += 1
        if expected in codes[:5]:
            topk += 1
        if expected in codes[:k]:
            rr += 1 / (codes.index(expected) + 1)
    print(
        f"guard: {invalid} invalid codes among the results; {partial} not reportable alone "
        "(a category header, a HCPCS modifier)",
        file=sys.stderr,
    )
    return _report(len(rows), {"top1": top1, "top5": topk, "mrr": rr}, ms)


def _expected(sets: Any, code: str) -> str:
    """The canonical spelling of an expected code in whichever loaded set has it."""
    hit = sets.find(code)
    return hit[1].code if hit else code.strip().upper()


def eval_routing(container: Container, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Share of questions whose first lookup result comes from the code set that holds the
    expected code, overall and per expected set."""
    from assistant.answer.lookup import find

    _require(rows, "query", "code")
    sets, searches = container.codesets, container.searches
    right: dict[str, list[int]] = {}
    ms: list[float] = []
    for row in rows:
        owner = sets.find(str(row["code"]))
        if owner is None:
            raise EvalFileError(f"{row['code']} is in no loaded code set")
        started = time.perf_counter()
        found = find(str(row["query"]), sets, searches, 5, store=container.store)
        ms.append((time.perf_counter() - started) * 1000)
        first = found.hits[0].code_set if found.hits else ""
        right.setdefault(owner[0].name, []).append(int(first == owner[0].name))
    n = sum(len(v) for v in right.values())
    report: dict[str, Any] = _report(n, {"right_set": sum(sum(v) for v in right.values())}, ms)
    report["by_set"] = {name: round(sum(v) / len(v), 4) for name, v in sorted(right.items())}
    return report


def eval_followups(
    container: Container, rows: list[dict[str, Any]], k: int = 5
) -> dict[str, float]:
    """top1/top5 of the last turn of each chat, every earlier turn given as its history."""
    _require(rows, "turns", "code")
    top1 = top5 = 0
    ms: list[float] = []
    for number, row in enumerate(rows, start=1):
        turns = [str(t) for t in row["turns"]]
        if not turns:
            raise EvalFileError(f"row {number}: no turns")
        history: list[dict[str, Any]] = []
        for turn in turns[:-1]:
            history.append({"role": "user", "content": turn})
            history.append(
                {"role": "assistant", "content": container.ask(turn, history[:-1]).answer}
            )
        expected = _expected(container.codesets, str(row["code"]))
        started = time.perf_counter()
        answer = container.ask(turns[-1], history)
        ms.append((time.perf_counter() - started) * 1000)
        top1 += answer.codes[:1] == [expected]
        top5 += expected in answer.codes[:k]
    return _report(len(rows), {"top1": top1, "top5": top5}, ms)


def _timed_answers(container: Container, questions: list[str]) -> tuple[list[Any], list[float]]:
    container.ask("warm up: when is sepsis sequenced first?")
    answers, ms = [], []
    for q in questions:
        started = time.perf_counter()
        answers.append(container.ask(q))
        ms.append((time.perf_counter() - started) * 1000)
    checked = sum(a.guard.get("checked", 0) for a in answers)
    invalid = sum(len(a.guard.get("invalid", [])) for a in answers)
    # The JSON line on stdout is a contract; the guard's tally goes to stderr.
    print(
        f"guard: {checked} code tokens checked in {len(answers)} answers, {invalid} invalid",
        file=sys.stderr,
    )
    return answers, ms


def eval_guidelines(container: Container, rows: list[dict[str, Any]]) -> dict[str, float]:
    """hit1/hit3: the first (or any of the first three) guideline sections an answer cites
    equals an expected section or lies under it."""
    from assistant.codesets.icd10cm.guidelines import section_within

    _require(rows, "question", "sections")
    answers, ms = _timed_answers(container, [str(r["question"]) for r in rows])
    hit1 = hit3 = 0
    for row, answer in zip(rows, answers, strict=True):
        cited = [c.ref for c in answer.citations if c.source.startswith("ICD-10-CM Official")]
        ok = [any(section_within(c, s) for s in row["sections"]) for c in cited[:3]]
        hit1 += bool(ok[:1] and ok[0])
        hit3 += any(ok)
    return _report(len(rows), {"hit1": hit1, "hit3": hit3}, ms)


def eval_career(container: Container, rows: list[dict[str, Any]]) -> dict[str, float]:
    """Share of answers that cite the expected knowledge file (and heading, when given) and
    contain every expected phrase."""
    _require(rows, "question", "expect")
    answers, ms = _timed_answers(container, [str(r["question"]) for r in rows])
    cited = phrased = passed = 0
    for row, answer in zip(rows, answers, strict=True):
        want_file, want_heading = row.get("file"), row.get("heading")
        cites = any(
            (not want_file or c.source == want_file) and (not want_heading or c.ref == want_heading)
            for c in answer.citations
        ) and bool(answer.citations)
        text = answer.answer.lower()
        phrases = all(str(p).lower() in text for p in row["expect"])
        cited += cites
        phrased += phrases
        passed += cites and phrases
    return _report(len(rows), {"pass": passed, "cited": cited, "phrases": phrased}, ms)
