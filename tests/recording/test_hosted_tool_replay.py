"""A hosted tool through a whole run under record and replay: compared when executed again, or injected.

code_interpreter and file_search are built elsewhere; a stand-in hosted tool takes their place, plugged in
through the `HostedTool` protocol. The app runs in-process (ASGI) so the stand-in can be handed to it.
"""

from __future__ import annotations

import asyncio
import json

import httpx2
import pytest
from openai import AsyncOpenAI
from openai.types.beta.threads.runs import CodeInterpreterToolCall

from emulator.app import create_app
from emulator.assembly import start_runtime, stop_runtime
from emulator.recording.cassette import Cassette
from emulator.settings import ModelRoute, Settings
from emulator.tools import AnnotatedText, HostedTool, ToolRegistry

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # litellm imported in-process
CODE = {"code": "print(6 * 7)"}


class StandInInterpreter(HostedTool):
    type = "code_interpreter"
    function_name = "python"

    def __init__(self, output: str = "42", may_run: bool = True) -> None:
        self.output = output
        self.may_run = may_run
        self.runs = 0

    def definition(self, run) -> dict:
        return {"type": "function", "function": {"name": "python", "parameters": {
            "type": "object", "properties": {"code": {"type": "string"}}}}}

    def system_context(self, run) -> str | None:
        return None

    async def execute(self, run, call_id: str, arguments: str) -> CodeInterpreterToolCall:
        assert self.may_run, "the tool ran although its outputs were to be injected"
        self.runs += 1
        return CodeInterpreterToolCall.model_validate({"id": call_id, "type": "code_interpreter", "code_interpreter": {
            "input": json.loads(arguments)["code"], "outputs": [{"type": "logs", "logs": self.output}]}})

    def render(self, call) -> tuple[str, str]:
        return json.dumps({"code": call.code_interpreter.input}), call.code_interpreter.outputs[0].logs

    def annotate(self, run, final: AnnotatedText) -> AnnotatedText:
        return final


async def one_run(settings: Settings, tool: StandInInterpreter):
    """Start an app with `tool`, run an assistant that uses it, return (run, its tool call)."""
    app = create_app(settings)
    await start_runtime(app, settings, ToolRegistry([tool]))
    transport = httpx2.ASGITransport(app=app)
    client = AsyncOpenAI(base_url="http://emulator/v1", api_key="k", max_retries=0,
                         http_client=httpx2.AsyncClient(transport=transport))
    try:
        assistant = await client.beta.assistants.create(model="gpt-4o", tools=[{"type": "code_interpreter"}])
        run = await client.beta.threads.create_and_run_poll(
            assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "What is 6 * 7?"}]})
        steps = await client.beta.threads.runs.steps.list(thread_id=run.thread_id, run_id=run.id, order="asc")
        calls = [c for s in steps.data if s.step_details.type == "tool_calls" for c in s.step_details.tool_calls]
        return run, calls[0] if calls else None
    finally:
        await client.close()
        await stop_runtime(app)


def test_hosted_tool_output_is_recorded_compared_and_injected(tmp_path, upstream):
    cassette = tmp_path / "interpreter.yaml"
    route = {"gpt-4o": ModelRoute(model="openai/stand-in", api_base=upstream.base_url, params={"api_key": "sk-x"})}

    def settings(name: str, **mode) -> Settings:
        return Settings(data_dir=tmp_path / name, scripts_dir=tmp_path, model_map=route, deterministic=True, **mode)

    async def scenario():
        upstream.replies = [{"tool_calls": [{"name": "python", "arguments": CODE}]}, {"text": "It is 42."}]
        recorded, call = await one_run(settings("record", record=cassette), StandInInterpreter())
        assert recorded.status == "completed", recorded.last_error
        assert call.code_interpreter.outputs[0].logs == "42"
        assert len(upstream.requests) == 2
        assert upstream.requests[1]["messages"][-1]["content"] == "42"  # the model saw the tool's output

        again = StandInInterpreter()
        replayed, _ = await one_run(settings("execute", replay=cassette), again)
        assert replayed.status == "completed" and again.runs == 1

        changed, _ = await one_run(settings("changed", replay=cassette), StandInInterpreter(output="41"))
        assert changed.status == "failed"
        assert f"code_interpreter produced a different output than cassette {cassette}" in changed.last_error.message

        injected, call = await one_run(settings("inject", replay=cassette, replay_tool_outputs="inject"),
                                       StandInInterpreter(may_run=False))
        assert injected.status == "completed" and call.code_interpreter.outputs[0].logs == "42"
        assert len(upstream.requests) == 2  # replays never asked the model

    asyncio.run(scenario())
    (tool_run,) = Cassette.load(cassette).tool_runs
    assert (tool_run.tool, json.loads(tool_run.arguments)) == ("code_interpreter", CODE)
