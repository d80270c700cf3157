"""The server (assistant.interfaces.api and server): every JSON route gives the object the
command line's ``--json`` prints, bad input is ``{"error"}`` 4xx and never 500, the sign-in
guards the API and Gradio's own routes alike, and an open non-loopback bind is refused."""

from __future__ import annotations

import base64
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import ingested_environment
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.container import Container
from assistant.interfaces import api, auth
from assistant.interfaces.cli import main
from assistant.interfaces.server import build_server

PASSWORD = "correct horse battery"


def cli_json(capsys: pytest.CaptureFixture, *argv: str) -> Any:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def basic(name: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """The container ``medcode serve`` builds on a home ingested by ``medcode ingest`` (the
    fixture release, the word-hashing embedder), its settings in the environment for the
    module, so ``main`` answers from the same home."""
    with ingested_environment(tmp_path_factory.mktemp("api")):
        made = Container(Settings())
        yield made
        made.close()


@pytest.fixture(scope="module")
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(build_server(container, container.settings)) as made:
        yield made


# --- the routes give the command line's objects -----------------------------------------------
def test_ask_is_the_ask_json_object(client: TestClient, capsys: pytest.CaptureFixture) -> None:
    question = "type 2 diabetes with hyperglycemia"
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200
    assert response.json() == cli_json(capsys, "ask", question)
    assert response.json()["codes"][0] == "E11.65"


def test_ask_reads_the_history(client: TestClient) -> None:
    turns = [
        {"role": "user", "content": "fracture of nasal bones"},
        {"role": "assistant", "content": "Best match: S02.2XXA ..."},
    ]
    response = client.post("/api/ask", json={"question": "follow-up visit", "history": turns})
    assert response.status_code == 200
    assert response.json()["codes"][0] == "S02.2XXD"


def test_lookup_is_the_lookup_json_object(
    client: TestClient, capsys: pytest.CaptureFixture
) -> None:
    response = client.get("/api/lookup", params={"q": "acute myocardial infarction", "k": 3})
    assert response.status_code == 200
    expected = cli_json(capsys, "lookup", "acute myocardial infarction", "--k", "3")
    assert response.json() == expected
    assert len(expected["results"]) == 3


def test_code_is_the_code_json_object(client: TestClient, capsys: pytest.CaptureFixture) -> None:
    response = client.get("/api/code/e1165")
    assert response.status_code == 200
    assert response.json() == cli_json(capsys, "code", "e1165")
    assert response.json()["code"] == "E11.65"


def test_check_is_the_check_json_object(client: TestClient, capsys: pytest.CaptureFixture) -> None:
    response = client.post("/api/check", json={"codes": ["E10.9", "e119"]})
    assert response.status_code == 200
    assert response.json() == cli_json(capsys, "check", "E10.9", "e119")
    assert response.json()["conflicts"]


def test_health_and_docs(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}
    assert client.get("/api/docs").status_code == 200
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/lookup", "/api/code/{code}", "/api/check"} <= set(paths)


# --- errors are one JSON line ----------------------------------------------------------------
def assert_error(response: Any, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    assert "\n" not in body["error"] and "Traceback" not in body["error"]
    for word in words:
        assert word in body["error"]
    return str(body["error"])


@pytest.mark.parametrize(
    ("method", "path", "payload", "words"),
    [
        ("post", "/api/ask", {"question": "   "}, ["empty question"]),
        ("post", "/api/ask", {"question": "diabetes " * 300}, ["question too long"]),
        ("post", "/api/ask", {}, ["question"]),
        ("post", "/api/ask", {"question": 12}, ["question"]),
        ("post", "/api/ask", {"question": "x", "history": [{"role": "robot"}]}, ["history"]),
        ("get", "/api/lookup?q=", None, ["empty question"]),
        ("get", "/api/lookup", None, ["q"]),
        ("get", "/api/lookup?q=diabetes&k=0", None, ["k must be"]),
        ("get", "/api/lookup?q=diabetes&k=51", None, ["k must be"]),
        ("get", "/api/lookup?q=diabetes&k=-1", None, ["k must be"]),
        ("get", "/api/lookup?q=diabetes&k=five", None, ["k"]),
        ("get", "/api/lookup?q=diabetes&codeset=xyz", None, ["xyz"]),
        ("get", "/api/lookup?q=diabetes&codeset=cpt", None, ["not loaded"]),
        ("post", "/api/check", {"codes": ["E11.9"]}, ["at least two codes"]),
        ("post", "/api/check", {"codes": ["E11.9"] * 26}, ["at most 25"]),
        ("post", "/api/check", {"codes": "E11.9 E10.9"}, ["codes"]),
    ],
)
def test_bad_input_is_400_with_one_line(
    client: TestClient, method: str, path: str, payload: Any, words: list[str]
) -> None:
    response = client.request(method.upper(), path, json=payload)
    assert_error(response, 400, *words)


def test_a_body_that_is_not_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/api/ask", content=b"\xff\xfe{not json", headers={"content-type": "application/json"}
    )
    assert_error(response, 400)


def test_an_unknown_code_is_404_naming_it(client: TestClient) -> None:
    assert_error(client.get("/api/code/X99.99"), 404, "X99.99")


def test_an_over_large_body_is_413(client: TestClient) -> None:
    big = json.dumps({"question": "a" * (api.MAX_BODY_BYTES + 1)})
    response = client.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert_error(response, 413)


def test_an_unknown_api_path_is_a_json_404(client: TestClient) -> None:
    assert_error(client.get("/api/nothing-here"), 404, "/api/nothing-here")
    assert_error(client.post("/api/code/E11.65/more"), 404)
    assert_error(client.delete("/api/ask"), 405)
    assert_error(client.get("/api/check"), 405)


def test_an_internal_failure_is_500_without_the_question(
    client: TestClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(question: str, history: Any = None) -> Any:
        raise RuntimeError(f"boom while reading {question}")

    monkeypatch.setattr(container, "ask", broken)
    line = assert_error(client.post("/api/ask", json={"question": "secret patient"}), 500)
    assert "secret patient" not in line


# --- sign-in ---------------------------------------------------------------------------------
@pytest.fixture
def users_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, container: Container) -> Path:
    """A users file written by ``medcode auth user`` (password on stdin) and ``auth token``."""
    path = tmp_path / "users"
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["auth", "user", "alice", "--file", str(path)]) == 0
    return path


@pytest.fixture
def token(users_file: Path, capsys: pytest.CaptureFixture) -> str:
    capsys.readouterr()
    assert main(["auth", "token", "loadtest", "--file", str(users_file)]) == 0
    out, err = capsys.readouterr()
    assert "shown only once" in err
    return out.strip()


@pytest.fixture
def guarded(container: Container, users_file: Path, token: str) -> Iterator[TestClient]:
    settings = container.settings.model_copy(update={"auth_file": users_file})
    users = auth.load(settings)
    assert users is not None
    with TestClient(build_server(container, settings, users)) as made:
        yield made


def test_the_users_file_holds_hashes_not_secrets(users_file: Path, token: str) -> None:
    text = users_file.read_text(encoding="utf-8")
    assert PASSWORD not in text and token not in text
    assert text.splitlines()[0].startswith("alice:scrypt$")
    assert text.splitlines()[1].startswith("loadtest:token$")
    assert users_file.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/ask"),
        ("GET", "/api/lookup?q=diabetes"),
        ("GET", "/api/code/E11.65"),
        ("POST", "/api/check"),
        ("GET", "/api/docs"),
        ("GET", "/"),
        ("GET", "/config"),
        ("POST", "/gradio_api/queue/join"),
        ("GET", "/gradio_api/queue/data?session_hash=x"),
        ("POST", "/gradio_api/run/predict"),
    ],
)
def test_without_credentials_every_route_is_401(
    guarded: TestClient, method: str, path: str
) -> None:
    body = {"question": "diabetes", "codes": ["E11.9", "E10.9"], "data": ["diabetes"]}
    for headers in ({}, basic("alice", "wrong password"), {"Authorization": "Bearer nope"}):
        response = guarded.request(method, path, json=body, headers=headers)
        assert_error(response, 401, "sign in")
        assert "Basic" in response.headers["www-authenticate"]


