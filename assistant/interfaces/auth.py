"""Who may use the page and the API: users with scrypt-hashed passwords (HTTP Basic, which a
browser asks for itself) and bearer tokens kept as SHA-256 digests, from a users file
(``MEDCODE_AUTH_FILE``) or ``MEDCODE_AUTH``.

One entry a line (``#`` starts a comment), the same in the file and in the variable (where
entries may also be separated by commas)::

    alice:scrypt$16384$8$5$<salt, base64>$<key, base64>
    loadtest:token$<sha256 of the token, hex>

``medcode auth user NAME`` and ``medcode auth token NAME`` write them. The middleware here
guards every path of the server (the page, Gradio's own queue and the JSON API), so nothing
answers before a user is known.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.core import gate

# OWASP Password Storage Cheat Sheet, scrypt: N=2^14, r=8, p=5 is one of its equivalent minimum
# settings; it needs 16 MiB (128 * N * r bytes), within OpenSSL's default memory cap.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 5
SCRYPT_MAXMEM = 64 * 2**20
KEY_BYTES, SALT_BYTES = 32, 16
TOKEN_BYTES = 32  # 256 random bits: a digest needs no slow hash to resist guessing
# Checked credentials remembered per process (an HMAC of them under a per-process key), so a
# browser's every request does not pay for scrypt; failures are never remembered.
REMEMBERED = 1024
OPEN_PATHS = frozenset({"/api/health"})  # says only that the server is up
REALM = "medcode"
_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")


class AuthFileError(gate.BadInput):
    """A users file or ``MEDCODE_AUTH`` entry that cannot be read; the message names it."""

    def __init__(self, message: str) -> None:
        super().__init__("auth", message)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A stored password: ``scrypt$N$r$p$salt$key``."""
    salt = salt or secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(key).decode()}"


def hash_token(token: str) -> str:
    """A stored bearer token: ``token$<sha256 hex>``."""
    return "token$" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=KEY_BYTES
    )


@dataclass(frozen=True)
class _Password:
    n: int
    r: int
    p: int
    salt: bytes
    key: bytes

    def matches(self, password: str) -> bool:
        return hmac.compare_digest(_scrypt(password, self.salt, self.n, self.r, self.p), self.key)


# Checked for a name nobody has, so an unknown name costs as much time as a wrong password.
_NOBODY = _Password(SCRYPT_N, SCRYPT_R, SCRYPT_P, b"\0" * SALT_BYTES, b"\0" * KEY_BYTES)


@dataclass
class Users:
    """The users and tokens allowed in; ``check`` takes an ``Authorization`` header value."""

    passwords: dict[str, _Password] = field(default_factory=dict)
    tokens: dict[bytes, str] = field(default_factory=dict)  # sha256 digest -> name
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _known: dict[bytes, str] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __bool__(self) -> bool:
        return bool(self.passwords or self.tokens)

    def check(self, header: str | None) -> str | None:
        """The name behind ``Basic ...`` or ``Bearer ...`` credentials, or None."""
        scheme, _, value = (header or "").strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and value:
            digest = hashlib.sha256(value.encode("utf-8")).digest()
            for known, name in self.tokens.items():
                if hmac.compare_digest(known, digest):
                    return name
            return None
        if scheme.lower() != "basic" or not value:
            return None
        remembered = hmac.new(self._key, value.encode("utf-8"), "sha256").digest()
        with self._lock:
            if remembered in self._known:
                return self._known[remembered]
        user = self._basic(value)
        if user is not None:
            with self._lock:
                if len(self._known) >= REMEMBERED:
                    self._known.clear()
                self._known[remembered] = user
        return user

    def cached(self, header: str | None) -> bool:
        """Whether ``check`` answers ``header`` without a slow hash (a token or a known pair)."""
        scheme, _, value = (header or "").strip().partition(" ")
        if scheme.lower() != "basic":
            return True
        remembered = hmac.new(self._key, value.strip().encode("utf-8"), "sha256").digest()
        with self._lock:
            return remembered in self._known

    def _basic(self, value: str) -> str | None:
        try:
            name, _, password = (
                base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            )
        except (ValueError, UnicodeDecodeError):
            return None
        stored = self.passwords.get(name)
        ok = (stored or _NOBODY).matches(password)
        return name if ok and stored is not None else None


