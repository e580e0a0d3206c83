"""`assistants-emulator scorecard`: how well a model does the seed flows (see `emulator/scorecard`)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

AIDS = ("loop_guard", "hosted_tool_first", "tool_instructions", "citation_fallback")


def _model_map(args: argparse.Namespace, local_map: dict | None) -> dict:
    from emulator.settings import Settings

    if args.model_map:
        model_map = json.loads(Path(args.model_map[1:]).read_text() if args.model_map.startswith("@")
                               else args.model_map)
    elif local_map is not None:
        model_map = local_map
    else:
        model_map = {k: v.model_dump(exclude_none=True) for k, v in Settings().model_map.items()}
    for entry in model_map.values():
        entry.update({aid: False for aid in args.aid_off or []})
    return model_map


def run_scorecard(args: argparse.Namespace) -> None:
    from emulator.scorecard.runner import run_tasks, table
    from emulator.scorecard.tasks import TASKS
    from emulator.settings import Settings
    from emulator.testing import EmulatorServer

    names = args.tasks.split(",") if args.tasks else list(TASKS)
    unknown = [n for n in names if n not in TASKS]
    if unknown:
        sys.exit(f"assistants-emulator scorecard: unknown task(s) {unknown}; the tasks are {list(TASKS)}")
    work = Path(tempfile.mkdtemp(prefix="scorecard-"))
    local = emulator = None
    try:
        if args.base_url:
            client_url = args.base_url
        else:
            local_map = None
            if args.local_llm:
                from emulator.local_models.server import LocalModelServer

                print("starting the local model ...", file=sys.stderr, flush=True)
                local = LocalModelServer(work / "llm.log", args.gguf, args.threads).start()
                local_map = local.model_map()
            model_map = _model_map(args, local_map)
            env = {"EMULATOR_MODEL_MAP": json.dumps(model_map), "EMULATOR_SANDBOX_POOL_SIZE": "1",
                   "EMULATOR_MODEL_TIMEOUT_S": str(args.model_timeout)}
            emulator = EmulatorServer(work / "data", Settings().scripts_dir, env).start()
            client_url = emulator.base_url
        from openai import OpenAI

        client = OpenAI(base_url=client_url, api_key=os.environ.get("OPENAI_API_KEY", "scorecard"),
                        max_retries=0, timeout=args.model_timeout * 3)
        results = run_tasks(client, args.model, names)
    finally:
        if emulator is not None:
            emulator.stop()
        if local is not None:
            local.stop()
        if args.keep:
            print(f"the emulator's data and logs are in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in results], indent=2))


def add_commands(commands) -> None:
    card = commands.add_parser("scorecard", help="run the seed flows against a model and print what passed")
    card.add_argument("--model", default="gpt-4o", help="the model name the tasks ask for (default gpt-4o; "
                      "the model map decides where it goes)")
    card.add_argument("--model-map", help="a model map as JSON, or @FILE (default: the server settings', "
                      "EMULATOR_MODEL_MAP or emulator.toml)")
    card.add_argument("--local-llm", action="store_true",
                      help="start the bundled local model (or --gguf) and route every model name to it")
    card.add_argument("--gguf", type=Path, help="with --local-llm: this GGUF instead of the bundled model")
    card.add_argument("--threads", type=int, help="with --local-llm: CPU threads for llama.cpp")
    card.add_argument("--aid-off", action="append", choices=AIDS,
                      help="turn this small-model aid off in every model-map entry (repeatable)")
    card.add_argument("--tasks", help="a comma-separated subset of the tasks")
    card.add_argument("--base-url", help="use this running emulator (its own model map) instead of starting one")
    card.add_argument("--model-timeout", type=int, default=300, help="seconds one model call may take")
    card.add_argument("--json", help="also write the results to this JSON file")
    card.add_argument("--keep", action="store_true", help="keep the emulator's data dir and logs (to see why)")
    card.set_defaults(handler=run_scorecard)
