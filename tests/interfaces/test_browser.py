"""The one real-browser test: headless Chromium against the real server (the API and the page
in one FastAPI app under uvicorn) on a small fixture container without the guidelines."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.container import Container
from assistant.interfaces.server import build_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ANSWER_SECONDS = 30_000  # ms a turn may take on a busy 2-core machine (a turn takes about 1 s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(ingested: Container) -> Iterator[str]:
    """The real server on 127.0.0.1 and a free port, in a thread; yields its URL."""
    import uvicorn

    ingested.settings.port = free_port()
    app = build_server(ingested, ingested.settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=ingested.settings.port, log_level="warning", access_log=False
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{ingested.settings.port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_page_is_a_working_tool(server: str, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found (as root: apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    expect = sync_api.expect
    outside: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            # "Everything runs locally": the page asks nothing of another host (fonts included).
            page.on(
                "request",
                lambda r: (
                    None
                    if r.url.startswith(("http://127.0.0.1:", "data:", "blob:"))
                    else outside.append(r.url)
                ),
            )
            page.goto(server + "/", wait_until="networkidle")
            status = page.locator("#status")
            expect(status).to_contain_text("Code sets: ICD-10-CM FY2026")
            expect(status).to_contain_text("Guidelines: no")
            expect(status).to_contain_text("LLM: none")
            box, bots = page.locator("#question textarea"), page.locator("#chat .bot-row")

            def ask(text: str, answers: int) -> None:
                box.fill(text)
                page.locator("#send").click()
                expect(bots).to_have_count(answers, timeout=ANSWER_SECONDS)

            # A lookup: the code to report leads, in its copyable block, with set and status.
            ask("type 2 diabetes with hyperglycemia", 1)
            first = bots.nth(0)
            expect(first.locator(".code_wrap").first).to_have_text("E11.65")
            expect(first.locator(".copy_code_button").first).to_be_visible()
            expect(first).to_contain_text("ICD-10-CM FY2026, billable")
            expect(first.locator("strong").first).to_have_text("Report:")  # bold renders
            expect(first.locator("details summary")).to_contain_text("Inherited notes (E11)")
            expect(page.locator("#sources")).to_contain_text("[1] ICD-10-CM FY2026 Tabular List")
            # A follow-up: read against the lookup, said first, then its code.
            ask("type 1", 2)
            expect(bots.nth(1).locator("em").first).to_have_text(
                "Read as: type 1 diabetes with hyperglycemia"
            )
            expect(bots.nth(1).locator(".code_wrap").first).to_have_text("E10.65")
            # A rule question without the guidelines: the notice, not a code.
            ask("when is sepsis sequenced first?", 3)
            notice = bots.nth(2)
            expect(notice).to_contain_text("The Official Guidelines are not ingested")
            expect(notice).to_contain_text("medcode download")
            expect(notice.locator(".code_wrap")).to_have_count(0)
            # An empty message: a notice in a bubble of its own, the answers untouched.
            box.fill("   ")
            page.locator("#send").click()
            expect(bots).to_have_count(4, timeout=ANSWER_SECONDS)
            expect(bots.nth(3)).to_have_text(
                '⚠️ Type a description ("broken nose, first visit"), a code ("E11.65") or a '
                "question."
            )
            expect(bots.nth(2)).not_to_contain_text("Type a description")
            expect(page.locator("#sources")).to_contain_text("last answer are shown")
            expect(box).to_have_value("   ")
            chat_text = page.locator("#chat").inner_text()
            assert "**" not in chat_text  # every bold mark rendered
            shot = tmp_path / "page.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    assert outside == []
