"""The OpenAI Agents SDK against the emulator's Responses API: an Agent with a function tool, FileSearchTool
and CodeInterpreterTool, through `Runner.run` and `Runner.run_streamed`, offline (tracing off)."""

from __future__ import annotations

import asyncio

import pytest
from agents import (
    Agent,
    CodeInterpreterTool,
    FileSearchTool,
    OpenAIProvider,
    RunConfig,
    Runner,
    function_tool,
    set_tracing_disabled,
)
from openai import AsyncOpenAI

from tests.helpers import documents
from tests.helpers.documents import named

set_tracing_disabled(True)  # traces would be sent to api.openai.com


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"18C and sunny in {city}"


def _config(server) -> RunConfig:
    client = AsyncOpenAI(base_url=server.base_url, api_key="test-key", max_retries=0)
    return RunConfig(model_provider=OpenAIProvider(openai_client=client, use_responses=True), tracing_disabled=True)


def test_function_tool_with_run_and_run_streamed(server, script):
    model = script({"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
                   {"when": {"role": "tool", "contains": "18C"}, "text": "It is 18C and sunny in Paris."})
    agent = Agent(name="weather", instructions="Answer briefly.", model=model, tools=[get_weather])
    result = asyncio.run(Runner.run(agent, "Weather in Paris?", run_config=_config(server)))
    assert result.final_output == "It is 18C and sunny in Paris."
    kinds = [item.type for item in result.new_items]
    assert kinds == ["tool_call_item", "tool_call_output_item", "message_output_item"]

    async def streamed() -> tuple[str, list[str]]:
        run = Runner.run_streamed(agent, "Weather in Paris?", run_config=_config(server))
        seen = [event.type async for event in run.stream_events()]
        return str(run.final_output), seen

    final, seen = asyncio.run(streamed())
    assert final == "It is 18C and sunny in Paris."
    assert "raw_response_event" in seen and "run_item_stream_event" in seen


@pytest.fixture
def paper_store(embedding_model, client):
    store = client.vector_stores.create(name="papers")
    text = documents.filler(30, 3) + " The Spline Transformer reaches 41.7 BLEU. " + documents.filler(30, 4)
    client.vector_stores.file_batches.upload_and_poll(vector_store_id=store.id,
                                                      files=[named("spline.txt", text.encode())])
    return store


def test_file_search_tool(server, script, paper_store):
    model = script({"tool_calls": [{"name": "file_search", "arguments": {"queries": ["spline BLEU"]}}]},
                   {"when": {"role": "tool"}, "text": "It reaches 41.7 BLEU【0:0†spline.txt】."})
    agent = Agent(name="papers", instructions="Answer from the files.", model=model,
                  tools=[FileSearchTool(vector_store_ids=[paper_store.id], include_search_results=True)])
    result = asyncio.run(Runner.run(agent, "What BLEU does it reach?", run_config=_config(server)))
    assert result.final_output == "It reaches 41.7 BLEU."
    call = result.new_items[0].raw_item
    assert call.type == "file_search_call" and call.results and "41.7 BLEU" in call.results[0].text


def test_code_interpreter_tool(server, script, sandbox_image):
    model = script({"tool_calls": [{"name": "code_interpreter", "arguments": {"code": "print(6 * 7)"}}]},
                   {"when": {"role": "tool", "contains": "42"}, "text": "The answer is 42."})
    agent = Agent(name="coder", instructions="Use Python.", model=model, tools=[
        CodeInterpreterTool(tool_config={"type": "code_interpreter", "container": {"type": "auto"}})])

    async def streamed() -> tuple[str, list[str]]:
        run = Runner.run_streamed(agent, "What is six times seven?", run_config=_config(server))
        seen = [event.data.type async for event in run.stream_events() if event.type == "raw_response_event"]
        return str(run.final_output), seen

    final, seen = asyncio.run(streamed())
    assert final == "The answer is 42."
    assert "response.code_interpreter_call.interpreting" in seen and "response.code_interpreter_call.completed" in seen
