"""Record a session against a stand-in hosted model, then replay it twice from the cassette, offline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from emulator.testing import EmulatorServer
from tests.helpers.upstream import Upstream

T = TypeVar("T")


def record_then_replay_twice(tmp_path: Path, replies: list[dict[str, Any]],
                             play: Callable[[EmulatorServer], T]) -> tuple[T, list[T], int]:
    """`play` once on a recording server (deterministic, model `gpt-4o` answered by a stand-in with
    `replies`), then twice on a replaying one reset between plays. Returns the recording's result, the
    replays' results, and how many requests the stand-in got in all (replays must add none)."""
    upstream = Upstream().start()
    model_map = {"gpt-4o": {"model": "openai/stand-in", "api_base": upstream.base_url}}
    env = {"EMULATOR_MODEL_MAP": json.dumps(model_map), "EMULATOR_SANDBOX_POOL_SIZE": "0"}
    cassette = tmp_path / "session.yaml"
    try:
        upstream.replies = [dict(r) for r in replies]
        recorder = EmulatorServer(tmp_path / "rec", tmp_path, {"EMULATOR_DETERMINISTIC": "1", **env},
                                  ["--record", str(cassette)]).start()
        try:
            recorded = play(recorder)
        finally:
            recorder.stop()
        replayer = EmulatorServer(tmp_path / "rep", tmp_path, {"EMULATOR_TEST_CONTROLS": "1", **env}).start()
        try:
            replays = []
            for _ in range(2):
                replayer.reset(replay=cassette, deterministic=True)
                replays.append(play(replayer))
        finally:
            replayer.stop()
    finally:
        upstream.stop()
    return recorded, replays, len(upstream.requests)
