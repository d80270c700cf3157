"""The JSON HTTP API beside the chat page: the objects of ``ask``, ``lookup``, ``code`` and
``check --json``, one route each, with bad input as ``{"error": str}`` and status 4xx.

Every route answers through one guarded route class, so no request ever ends in a traceback:
bad input is 400 (an unknown code in ``/api/code`` 404), anything else 500 with a line that
names no question text. Questions wait for one of the server's answer slots (``Slots``),
shared with the page.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Coroutine
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from assistant.container import Container
from assistant.core import gate
from assistant.core.codeset import UnknownCodeError
from assistant.interfaces import queries
from assistant.interfaces.audit import Audit

log = logging.getLogger(__name__)
# A request body larger than this is refused before it is read: a 1,000-turn history of full
# answers (about 3 KB each) fits; a question alone never comes near.
MAX_BODY_BYTES = 4 * 2**20
# What the catch-all under /api answers (a JSON 404 or 405 rather than the page's own 404).
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class Slots:
    """How many questions are answered at once (``MEDCODE_CONCURRENCY``), page and API."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._semaphore = threading.BoundedSemaphore(n)

    @contextmanager
    def held(self) -> Any:
        with self._semaphore:
            yield


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskBody(BaseModel):
    question: str = Field(description="A description, a code or a question.")
    history: list[Message] | None = Field(
        default=None, description="Earlier turns, oldest first (the last 40 are read)."
    )


class CheckBody(BaseModel):
    codes: list[str] = Field(description="Two or more codes to check together.")


class Citation(BaseModel):
    n: int
    source: str
    ref: str
    text: str


class AskResult(BaseModel):
    """The ``ask --json`` object (further keys may follow)."""

    answer: str
    citations: list[Citation]
    codes: list[str]


class LookupHit(BaseModel):
    code: str
    description: str
    billable: bool
    score: float
    source: str
    code_set: str


class LookupResult(BaseModel):
    """The ``lookup --json`` object."""

    query: str
    results: list[LookupHit]


class CheckConflict(BaseModel):
    code: str
    other: str
    note: str
    level: str


class CheckResult(BaseModel):
    """The ``check --json`` object."""

    codes: list[str]
    conflicts: list[CheckConflict]
    allowed_with_note: list[CheckConflict]


class Error(BaseModel):
    error: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Error, "description": "Bad input: one line saying what to change."},
    500: {"model": Error, "description": "An internal error (no detail of the question)."},
}


class NotFound(Exception):
    """A code that is not in any loaded code set, asked for by ``/api/code/{code}``."""


def status_of(exc: BaseException) -> tuple[int, str]:
    """The status and one-line message for an exception raised while answering."""
    if isinstance(exc, NotFound):
        return 404, str(exc)
    if isinstance(exc, gate.BadInput):
        return (503 if exc.kind == "not_ingested" else 400), str(exc)
    if isinstance(exc, UnknownCodeError):
        return 400, str(exc)
    if isinstance(exc, RequestValidationError | ValidationError):
        return 400, _validation_line(exc)
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail)
    return 500, "internal error; the server log names the failing step"


def _validation_line(exc: RequestValidationError | ValidationError) -> str:
    errors = list(exc.errors())
    if not errors:
        return "bad request"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return f"{where}: {first.get('msg', 'invalid')}"


def log_failure(where: str, exc: BaseException) -> None:
    """The failing step for the server log: the exception's type and frames, never its message
    (it may quote the question)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("%s failed: %s\n%s", where, type(exc).__name__, frames.rstrip())


class GuardedRoute(APIRoute):
    """Every failure of a route, validation included, becomes ``{"error": str}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            size = request.headers.get("content-length", "")
            if size.isdigit() and int(size) > MAX_BODY_BYTES:
                return _error(413, f"request body over {MAX_BODY_BYTES // 2**20} MiB")
            try:
                return await handler(request)
            except Exception as exc:  # one JSON line for whatever went wrong
                status, message = status_of(exc)
                if status >= 500:
                    log_failure(request.url.path, exc)
                return _error(status, message)

        return guarded


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def build_api(
    container: Container, slots: Slots | None = None, audit: Audit | None = None
) -> FastAPI:
    """The FastAPI app with the four routes (the page is mounted on it by ``server``)."""
    slots = slots or Slots(container.settings.concurrency)
    audit = audit or Audit(None)
    app = FastAPI(
        title="medcode",
        summary="Medical coding answers with cited sources, on this machine.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.router.route_class = GuardedRoute

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        # Paths and methods no route has (404, 405): the same JSON shape as every error.
        return _error(exc.status_code, str(exc.detail))

    @app.get("/api/health", tags=["server"])
    def health() -> dict[str, str]:
        """Whether the server is up (open without sign-in; it says nothing else)."""
        return {"status": "ok"}

    @app.post(
        "/api/ask",
        tags=["answers"],
        response_model=None,
        responses={200: {"model": AskResult}, **ERRORS},
    )
    def ask(body: AskBody, request: Request) -> dict[str, Any]:
        """The ``ask --json`` object: an answer citing its sources, and the codes it names."""
        history = [m.model_dump() for m in body.history or []]
        user = request.scope.get("user")
        with slots.held():
            try:
                answer = container.ask(body.question, history)
            except Exception as exc:
                audit.record("api", gate.clean(body.question), user=user, error=type(exc).__name__)
                raise
        audit.record("api", answer.question, user=user, answer=answer)
        return answer.to_json()

    @app.get(
        "/api/lookup",
        tags=["answers"],
        response_model=None,
        responses={200: {"model": LookupResult}, **ERRORS},
    )
    def lookup(q: str, k: int = 5, codeset: str = "auto") -> dict[str, Any]:
        """The ``lookup --json`` object: the codes that fit a description (``k`` 1 to 50;
        ``codeset`` auto, icd10cm, icd10pcs, hcpcs or cpt)."""
        with slots.held():
            return queries.lookup(container, q, k, codeset)

    @app.get(
        "/api/code/{code}",
        tags=["answers"],
        response_model=None,
        responses={404: {"model": Error}, **ERRORS},
    )
    def code(code: str) -> dict[str, Any]:
        """The ``code --json`` object: one code with its inherited notes."""
        try:
            details, _text = queries.code(container, code)
        except UnknownCodeError as exc:
            raise NotFound(str(exc)) from None
        return details

    @app.post(
        "/api/check",
        tags=["answers"],
        response_model=None,
        responses={200: {"model": CheckResult}, **ERRORS},
    )
    def check(body: CheckBody) -> dict[str, Any]:
        """The ``check --json`` object: Excludes1 conflicts and Excludes2 notes among codes."""
        result, _text = queries.check(container, body.codes)
        return result

    @app.api_route("/api/{rest:path}", methods=METHODS, include_in_schema=False)
    def unknown(request: Request) -> None:
        """Paths under /api no route has: JSON, not the page's 404 (the page is mounted at /,
        so without this route it would answer them)."""
        # A route of this path for other methods matches partly (this one matches any method).
        if any(route.matches(request.scope)[0] is Match.PARTIAL for route in app.router.routes):
            raise HTTPException(405, f"{request.method} is not allowed on {request.url.path}")
        raise HTTPException(404, f"no API route {request.url.path}; see /api/docs")

    return app
