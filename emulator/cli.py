"""The `assistants-emulator` command."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from emulator import __version__, cli_local_llm, cli_sandbox, cli_scorecard


def _serve(args: argparse.Namespace) -> None:
    from pydantic import ValidationError

    from emulator.recording.cassette import CassetteError, check_cassette_settings
    from emulator.settings import Settings

    overrides = {k: v for k, v in {
        "host": args.host, "port": args.port, "data_dir": args.data_dir, "api_key": args.api_key,
        "scripts_dir": args.scripts_dir, "record": args.record, "replay": args.replay,
        "replay_tool_outputs": args.replay_tool_outputs, "deterministic": args.deterministic, "seed": args.seed,
    }.items() if v is not None}
    try:
        settings = Settings(**overrides)
        check_cassette_settings(settings.record, settings.replay)  # fail now, not at the first run
    except (ValidationError, CassetteError) as exc:
        sys.exit(f"assistants-emulator: {exc}")
    # Imported after the checks above: the app brings in litellm, which takes seconds to import.
    from emulator.app import create_app
    from emulator.serving import serve

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"assistants-emulator {__version__}: http://{settings.host}:{settings.port}/v1 "
          f"(data in {settings.data_dir}){_mode(settings)}", flush=True)
    # No Date header in deterministic mode, or on a test server that resets may make deterministic:
    # responses are then identical byte for byte.
    date_header = not (settings.deterministic or settings.test_controls)
    serve(create_app(settings), host=settings.host, port=settings.port,
          log_level=settings.log_level, access_log=False, date_header=date_header)


def _mode(settings) -> str:
    parts = []
    if settings.record is not None:
        parts.append(f"recording to {settings.record}")
    if settings.replay is not None:
        parts.append(f"replaying {settings.replay}")
    if settings.deterministic:
        parts.append(f"deterministic, seed {settings.seed}")
    return f" [{'; '.join(parts)}]" if parts else ""


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
    cassette = serve.add_mutually_exclusive_group()
    cassette.add_argument("--record", type=Path, metavar="PATH",
                          help="pass model calls through and record them to this cassette (overwritten)")
    cassette.add_argument("--replay", type=Path, metavar="PATH",
                          help="answer model calls only from this cassette, never the network")
    serve.add_argument("--replay-tool-outputs", choices=["execute", "inject"],
                       help="replay: run hosted tools and compare (execute, default) or use recorded outputs")
    serve.add_argument("--deterministic", action="store_true", default=None,
                       help="seeded ids and a clock that moves only when told: identical runs, identical bytes")
    serve.add_argument("--seed", type=int, help="seed for deterministic ids (default 0)")
    serve.set_defaults(handler=_serve)
    cli_sandbox.add_commands(commands)
    cli_local_llm.add_commands(commands)
    cli_scorecard.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.handler(args)
