"""``medcode bench memory``: peak RSS of the serving process after warm-up.

A driver process does what ``medcode serve`` does (the container from the settings, the chat
page launched on a local port), fetches the page once, then answers questions of every kind
through the page's own turn function; the kernel's count of its peak RSS is the figure.
"""

from __future__ import annotations

import socket
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.eval.bench import child_main, machine, make_embedder, run_measured, table

if TYPE_CHECKING:
    from assistant.config import Settings

MODULE = "assistant.eval.bench_memory"
# One question of each kind the page answers, written for this bench: lookups in every code
# set, a code's details, an Excludes check, a guideline rule, a career question and CPT.
QUESTIONS = (
    "type 2 diabetes with hyperglycemia",
    "broken wrist, first visit",
    "chest pain on breathing",
    "what is E11.65?",
    "can I code E10.9 with E11.9?",
    "when is sepsis sequenced first?",
    "how are late effects of an injury coded?",
    "How do I become a medical coder?",
    "laparoscopic appendectomy",
    "HCPCS code for a standard wheelchair",
    "CPT code for an office visit",
)
FAILED = "Sorry, that question failed"  # how the page's turn reports an exception (a notice)
ROUNDS = 3  # each question asked this many times, so caches and buffers reach steady state


def bench_memory(
    settings: Settings,
    *,
    port: int | None = None,
    questions: tuple[str, ...] = QUESTIONS,
    rounds: int = ROUNDS,
    embedder: str | None = None,
) -> dict[str, Any]:
    """Peak and settled RSS of a serving process on ``settings.home`` after it answered
    ``questions`` ``rounds`` times; ``embedder`` (``module:factory``) is for tests."""
    payload = {
        "settings": settings.model_dump(mode="json"),
        "port": port or free_port(),
        "questions": list(questions),
        "rounds": rounds,
        "embedder": embedder,
    }
    before = machine()
    run = run_measured(MODULE, payload)
    report: dict[str, Any] = {
        "bench": "memory",
        "home": str(settings.home),
        **run.result,
        "peak_rss_mb": run.peak_rss_mb,
        "seconds": run.seconds,
        "machine": {"before": before, "after": machine()},
    }
    if run.returncode:
        report["failed"] = run.result.get("error", f"exit {run.returncode}")
    table(
        f"bench memory: load {before['load']}",
        ["code sets", "answered", "page", "rss after warm-up MB", "peak RSS MB"],
        [
            [
                ",".join(report.get("code_sets", [])),
                report.get("answered"),
                report.get("page_status"),
                report.get("rss_mb"),
                report["peak_rss_mb"],
            ]
        ],
    )
    return report


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (VmRSS) or its peak (VmHWM), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _serve_and_ask(payload: dict[str, Any]) -> dict[str, Any]:
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import httpx

    from assistant.config import Settings
    from assistant.container import Container
    from assistant.interfaces.web import LAUNCH_OPTIONS, build_ui, respond

    settings = Settings(**payload["settings"])
    embeddings = make_embedder(payload["embedder"], settings) if payload.get("embedder") else None
    services = Container(settings, embeddings=embeddings)
    demo = build_ui(
        services.ask,
        title="medcode",
        status=services.status(),
        max_chars=settings.max_question_chars,
    )
    port = int(payload["port"])
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, **LAUNCH_OPTIONS
    )
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code
        ms, answered = [], 0
        for _ in range(int(payload["rounds"])):
            for question in payload["questions"]:
                started = time.perf_counter()
                history, _sources, _box = respond(
                    question, [], services.ask, settings.max_question_chars
                )
                ms.append((time.perf_counter() - started) * 1000)
                reply = str(history[-1]["content"])
                answered += FAILED not in reply
        return {
            "code_sets": [cs.name for cs in services.codesets],
            "answered": answered,
            "page_status": page,
            "p50_ms": round(statistics.median(ms), 1) if ms else None,
            "rss_mb": _rss_mb("VmRSS"),
            "hwm_mb": _rss_mb("VmHWM"),
        }
    finally:
        demo.close()
        services.close()


if __name__ == "__main__":
    raise SystemExit(child_main(_serve_and_ask))
