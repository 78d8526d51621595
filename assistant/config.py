"""Settings: read once from the environment (prefix ``NEWSDESK_``) and ``.env``, then passed in."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError

__all__ = ["Settings", "load_settings", "default_data_dir", "check_data_dir", "DEFAULT_MAX_FILE_BYTES"]

DEFAULT_MAX_FILE_BYTES = 200 * 2**20  # a year of a wire service's stories as JSONL is ~90 MB


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/newsdesk``, else ``~/.local/share/newsdesk``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "newsdesk"


def _packaged_prompts_dir() -> Path:
    """The prompts shipped as ``assistant.prompts`` (the checkout's top-level prompts/ folder), or that
    folder itself when the code runs from a checkout that was never installed."""
    try:
        spec = importlib.util.find_spec("assistant.prompts")
    except ImportError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / "prompts"


class Settings(BaseSettings):
    """All of newsdesk's configuration. Every field can be set as ``NEWSDESK_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSDESK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default_factory=default_data_dir, description="Where the index lives.")
    collection: str = Field("newsdesk", description="Chroma collection name.")
    chroma_url: str | None = Field(
        None, description="A Chroma server (e.g. http://127.0.0.1:8000); embedded Chroma when unset."
    )
    database_url: str | None = Field(
        None, description="The catalog in PostgreSQL (postgresql://user:password@host:5432/db); the embedded "
        "SQLite file catalog.sqlite3 in the data dir when unset. Migrations run when it opens."
    )

    # LLM: any OpenAI-compatible endpoint. Unset key and base URL -> extractive answers.
    openai_api_key: str | None = Field(
        None, validation_alias=AliasChoices("NEWSDESK_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("NEWSDESK_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    llm_model: str = Field("gpt-4o-mini", description="Chat model name at the OpenAI-compatible endpoint.")
    llm_temperature: float = 0.0
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 2
    llm_enabled: bool | None = Field(
        None, description="Force the LLM on/off; by default on when an API key or base URL is set."
    )

    embedding_model: str = Field(
        "local", description="'local' (bundled all-MiniLM-L6-v2) or an OpenAI embedding model name."
    )
    embedding_precision: str = Field("int8", description="'int8' (fast, default) or 'packaged' (as shipped).")
    embed_batch_size: int = Field(
        1, description="texts per onnxruntime call; 1 is fastest here and keeps a vector independent of its batch."
    )
    embed_threads: int = Field(0, description="parallel onnxruntime sessions; 0 = one per core.")

    chunk_tokens: int = Field(180, description="Target chunk size in cl100k_base tokens.")
    chunk_overlap_tokens: int = Field(0, description="Overlap carried between chunks, whole sentences.")

    top_k: int = Field(6, description="Passages given to the answerer.")
    candidates: int = Field(40, description="Candidates from each retriever before fusion.")
    per_article_cap: int = Field(3, description="At most this many passages from one article.")
    rerank_pool: int = Field(
        40, ge=0, description="The best fused candidates the learned reranker orders before the per-article cap; "
        "0 turns the reranker off (fusion and date preference alone).")
    recency_weight: float = Field(
        1.0, ge=0.0,
        description="With no time words in a question, a story from the reference date ranks up to this much "
        "higher than an old one (news questions mostly mean the recent story); 0 turns it off. "
        "'latest'/'recent' questions weigh it 2.0; a question with a time window not at all.")
    recency_days: float = Field(14.0, gt=0.0, description="How fast the recency preference fades, in days.")
    present_days: int = Field(
        30, ge=0, description="A question about now (no time words, or 'latest') also draws candidates from the "
        "stories of this many days before the reference date, so a recent story is ranked even when older ones "
        "match more words; 0 turns it off.")
    window_weight: float = Field(
        1.0, ge=0.0,
        description="A question's own time window ('last week', 'in August 2024') is a preference, not a wall: "
        "stories inside it rank up to 1 + this much higher, so a story just outside it can still answer when "
        "none inside does (the answer says so). 0 makes the window strict. Explicit --since/--until are "
        "always strict.")
    window_days: float = Field(7.0, gt=0.0, description="How fast the preference fades outside the window, in days.")

    allow_private_urls: bool = Field(False, description="Let `ingest URL` reach private/loopback addresses.")
    fetch_timeout_s: float = 20.0
    fetch_max_bytes: int = 10 * 1024 * 1024

    api_keys: str = Field("", description="Comma-separated API keys; when set, every route but /healthz and "
                          "the page itself need one (the page asks for a key to log in).")
    cors_origins: str = Field(
        "", description="Comma-separated origins (https://app.example) whose pages may call the API from the "
        "browser (CORS); empty: none. Every other page's request is refused, whatever its method.")
    allowed_hosts: str = Field(
        "", description="Comma-separated host names this server answers to besides localhost, 127.0.0.1, ::1 "
        "and the address it listens on (with --host 0.0.0.0, only the loopback names): the name a deployment "
        "is reached by (news.example.com, or its IP). A request with any other Host header is refused, which "
        "stops DNS rebinding; '*' answers every name (only behind a proxy that checks Host itself).")
    login_failures: int = Field(
        10, ge=1, description="Failed page sign-ins one client address may make within login_window_s; "
        "further tries get 429 until the oldest failure is that old.")
    login_window_s: float = Field(60.0, gt=0.0, description="The window that login_failures counts over.")
    max_body_bytes: int = Field(20 * 1024 * 1024, ge=1, description="Largest request body the server reads, "
                                "counted as it arrives (chunked or not), on every route and the page's uploads.")
    max_file_bytes: int = Field(
        DEFAULT_MAX_FILE_BYTES, ge=1, description="Largest file ingest reads, counted after decompression: a "
        ".gz that expands past it is refused after reading no more than that, whatever its compressed size.")
    max_articles_per_request: int = Field(
        1000, ge=1, description="Most articles one API request or page upload may add, files' records included.")
    sources_in_content: bool = Field(
        True, description="OpenAI-compatible replies end their content with a Sources list for the [n] markers, "
        "for clients that show only the content (LangChain, chat UIs); a request can still turn it off.")

    host: str = "127.0.0.1"
    port: int = 7860
    refresh_s: float = Field(
        1.0, gt=0.0, description="How often `newsdesk serve` checks the catalog for other processes' writes "
        "(other replicas, `newsdesk ingest`) and brings its lexical index and chunk dates up to date.")
    prompts_dir: Path = Field(default_factory=_packaged_prompts_dir)

    @property
    def llm_configured(self) -> bool:
        if self.llm_enabled is not None:
            return self.llm_enabled
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "catalog.sqlite3"

    @property
    def catalog_location(self) -> Path | str:
        """Where the catalog lives: the database URL when one is set, else the SQLite file."""
        return self.database_url or self.catalog_path

    @property
    def lexical_dir(self) -> Path:
        return self.data_dir / "lexical"


def load_settings(**overrides: Any) -> Settings:
    """``Settings(**overrides)``, with a bad value (``NEWSDESK_PORT=abc``) as a one-line :class:`ConfigError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        name = field if field.isupper() else f"NEWSDESK_{field.upper()}"
        problems = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{name}={first.get('input')!r}: {first['msg'].lower()}{problems}") from None


def check_data_dir(path: Path) -> Path:
    """Make sure the index folder exists (creating it) and can be written; else a :class:`ConfigError`
    that says which folder and why, instead of a traceback on first use."""
    hint = "(set it with --data-dir or NEWSDESK_DATA_DIR)"
    if path.exists() and not path.is_dir():
        raise ConfigError(f"the data folder {path} is a file, not a folder {hint}")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".newsdesk-write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write to the data folder {path}: {exc.strerror or exc} {hint}") from None
    return path
