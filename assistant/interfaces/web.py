"""The Gradio chat page: a thin adapter from a browser to ``Container.ask``."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.config import Settings
from assistant.core import gate

if TYPE_CHECKING:
    from assistant.core.answer import Answer, Citation

log = logging.getLogger(__name__)

EXAMPLES = [
    "type 2 diabetes with hyperglycemia",
    "broken nose, first visit",
    "what is E11.65?",
    "can I code E10.9 with E11.9?",
    "when is sepsis sequenced first?",
    "How do I become a medical coder?",
    "CPC vs CCS — which certification?",
]
SOURCES_PLACEHOLDER = "_The sources of the last answer appear here._"
NO_SOURCES = "_This answer cites no sources._"
EMPTY_HINT = 'Type a description ("broken nose, first visit"), a code ("E11.65") or a question.'
# Long enough for a full code description or a guideline sentence, short enough that
# several sources fit on screen next to the chat.
QUOTE_CHARS = 280
# Launch options for a local tool. Gradio 6 dropped launch(show_api=...): leaving "api" out
# of footer_links hides the link, and the chat events themselves are api_visibility="private".
LAUNCH_OPTIONS: dict[str, Any] = {
    "share": False,
    "footer_links": ["settings"],
    "run_history": False,  # questions may hold patient details: keep none in the browser
    "enable_monitoring": False,
}

Message = dict[str, Any]


def _quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """One Markdown blockquote line: whitespace collapsed, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.") + " …"
    return f"> {flat}"


def sources_markdown(citations: list[Citation]) -> str:
    """The Sources panel for one answer: ``[n] source — ref`` and the quoted text."""
    if not citations:
        return NO_SOURCES
    blocks = []
    for c in citations:
        head = f"**[{c.n}]** {c.source} — {c.ref}"
        blocks.append(f"{head}\n\n{_quote(c.text)}" if c.text.strip() else head)
    return "\n\n".join(blocks)


def respond(
    message: str,
    history: list[Message],
    ask: Callable[[str], Answer],
    max_chars: int,
    *,
    previous_sources: str = SOURCES_PLACEHOLDER,
) -> tuple[list[Message], str, str]:
    """Answer one chat turn; returns (history, sources markdown, new textbox value).

    Bad input and failures become a one-line assistant message; the textbox keeps the
    question and the Sources panel keeps the last answer's sources, so nothing is lost.
    """
    history = list(history or [])
    try:
        question = gate.question(message, max_chars)
    except gate.BadInput as exc:
        notice = EMPTY_HINT if exc.kind == "empty" else _sentence(str(exc))
        history.append({"role": "assistant", "content": notice})
        return history, previous_sources, message or ""
    history.append({"role": "user", "content": question})
    try:
        answer = ask(question)
    except Exception as exc:  # the page must survive any backend failure
        # The type and the frames say which step failed; the message may quote the question.
        frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
        log.error("a question from the page failed: %s\n%s", type(exc).__name__, frames)
        detail = " ".join(str(exc).split()) or type(exc).__name__
        history.append({"role": "assistant", "content": f"Sorry, that question failed: {detail}"})
        return history, previous_sources, message
    history.append({"role": "assistant", "content": answer.answer})
    return history, sources_markdown(answer.citations), ""


def _sentence(line: str) -> str:
    """The gate's one line as the page shows it: "Question too long: ... ."."""
    parts = [part[:1].upper() + part[1:] for part in line.split("; ")]
    return ". ".join(parts).rstrip(".") + "."


def _header(title: str, version_label: str) -> str:
    return (
        f"# {title}\n"
        f"Code set: **{version_label}**, with the official guidelines and career notes. "
        "Everything runs locally on this computer; questions never leave it. "
        "CPT® is not included (it is licensed by the AMA). "
        "Answers cite their sources; verify codes against the Tabular List before billing."
    )


def build_ui(
    ask: Callable[[str], Answer],
    *,
    title: str,
    version_label: str,
    max_chars: int,
    concurrency: int = 1,
) -> gr.Blocks:
    """The chat page: header, chat, question box, example questions and a Sources panel;
    ``concurrency`` questions are answered at once (the server passes its answer slots)."""

    def on_send(message: str, history: list[Message], sources: str):
        return respond(message, history, ask, max_chars, previous_sources=sources)

    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        gr.Markdown(_header(title, version_label), elem_id="header")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat",
                    elem_id="chat",
                    height=520,
                    buttons=["copy", "copy_all"],  # no "share": it posts to Hugging Face
                    feedback_options=None,
                    placeholder="Ask for a code, look one up, or ask about the guidelines.",
                )
                with gr.Row():
                    box = gr.Textbox(
                        show_label=False,
                        placeholder="e.g. type 2 diabetes with hyperglycemia",
                        elem_id="question",
                        scale=5,
                        max_lines=6,
                        autofocus=True,
                    )
                    send = gr.Button("Send", variant="primary", elem_id="send", scale=1)
                examples = gr.Examples(
                    examples=[[q] for q in EXAMPLES], inputs=[box], label="Try a question"
                )
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.Markdown(SOURCES_PLACEHOLDER, elem_id="sources")

        turn: dict[str, Any] = {
            "fn": on_send,
            "inputs": [box, chatbot, sources],
            "outputs": [chatbot, sources, box],
            # Callable from the page only: no public API endpoint on a local tool.
            "api_visibility": "private",
            # Send, Enter and example clicks share one queue, served by as many workers as
            # the server has answer slots (the container is safe for concurrent questions).
            "concurrency_id": "ask",
            "concurrency_limit": concurrency,
        }
        send.click(**turn)
        box.submit(**turn)
        # Clicking an example fills the box, then asks it straight away.
        examples.load_input_event.then(**turn)
        # The chat's own clear button must not leave the old answer's sources behind.
        chatbot.clear(lambda: SOURCES_PLACEHOLDER, outputs=[sources], api_visibility="private")
    return demo


def serve(settings: Settings, *, insecure: bool = False) -> None:
    """Serve the page and the JSON API (``assistant.interfaces.server``) until interrupted."""
    from assistant.interfaces.server import serve as serve_all

    serve_all(settings, insecure=insecure)


def main() -> None:
    """``python app.py``: ``medcode serve`` with the settings from the environment."""
    from assistant.interfaces.cli import main as cli_main

    raise SystemExit(cli_main(["serve"]))