def test_a_raw_queue_join_without_credentials_answers_nothing(guarded: TestClient) -> None:
    payload = {"data": ["type 2 diabetes", []], "fn_index": 0, "session_hash": "abc"}
    response = guarded.post("/gradio_api/queue/join", json=payload)
    assert response.status_code == 401
    assert "E11" not in response.text


def test_basic_and_bearer_credentials_are_let_in(guarded: TestClient, token: str) -> None:
    question = {"question": "type 2 diabetes with hyperglycemia"}
    for headers in (basic("alice", PASSWORD), {"Authorization": f"Bearer {token}"}):
        response = guarded.post("/api/ask", json=question, headers=headers)
        assert response.status_code == 200
        assert response.json()["codes"][0] == "E11.65"
        assert guarded.get("/", headers=headers).status_code == 200


def test_health_is_open_with_a_sign_in(guarded: TestClient) -> None:
    assert guarded.get("/api/health").json() == {"status": "ok"}


def test_medcode_auth_inline_entries_work(
    container: Container, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDCODE_AUTH", "bob:" + auth.hash_token("s3cret-token-for-bob"))
    settings = Settings()
    users = auth.load(settings)
    assert users is not None
    with TestClient(build_server(container, settings, users)) as made:
        ok = made.get("/api/code/E11.65", headers={"Authorization": "Bearer s3cret-token-for-bob"})
        assert ok.status_code == 200
        assert (
            made.get("/api/code/E11.65", headers={"Authorization": f"Bearer {token}"}).status_code
            == 401
        )


def test_a_users_file_with_a_plain_password_is_refused_with_one_line(
    container: Container,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    path = tmp_path / "users"
    path.write_text("alice:hunter22\n", encoding="utf-8")
    monkeypatch.setenv("MEDCODE_AUTH_FILE", str(path))
    assert main(["serve"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{path}:1" in err[0]


# --- binding ---------------------------------------------------------------------------------
@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What uvicorn was asked to serve (nothing listens in these tests): ``uvicorn.run`` and
    ``uvicorn.Server.run``, whichever ``serve`` uses, only record their options."""
    import uvicorn

    calls: list[dict[str, Any]] = []

    def run(server: uvicorn.Server, *args: Any) -> None:
        calls.append({"host": server.config.host, "access_log": server.config.access_log})

    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    monkeypatch.setattr(uvicorn.Server, "run", run)
    return calls


def test_a_non_loopback_bind_without_a_sign_in_is_refused(
    container: Container, served: list[dict[str, Any]], capsys: pytest.CaptureFixture
) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "refusing to serve on 0.0.0.0" in err[0]
    assert served == []


def test_insecure_allows_it_with_a_warning(
    container: Container, served: list[dict[str, Any]], capsys: pytest.CaptureFixture
) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--insecure"]) == 0
    assert "warning: serving on 0.0.0.0 without a sign-in" in capsys.readouterr().err
    assert [(c["host"], c["access_log"]) for c in served] == [("0.0.0.0", False)]


def test_a_sign_in_allows_a_non_loopback_bind_without_a_warning(
    container: Container,
    users_file: Path,
    served: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.setenv("MEDCODE_AUTH_FILE", str(users_file))
    capsys.readouterr()
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert [c["host"] for c in served] == ["0.0.0.0"]


def test_loopback_needs_no_sign_in(
    container: Container, served: list[dict[str, Any]], capsys: pytest.CaptureFixture
) -> None:
    assert main(["serve"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert [c["host"] for c in served] == ["127.0.0.1"]
