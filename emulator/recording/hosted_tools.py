"""Hosted tools (code_interpreter, file_search) under record and replay.

Each hosted tool is wrapped, so the engine still sees the `HostedTool` protocol:

- record: the tool runs; its run-step call object is stored in the cassette's
  `tool_runs` with the sha256 of every stored file it names (produced images,
  searched files) and a digest of the call with those file ids replaced by hashes.
- replay, `execute` (default): the tool runs for real and its digest must equal the
  recorded one, so a change in the user's files or code is reported (the run fails
  with a message naming the cassette and showing the difference).
- replay, `inject`: the tool does not run; the recorded call object is returned, so a
  machine without Docker can replay.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from typing import Any

from openai.types.beta.threads.runs import ToolCall
from pydantic import TypeAdapter

from emulator.recording.cassette import ToolRun, canonical_json, tool_run_key
from emulator.recording.tape import Tape
from emulator.store import BlobStore
from emulator.tools import AnnotatedText, HostedTool, ToolRegistry, ToolScope

_TOOL_CALL = TypeAdapter(ToolCall)


def file_hashes(output: dict[str, Any], blobs: BlobStore) -> dict[str, str]:
    """sha256 of every stored file the call object names (`file_id` anywhere in it)."""
    found: dict[str, str] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "file_id" and isinstance(v, str) and blobs.path(v).is_file():
                    found[v] = "sha256:" + hashlib.sha256(blobs.read(v)).hexdigest()
                else:
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(output)
    return found


def comparable_output(output: dict[str, Any], hashes: dict[str, str]) -> dict[str, Any]:
    """The call object without its id, each file id replaced by the hash of the file's bytes."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: hashes.get(v, v) if k == "file_id" and isinstance(v, str) else walk(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk({k: v for k, v in output.items() if k != "id"})


def output_digest(comparable: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(comparable).encode()).hexdigest()


class RecordedHostedTool(HostedTool):
    """A hosted tool seen through the cassette; everything but `execute` is the tool's own."""

    def __init__(self, tool: HostedTool, tape: Tape, blobs: BlobStore) -> None:
        self.type = tool.type
        self.function_name = tool.function_name
        self._tool = tool
        self._tape = tape
        self._blobs = blobs

    def definition(self, scope: ToolScope) -> dict[str, Any]:
        return self._tool.definition(scope)

    def render(self, call: Any) -> tuple[str, str]:
        return self._tool.render(call)

    def system_context(self, scope: ToolScope) -> str | None:
        return self._tool.system_context(scope)

    def call_details(self, call_id: str) -> dict[str, Any]:
        return self._tool.call_details(call_id)

    def preview(self, call_id: str, arguments: str) -> dict[str, Any] | None:
        return self._tool.preview(call_id, arguments)

    def annotate(self, scope: ToolScope, final: AnnotatedText) -> AnnotatedText:
        return self._tool.annotate(scope, final)

    async def prepare(self, scope: ToolScope) -> None:
        await self._tool.prepare(scope)

    async def start(self) -> None:
        await self._tool.start()

    async def shutdown(self) -> None:
        await self._tool.shutdown()

    async def session_deleted(self, session_id: str) -> None:
        await self._tool.session_deleted(session_id)

    async def execute(self, scope: ToolScope, call_id: str, arguments: str) -> Any:
        key = tool_run_key(self._tool.type, arguments)
        if self._tape.mode == "record":
            result = await self._tool.execute(scope, call_id, arguments)
            output = result.model_dump(mode="json", exclude_unset=True, by_alias=True)
            hashes = file_hashes(output, self._blobs)
            self._tape.record_tool_run(ToolRun(
                key=key, tool=self._tool.type, arguments=arguments, output=output, file_hashes=hashes,
                digest=output_digest(comparable_output(output, hashes))))
            return result
        recorded = self._tape.replay_tool_run(key, self._tool.type)
        if self._tape.tool_outputs == "inject":
            return _TOOL_CALL.validate_python({**recorded.output, "id": call_id})
        result = await self._tool.execute(scope, call_id, arguments)
        output = result.model_dump(mode="json", exclude_unset=True, by_alias=True)
        comparable = comparable_output(output, file_hashes(output, self._blobs))
        if output_digest(comparable) != recorded.digest:
            raise self._tape.miss(self._mismatch_message(recorded, comparable))
        return result

    def _mismatch_message(self, recorded: ToolRun, comparable: dict[str, Any]) -> str:
        recorded_form = comparable_output(recorded.output, recorded.file_hashes)
        before = json.dumps(recorded_form, indent=2, sort_keys=True).splitlines()
        after = json.dumps(comparable, indent=2, sort_keys=True).splitlines()
        diff = "\n".join(list(difflib.unified_diff(before, after, "recorded output", "this run's output",
                                                   lineterm="", n=1))[:40])
        return (f"Replay: {self._tool.type} produced a different output than cassette {self._tape.path} "
                f"recorded (digest {recorded.digest[:16]}); a file or the code it ran has changed:\n{diff}")


def wrap_hosted_tools(registry: ToolRegistry, tape: Tape | None, blobs: BlobStore) -> ToolRegistry:
    """The registry whose tools record to, or replay from, the tape (unchanged without one)."""
    if tape is None:
        return registry
    return ToolRegistry([RecordedHostedTool(tool, tape, blobs) for tool in registry.all()])