def parse(text: str, where: str) -> Users:
    """Users from the text of a users file or of ``MEDCODE_AUTH``; ``AuthFileError`` names the
    first entry that cannot be read."""
    users = Users()
    for n, raw in enumerate(text.splitlines(), start=1):
        for entry in raw.split(","):
            entry = entry.split("#", 1)[0].strip()
            if not entry:
                continue
            name, sep, stored = entry.partition(":")
            if not sep or not _NAME.fullmatch(name):
                raise AuthFileError(f"{where}:{n}: expected NAME:scrypt$... or NAME:token$...")
            if stored.startswith("token$"):
                try:
                    users.tokens[bytes.fromhex(stored[6:])] = name
                except ValueError:
                    raise AuthFileError(
                        f"{where}:{n}: {name}: the token digest is not hex"
                    ) from None
                continue
            users.passwords[name] = _parse_password(stored, f"{where}:{n}: {name}")
    return users


def _parse_password(stored: str, where: str) -> _Password:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise AuthFileError(f"{where}: not an scrypt$N$r$p$salt$key password (plain text?)")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = (
            base64.b64decode(parts[4], validate=True),
            base64.b64decode(parts[5], validate=True),
        )
    except ValueError:
        raise AuthFileError(f"{where}: unreadable scrypt parameters") from None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or 128 * n * r > SCRYPT_MAXMEM:
        raise AuthFileError(f"{where}: scrypt parameters out of range")
    return _Password(n, r, p, salt, key)


def load(settings: Settings) -> Users | None:
    """The users the settings allow, or None when no auth is configured (local use)."""
    users = Users()
    if settings.auth_file is not None:
        try:
            text = settings.auth_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise AuthFileError(
                f"cannot read {settings.auth_file}: {exc.strerror or exc}"
            ) from None
        except UnicodeDecodeError:
            raise AuthFileError(f"{settings.auth_file} is not UTF-8 text") from None
        users = parse(text, str(settings.auth_file))
    if settings.auth is not None:
        inline = parse(settings.auth.get_secret_value(), "MEDCODE_AUTH")
        users.passwords.update(inline.passwords)
        users.tokens.update(inline.tokens)
    if (settings.auth_file is not None or settings.auth is not None) and not users:
        raise AuthFileError("auth is configured but lists no user or token")
    return users or None


def add_entry(path: Path, name: str, stored: str) -> None:
    """Write ``name:stored`` into a users file, replacing that name's earlier entry."""
    if not _NAME.fullmatch(name):
        raise AuthFileError(f"user name {name!r}: use letters, digits and . _ @ - (at most 64)")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [line for line in lines if line.split(":", 1)[0].strip() != name]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*kept, f"{name}:{stored}"]) + "\n", encoding="utf-8")
    path.chmod(0o600)


# --- the ASGI middleware -----------------------------------------------------------------
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequireUser:
    """Every request but ``OPEN_PATHS`` needs a user; the name is left in ``scope["user"]``."""

    def __init__(self, app: App, users: Users) -> None:
        self.app = app
        self.users = users

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"} or scope.get("path") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        header = _header(scope, b"authorization")
        if self.users.cached(header):
            user = self.users.check(header)
        else:  # scrypt takes tens of milliseconds: not on the event loop
            from starlette.concurrency import run_in_threadpool

            user = await run_in_threadpool(self.users.check, header)
        if user is None:
            await _refuse(scope, send)
            return
        scope["user"] = user
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _refuse(scope: Scope, send: Send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps(
        {"error": "sign in required: HTTP Basic user and password, or a bearer token"}
    )
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"www-authenticate", f'Basic realm="{REALM}", charset="UTF-8"'.encode()),
                (b"www-authenticate", f'Bearer realm="{REALM}"'.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body.encode("utf-8")})
