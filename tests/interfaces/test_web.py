"""The Gradio chat page: the turn callback, how an answer is drawn, the page build and serve().
The one real-browser test is ``test_browser.py``."""

from __future__ import annotations

import logging
import os
from typing import Any

import gradio as gr
import pytest

from assistant.config import Settings
from assistant.container import Container
from assistant.core.answer import Answer, Citation
from assistant.interfaces import web as app

LONG_GUIDELINE = (
    "If the reason for admission is sepsis and a localized infection, such as pneumonia or "
    "cellulitis, a code for the underlying systemic infection should be assigned first and "
    "the code for the localized infection should be assigned as a secondary diagnosis. "
    "If the patient is admitted with a localized infection and develops sepsis after "
    "admission, the localized infection should be sequenced first. " * 2
)
STATUS = {
    "code_sets": [
        {"name": "icd10cm", "title": "ICD-10-CM", "release": "FY2026", "label": "ICD-10-CM FY2026"}
    ],
    "guidelines": False,
    "index": True,
    "tables": False,
    "llm": "none",
}


def fake_ask(question: str, history: list[dict[str, Any]] | None = None) -> Answer:
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


def failing_ask(question: str, history: list[dict[str, Any]]) -> Answer:
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


def test_respond_passes_the_earlier_turns_as_plain_text():
    # Gradio 6 hands history back normalised: content is a list of typed parts.
    chatbot = gr.Chatbot()
    seen: list[list[dict[str, Any]]] = []

    def ask(question: str, history: list[dict[str, Any]]) -> Answer:
        seen.append(history)
        return fake_ask(question)

    first, _, _ = app.respond("type 2 diabetes", [], ask, max_chars=200)
    from_browser = chatbot.preprocess(chatbot.postprocess(first))
    history, _, _ = app.respond("type 1", from_browser, ask, max_chars=200)
    assert seen[0] == []
    assert seen[1][0] == {"role": "user", "content": "type 2 diabetes"}
    assert [m["role"] for m in seen[1]] == ["user", "assistant"]
    assert len(history) == 4 and texts(history)[2] == ("user", "type 1")
    shown = chatbot.postprocess(history).model_dump()
    assert [m["role"] for m in shown] == ["user", "assistant", "user", "assistant"]


def test_answer_without_citations_says_so():
    def bare(question: str, history: list[dict[str, Any]]) -> Answer:
        return Answer(question, "No code fits.")

    _, sources, _ = app.respond("xyzzy", [], bare, max_chars=200)
    assert sources == app.NO_SOURCES


@pytest.mark.parametrize("message", ["", "   \n\t "])
def test_empty_message_gets_a_notice_of_its_own(message):
    earlier = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    previous = "**[1]** ICD-10-CM FY2026 Tabular List — E11.65"
    history, sources, box = app.respond(
        message, earlier, fake_ask, max_chars=200, previous_sources=previous
    )
    assert history[:2] == earlier  # the previous answer is untouched
    assert texts(history)[2] == ("assistant", app.NOTICE + app.EMPTY_HINT)
    assert "\n" not in app.EMPTY_HINT
    assert sources == f"{app.KEPT_SOURCES}\n\n{previous}"
    assert box == message
    # A second notice does not say it twice.
    _, again, _ = app.respond("", history, fake_ask, max_chars=200, previous_sources=sources)
    assert again.count(app.KEPT_SOURCES) == 1


def test_notice_before_any_answer_keeps_the_placeholder():
    _, sources, _ = app.respond("", [], fake_ask, max_chars=200)
    assert sources == app.SOURCES_PLACEHOLDER


def test_too_long_message_stays_in_the_box():
    message = "diabetes " * 30
    history, sources, box = app.respond(
        message, [], fake_ask, max_chars=100, previous_sources="old sources"
    )
    reply = history[-1]["content"]
    assert history[-1]["role"] == "assistant" and len(history) == 1
    assert reply.startswith(app.NOTICE + "Question too long: 269 characters (limit 100)")
    assert "\n" not in reply
    assert box == message
    assert sources.startswith(app.KEPT_SOURCES) and sources.endswith("old sources")


def test_failing_ask_reports_one_line_and_logs_no_question(caplog):
    earlier = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    with caplog.at_level(logging.ERROR):
        history, sources, box = app.respond(
            "what is E11.65 for Jane Doe?",
            earlier,
            failing_ask,
            max_chars=200,
            previous_sources="old",
        )
    assert history[:2] == earlier
    assert texts(history)[2] == ("user", "what is E11.65 for Jane Doe?")
    reply = history[3]["content"]
    assert (
        reply
        == app.NOTICE + "Sorry, that question failed: lexical index is locked by another process"
    )
    assert box == "what is E11.65 for Jane Doe?"
    assert sources.startswith(app.KEPT_SOURCES)
    assert "RuntimeError" in caplog.text and "Jane Doe" not in caplog.text


# --- answer_markdown() on real answers --------------------------------------------------------
def test_lookup_leads_with_the_code_to_report_in_a_copyable_block(ingested: Container):
    shown = app.answer_markdown(ingested.ask("type 2 diabetes with hyperglycemia"))
    assert shown.startswith("**Report:**\n\n```\nE11.65\n```\n\n")
    assert "Type 2 diabetes mellitus with hyperglycemia — ICD-10-CM FY2026, billable" in shown
    assert shown.index("```\nE11.65") < shown.index("Best match:")


def test_companions_are_listed_in_reporting_order(ingested: Container):
    answer = ingested.ask("type 2 diabetes with hyperglycemia")
    answer.report = ["E11.65", "E11.9"]  # as a lookup with a "use additional code" note gives
    from assistant.answer import parts

    parts.attach(answer, ingested.codesets)
    shown = app.answer_markdown(answer)
    assert shown.startswith("**Report, in this order:**")
    assert shown.index("```\nE11.65") < shown.index("```\nE11.9\n")
    assert "1. Type 2 diabetes mellitus with hyperglycemia" in shown
    assert "2. Type 2 diabetes mellitus without complications" in shown


