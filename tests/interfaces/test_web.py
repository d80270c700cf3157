"""The Gradio chat page (app.py): the turn callback, the page build, serve() and a real browser."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from assistant.config import Settings
from assistant.core.answer import Answer, Citation
from assistant.interfaces import web as app

LONG_GUIDELINE = (
    "If the reason for admission is sepsis and a localized infection, such as pneumonia or "
    "cellulitis, a code for the underlying systemic infection should be assigned first and "
    "the code for the localized infection should be assigned as a secondary diagnosis. "
    "If the patient is admitted with a localized infection and develops sepsis after "
    "admission, the localized infection should be sequenced first. " * 2
)


def fake_ask(question: str) -> Answer:
    """A grounded answer in the real shape, with one short and one long citation."""
    return Answer(
        question=question,
        answer=f"Best match: **E11.65** Type 2 diabetes mellitus with hyperglycemia [1] "
        f"(you asked: {question}). See also the sepsis guideline [2].",
        citations=[
            Citation(
                1,
                "ICD-10-CM FY2026 Tabular List",
                "E11.65",
                "E11.65 Type 2 diabetes mellitus with hyperglycemia",
            ),
            Citation(2, "ICD-10-CM Official Guidelines FY2026", "I.C.1.d.4", LONG_GUIDELINE),
        ],
        codes=["E11.65"],
        route="lookup",
    )


def failing_ask(question: str) -> Answer:
    raise RuntimeError("lexical index is locked\nby another process")


def texts(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in history]


# --- respond() ------------------------------------------------------------------------------
def test_respond_appends_question_and_answer_and_lists_sources():
    history, sources, box = app.respond(
        "  type 2 diabetes   with hyperglycemia ", [], fake_ask, max_chars=200
    )
    assert texts(history)[0] == ("user", "type 2 diabetes with hyperglycemia")
    assert history[1]["role"] == "assistant"
    assert "**E11.65**" in history[1]["content"]
    assert box == ""
    assert "**[1]** ICD-10-CM FY2026 Tabular List — E11.65" in sources
    assert "> E11.65 Type 2 diabetes mellitus with hyperglycemia" in sources
    assert "**[2]** ICD-10-CM Official Guidelines FY2026 — I.C.1.d.4" in sources
    # A long passage is quoted on one line and cut at a word boundary.
    quoted = [line for line in sources.splitlines() if line.startswith("> If the reason")]
    assert len(quoted) == 1
    assert quoted[0].endswith(" …")
    assert len(quoted[0]) <= app.QUOTE_CHARS + 5


def test_respond_keeps_earlier_turns_in_gradio_format():
    # Gradio 6 hands history back normalised: content is a list of typed parts.
    chatbot = gr.Chatbot()
    first, _, _ = app.respond("what is E11.65?", [], fake_ask, max_chars=200)
    from_browser = chatbot.preprocess(chatbot.postprocess(first))
    history, _, _ = app.respond("broken nose, first visit", from_browser, fake_ask, max_chars=200)
    assert len(history) == 4
    assert texts(history)[2] == ("user", "broken nose, first visit")
    shown = chatbot.postprocess(history).model_dump()
    assert [m["role"] for m in shown] == ["user", "assistant", "user", "assistant"]
    assert shown[2]["content"][0]["text"] == "broken nose, first visit"


def test_answer_without_citations_says_so():
    def bare(question: str) -> Answer:
        return Answer(question, "No code fits.")

    _, sources, _ = app.respond("xyzzy", [], bare, max_chars=200)
    assert sources == app.NO_SOURCES


@pytest.mark.parametrize("message", ["", "   \n\t "])
def test_empty_message_gets_a_hint_and_changes_nothing_else(message):
    earlier = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    history, sources, box = app.respond(
        message, earlier, fake_ask, max_chars=200, previous_sources="old sources"
    )
    assert history[:2] == earlier
    assert texts(history)[2] == ("assistant", app.EMPTY_HINT)
    assert "\n" not in app.EMPTY_HINT
    assert sources == "old sources"
    assert box == message


def test_too_long_message_stays_in_the_box():
    message = "diabetes " * 30
    history, sources, box = app.respond(
        message, [], fake_ask, max_chars=100, previous_sources="old sources"
    )
    reply = history[-1]["content"]
    assert history[-1]["role"] == "assistant" and len(history) == 1
    assert reply.startswith("Question too long: 269 characters (limit 100)")
    assert "\n" not in reply
    assert box == message
    assert sources == "old sources"


def test_failing_ask_reports_one_line_and_keeps_history():
    earlier = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    history, sources, box = app.respond(
        "what is E11.65?", earlier, failing_ask, max_chars=200, previous_sources="old sources"
    )
    assert history[:2] == earlier
    assert texts(history)[2] == ("user", "what is E11.65?")
    reply = history[3]["content"]
    assert reply == "Sorry, that question failed: lexical index is locked by another process"
    assert box == "what is E11.65?"
    assert sources == "old sources"


# --- build_ui() and serve() -----------------------------------------------------------------
def test_build_ui_shows_version_local_note_and_examples():
    demo = app.build_ui(fake_ask, title="medcode", version_label="ICD-10-CM FY2026", max_chars=200)
    assert isinstance(demo, gr.Blocks)
    assert demo.analytics_enabled is False
    config = demo.get_config_file()
    values = [str(c.get("props", {}).get("value", "")) for c in config["components"]]
    header = next(v for v in values if v.startswith("# medcode"))
    assert "ICD-10-CM FY2026" in header
    assert "locally" in header
    assert "CPT® is not included" in header and "AMA" in header
    samples = next(c["props"]["samples"] for c in config["components"] if c["type"] == "dataset")
    assert ["what is E11.65?"] in samples
    assert ["CPC vs CCS — which certification?"] in samples


def test_serve_without_ingested_codes_exits_2_with_a_hint(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        app.serve(Settings(home=tmp_path / "empty"))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "medcode ingest" in err
    assert len(err.strip().splitlines()) == 1


class FakeContainer:
    """Stands in for assistant.container.Container: one ingested code, a canned answer."""

    closed = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lexical = type("Lexical", (), {"count": staticmethod(lambda collection: 1)})()
        self.codesets = [
            type("CodeSet", (), {"label": "ICD-10-CM FY2026", "collection": "codes"})()
        ]
        self.ask = fake_ask

    def close(self) -> None:
        FakeContainer.closed = True


def test_serve_binds_to_the_configured_local_address(monkeypatch, tmp_path):
    import assistant.container

    launched: dict[str, Any] = {}
    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)
    monkeypatch.setattr(assistant.container, "Container", FakeContainer)
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.update(kw))
    app.serve(Settings(home=tmp_path, port=7999))
    assert launched["server_name"] == "127.0.0.1"
    assert launched["server_port"] == 7999
    assert launched["share"] is False
    assert "api" not in launched["footer_links"]
    assert FakeContainer.closed
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"


# --- a real browser -------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.browser
def test_page_answers_a_question_and_shows_its_sources(tmp_path: Path, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found (apt-get install -y chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed (pip install playwright)"
    )
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    demo = app.build_ui(fake_ask, title="medcode", version_label="ICD-10-CM FY2026", max_chars=200)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        **app.LAUNCH_OPTIONS,
    )
    outside: list[str] = []
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                # "Everything runs locally": the page itself must not call out either.
                page.on(
                    "request",
                    lambda r: (
                        None
                        if r.url.startswith((f"http://127.0.0.1:{port}", "data:", "blob:"))
                        else outside.append(r.url)
                    ),
                )
                page.goto(f"http://127.0.0.1:{port}/", wait_until="networkidle")
                sync_api.expect(page.locator("#header")).to_contain_text("ICD-10-CM FY2026")
                page.locator("#question textarea").fill("type 2 diabetes with hyperglycemia")
                page.locator("#send").click()
                chat = page.locator("#chat")
                sync_api.expect(chat).to_contain_text("Type 2 diabetes mellitus with hyperglycemia")
                sync_api.expect(chat).to_contain_text("you asked: type 2 diabetes")
                sources = page.locator("#sources")
                sync_api.expect(sources).to_contain_text(
                    "[1] ICD-10-CM FY2026 Tabular List — E11.65"
                )
                sync_api.expect(sources).to_contain_text("I.C.1.d.4")
                sync_api.expect(page.locator("#question textarea")).to_have_value("")
                # Clicking an example question asks it straight away.
                page.get_by_text("what is E11.65?", exact=True).click()
                sync_api.expect(chat).to_contain_text("you asked: what is E11.65?")
                page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
                sync_api.expect(page.get_by_text("Use via API")).to_have_count(0)
                # Clearing the chat clears the Sources panel with it.
                page.locator("#chat button[aria-label='Clear']").first.click()
                sync_api.expect(sources).to_contain_text("appear here")
            finally:
                browser.close()
    finally:
        demo.close()
    assert (tmp_path / "chat.png").stat().st_size > 10_000
    assert outside == []
