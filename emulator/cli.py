"""The `assistants-emulator` command."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from emulator import __version__, cli_local_llm, cli_sandbox


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from emulator.app import create_app
    from emulator.settings import Settings

    overrides = {k: v for k, v in {
        "host": args.host, "port": args.port, "data_dir": args.data_dir, "api_key": args.api_key,
        "scripts_dir": args.scripts_dir,
    }.items() if v is not None}
    settings = Settings(**overrides)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"assistants-emulator {__version__}: http://{settings.host}:{settings.port}/v1 "
          f"(data in {settings.data_dir})", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level=settings.log_level, access_log=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistants-emulator",
                                     description="A local, offline emulator of OpenAI's Assistants API.")
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--data-dir", type=Path, help="where the database and files live")
    serve.add_argument("--api-key", help="require this key as 'Authorization: Bearer ...'")
    serve.add_argument("--scripts-dir", type=Path, help="where scripted/<name> models find their scripts")
    serve.set_defaults(handler=_serve)
    cli_sandbox.add_commands(commands)
    cli_local_llm.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.handler(args)
