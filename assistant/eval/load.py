"""``medcode bench load``: a running server driven over HTTP by concurrent clients, each asking
a bounded number of questions one after another, as a team of coders would.

Prints a table on stderr and returns one JSON-serialisable dict: requests, errors, p50/p95/max
latency, throughput and how busy the machine was. Only a server on this machine is driven.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant.core import gate
from assistant.eval.bench import machine, table

# Written for this bench (no rows of an evaluation set): the kinds of turn a coding team asks,
# each answered from the records (no LLM): lookups in lay and clinical words, a code, a pair,
# a guideline rule and a career question.
QUESTIONS = (
    "type 2 diabetes with hyperglycemia",
    "broken nose, first visit",
    "what is E11.65?",
    "can I code E10.9 with E11.9?",
    "when is sepsis sequenced first?",
    "How do I become a medical coder?",
    "acute appendicitis with perforation",
    "strep throat",
    "left ankle sprain, initial encounter",
    "chronic kidney disease stage 3",
    "what is I10?",
    "hypertension with heart failure",
)
MAX_CLIENTS = 200  # threads of this process; a team, not a denial of service
MAX_PER_CLIENT = 10_000
READY_SECONDS = 120.0  # how long the server may take to answer its health check


def read_questions(path: Path) -> list[str]:
    """Questions from JSON Lines rows (``question`` or ``query``), or ``gate.BadInput``."""
    from assistant.eval.runners import EvalFileError, read_jsonl

    try:
        rows = read_jsonl(path)
    except (EvalFileError, UnicodeDecodeError) as exc:
        raise gate.BadInput("file", str(exc).splitlines()[0]) from None
    out = []
    for n, row in enumerate(rows, start=1):
        text = row.get("question") or row.get("query")
        if not isinstance(text, str):
            raise gate.BadInput("file", f"{path}: row {n}: no 'question' or 'query' field")
        out.append(text)
    return out


def check_target(url: str) -> str:
    """The server's base URL, which must be on this machine."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in {"http", "https"} or not host:
        raise gate.BadInput("url", f"not an http URL: {url}")
    if host != "localhost" and not host.startswith("127.") and host != "::1":
        raise gate.BadInput("url", f"bench load drives a server on this machine only, not {host}")
    return url.rstrip("/")


def bench_load(
    url: str,
    questions: Sequence[str] = QUESTIONS,
    *,
    clients: int = 20,
    per_client: int = 25,
    endpoint: str = "ask",
    timeout: float = 60.0,
    token: str | None = None,
) -> dict[str, Any]:
    """Drive ``url`` from ``clients`` threads, ``per_client`` questions each, and report."""
    import httpx

    base = check_target(url)
    if not 1 <= clients <= MAX_CLIENTS:
        raise gate.BadInput("clients", f"clients must be from 1 to {MAX_CLIENTS}, not {clients}")
    if not 1 <= per_client <= MAX_PER_CLIENT:
        raise gate.BadInput(
            "questions", f"questions must be from 1 to {MAX_PER_CLIENT}, not {per_client}"
        )
    if not questions:
        raise gate.BadInput("questions", "no questions to ask")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    _wait_ready(base, timeout=READY_SECONDS)
    with httpx.Client(headers=headers, timeout=timeout) as client:
        warmup_ms, _ = _one(client, base, endpoint, questions[0])

    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def run(index: int) -> None:
        with httpx.Client(headers=headers, timeout=timeout) as client:
            start.wait()
            for j in range(per_client):
                question = questions[(index * per_client + j) % len(questions)]
                ms, outcome = _one(client, base, endpoint, question)
                with lock:
                    latencies.append(ms)
                    outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    report = _report(base, endpoint, clients, per_client, latencies, outcomes, seconds)
    report["warmup_ms"] = round(warmup_ms, 1)
    _print(report)
    return report


def _wait_ready(base: str, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise gate.BadInput(
                "url", f"no medcode server answers at {base} (start `medcode serve`)"
            )
        time.sleep(0.5)


def _one(client: Any, base: str, endpoint: str, question: str) -> tuple[float, str]:
    """One request: its latency in ms and "ok", an HTTP status, or the transport error."""
    import httpx

    began = time.perf_counter()
    try:
        if endpoint == "lookup":
            response = client.get(f"{base}/api/lookup", params={"q": question})
        else:
            response = client.post(f"{base}/api/ask", json={"question": question})
        ms = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            return ms, str(response.status_code)
        body = response.json()
        key = "results" if endpoint == "lookup" else "answer"
        return ms, "ok" if isinstance(body, dict) and key in body else "bad body"
    except (httpx.HTTPError, ValueError) as exc:
        return (time.perf_counter() - began) * 1000, type(exc).__name__


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` 0.95 for p95); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _report(
    base: str,
    endpoint: str,
    clients: int,
    per_client: int,
    latencies: list[float],
    outcomes: Counter[str],
    seconds: float,
) -> dict[str, Any]:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    errors = {k: v for k, v in outcomes.items() if k != "ok"}
    return {
        "url": base,
        "endpoint": endpoint,
        "clients": clients,
        "questions_per_client": per_client,
        "requests": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "p50_ms": ms(statistics.median(latencies)) if latencies else None,
        "p95_ms": ms(percentile(latencies, 0.95)),
        "max_ms": ms(max(latencies, default=None)),
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(latencies) / seconds, 1) if seconds else None,
        "machine": machine(),
    }


def _print(report: dict[str, Any]) -> None:
    keys = ("requests", "errors", "p50_ms", "p95_ms", "max_ms", "requests_per_s", "warmup_ms")
    table(
        f"bench load: {report['clients']} clients x {report['questions_per_client']} questions "
        f"on {report['url']}/api/{report['endpoint']} (load {report['machine']['load']})",
        keys,
        [[report.get(k) for k in keys]],
    )
