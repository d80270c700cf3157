"""One server for the chat page and the JSON API: FastAPI with the Gradio page mounted at ``/``,
everything behind the sign-in when one is configured, run by uvicorn.

Loopback (127.0.0.1) by default. Any other address needs a sign-in (``MEDCODE_AUTH_FILE`` or
``MEDCODE_AUTH``), or ``--insecure`` said out loud. No log line carries question text: the
access log is off (its request lines hold ``/api/lookup?q=...``) and failures are logged by
their type and frames only; ``MEDCODE_AUDIT_LOG`` is the one opt-in place for questions.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.interfaces import auth
from assistant.interfaces.api import Slots, build_api
from assistant.interfaces.audit import Audit

if TYPE_CHECKING:
    from assistant.container import Container
    from assistant.core.answer import Answer

TITLE = "medcode"
log = logging.getLogger("medcode.server")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


class BindRefused(auth.AuthFileError):
    """A non-loopback address without a sign-in (exit 2 with one line)."""


def check_bind(host: str, users: auth.Users | None, insecure: bool) -> None:
    """Refuse to expose an open server; with ``insecure`` say once what that means."""
    if users or is_loopback(host):
        return
    if not insecure:
        raise BindRefused(
            f"refusing to serve on {host} without a sign-in: set MEDCODE_AUTH_FILE (written by "
            "`medcode auth user NAME`) or MEDCODE_AUTH, or pass --insecure"
        )
    print(
        f"medcode: warning: serving on {host} without a sign-in (--insecure); anyone who can "
        "reach this port can ask questions and read the answers",
        file=sys.stderr,
    )


def build_server(
    container: Container,
    settings: Settings,
    users: auth.Users | None = None,
    audit: Audit | None = None,
) -> Any:
    """The ASGI app: the API routes, the page at ``/``, and the sign-in around both."""
    import gradio as gr

    from assistant.interfaces.web import LAUNCH_OPTIONS, build_ui, page_style

    audit = audit or Audit(None)
    slots = Slots(settings.concurrency)
    app = build_api(container, slots, audit)

    def page_ask(question: str, history: list[dict[str, Any]]) -> Answer:
        with slots.held():
            answer = container.ask(question, history)
        audit.record("page", answer.question, answer=answer)
        return answer

    demo = build_ui(
        page_ask,
        title=TITLE,
        status=container.status(),
        max_chars=settings.max_question_chars,
        concurrency=settings.concurrency,
    )
    gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        footer_links=LAUNCH_OPTIONS["footer_links"],
        run_history=LAUNCH_OPTIONS["run_history"],
        enable_monitoring=LAUNCH_OPTIONS["enable_monitoring"],
        ssr_mode=False,
        # The middleware has checked the user; Gradio only hears who it is.
        auth_dependency=(lambda request: request.scope.get("user")) if users else None,
        **page_style(),
    )
    return auth.RequireUser(app, users) if users else app


def serve(settings: Settings, *, insecure: bool = False) -> None:
    """Serve the page and the API until interrupted; ``SystemExit(2)`` before the first
    ingest, ``auth.AuthFileError`` for a bad users file or an open non-loopback bind.

    The model, the store and the parsed sources are loaded before the port opens, so the
    first answer is as fast as the rest; "ready" is logged once requests are accepted."""
    import uvicorn

    from assistant.container import Container

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    users = auth.load(settings)
    check_bind(settings.host, users, insecure)
    container = Container(settings)
    try:
        if container.lexical.count(container.codesets[0].collection) == 0:
            print(
                f"medcode: no codes ingested in {settings.home}; run `medcode ingest` first",
                file=sys.stderr,
            )
            raise SystemExit(2)
        started = time.perf_counter()
        log.info("loading the embedding model, the store and the parsed sources")
        container.warm()
        app = build_server(container, settings, users, Audit(settings.audit_log))
        loaded = ", ".join(cs["label"] for cs in container.status()["code_sets"])
        url = f"http://{settings.host}:{settings.port}/"
        ready = f"ready in {time.perf_counter() - started:.1f} s: {loaded}; serving {url}"
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            access_log=False,
            server_header=False,
            # uvicorn's own startup lines at info are four; "ready" says what they say.
            log_level="warning",
        )
        _ready_server()(config, ready).run()
    finally:
        container.close()


def _ready_server() -> type:
    import uvicorn

    class ReadyServer(uvicorn.Server):
        """uvicorn's server that logs one "ready" line once its socket accepts requests."""

        def __init__(self, config: uvicorn.Config, ready: str) -> None:
            super().__init__(config)
            self.ready = ready

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                log.info("%s", self.ready)

    return ReadyServer