def test_code_details_fold_the_inherited_notes(ingested: Container):
    shown = app.answer_markdown(ingested.ask("what is E11.65?"))
    assert shown.startswith("**Code:**\n\n```\nE11.65\n```")
    folded = shown[shown.index("<details>") : shown.index("</details>")]
    assert "<summary>Inherited notes (E11): 2 lines (click to show)</summary>" in folded
    assert "type 1 diabetes mellitus (E10.-) (at E11)" in folded
    assert shown.index("In: Chapter 4") < shown.index("<details>")


def test_follow_up_shows_how_it_was_read_first(ingested: Container):
    history = [{"role": "user", "content": "type 2 diabetes with hyperglycemia"}]
    shown = app.answer_markdown(ingested.ask("type 1", history))
    first, rest = shown.split("\n\n", 1)
    assert first == "_Read as: type 1 diabetes with hyperglycemia_"
    assert rest.startswith("**Report:**\n\n```\nE10.65\n```")


def test_pair_check_leads_with_its_verdict(ingested: Container):
    shown = app.answer_markdown(ingested.ask("can I code E10.9 with E11.9?"))
    assert shown.startswith("**Excludes1 conflict found among E10.9, E11.9:**")
    assert "```" not in shown


def test_missing_guidelines_is_one_notice_line(ingested: Container):
    shown = app.answer_markdown(ingested.ask("when is sepsis sequenced first?"))
    assert shown.startswith(app.NOTICE + "The Official Guidelines are not ingested")
    assert "\n" not in shown and "`medcode download`" in shown


def test_no_dangling_bold_in_a_rendered_answer(ingested: Container):
    # "AA**PC**": a cut passage must not leave an unclosed ** behind.
    for question in ("How do I become a medical coder?", "what is E11.65?"):
        shown = app.answer_markdown(ingested.ask(question))
        outside_code = "".join(shown.split("```")[::2])
        assert outside_code.count("**") % 2 == 0, question


# --- the status line, build_ui() and serve() --------------------------------------------------
def test_status_line_names_what_is_loaded_and_how_to_add_the_rest():
    line = app.status_markdown(STATUS)
    assert line.startswith("Code sets: **ICD-10-CM FY2026** | Guidelines: no | Index: yes")
    assert "Drug/Neoplasm tables: no | LLM: none" in line
    assert "`medcode download`" in line and "\n" not in line
    full = {**STATUS, "guidelines": True, "tables": True, "llm": "local"}
    assert app.status_markdown(full).endswith("LLM: local")


def test_status_of_a_fixture_container(ingested: Container):
    status = ingested.status()
    assert [cs["label"] for cs in status["code_sets"]] == ["ICD-10-CM FY2026"]
    assert status == {**status, "guidelines": False, "index": False, "tables": False, "llm": "none"}


def test_build_ui_shows_status_local_note_and_examples():
    demo = app.build_ui(fake_ask, title="medcode", status=STATUS, max_chars=200)
    assert isinstance(demo, gr.Blocks)
    assert demo.analytics_enabled is False
    config = demo.get_config_file()
    values = [str(c.get("props", {}).get("value", "")) for c in config["components"]]
    header = next(v for v in values if v.startswith("# medcode"))
    assert "locally" in header and "guidelines" not in header
    assert "CPT® is not included" in header and "AMA" in header
    assert any(v.startswith("Code sets: **ICD-10-CM FY2026**") for v in values)
    chat = next(c["props"] for c in config["components"] if c["type"] == "chatbot")
    assert chat["group_consecutive_messages"] is False and chat["autoscroll"] is False
    samples = next(c["props"]["samples"] for c in config["components"] if c["type"] == "dataset")
    assert ["what is E11.65?"] in samples


def test_page_style_asks_no_font_server():
    theme = app.page_style()["theme"]
    assert theme._stylesheets == []  # no Google Fonts (or any) stylesheet URL
    assert "system-ui" in theme.font and "IBM Plex" not in theme.font
    assert "@font-face" not in theme._get_theme_css()


def test_serve_without_ingested_codes_exits_2_with_a_hint(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        app.serve(Settings(home=tmp_path / "empty"))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "medcode ingest" in err
    assert len(err.strip().splitlines()) == 1


class FakeContainer:
    """Stands in for assistant.container.Container: one ingested code, a canned answer."""

    events: list[str] = []

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lexical = type("Lexical", (), {"count": staticmethod(lambda collection: 1)})()
        self.codesets = [type("CodeSet", (), {"collection": "codes"})()]
        self.ask = fake_ask

    def status(self) -> dict[str, Any]:
        return STATUS

    def warm(self) -> None:
        FakeContainer.events.append("warm")

    def close(self) -> None:
        FakeContainer.events.append("close")


def test_serve_warms_the_container_before_it_listens(monkeypatch, tmp_path, caplog):
    import uvicorn

    import assistant.container

    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)
    monkeypatch.setattr(assistant.container, "Container", FakeContainer)
    FakeContainer.events = []

    def run(server: uvicorn.Server) -> None:
        FakeContainer.events.append(f"listen {server.config.host}:{server.config.port}")

    monkeypatch.setattr(uvicorn.Server, "run", run)
    with caplog.at_level(logging.INFO, logger="medcode"):
        app.serve(Settings(home=tmp_path, port=7999))
    assert FakeContainer.events == ["warm", "listen 127.0.0.1:7999", "close"]
    assert caplog.messages[0].startswith("loading ")
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
