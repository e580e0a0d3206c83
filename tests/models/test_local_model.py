"""A real local model on this CPU, offline: the bundled Qwen2.5-Coder-0.5B-Instruct served by llama.cpp.

These prove the plumbing (real tokens, grammar-held tool calls); tests/test_scorecard.py measures what the
model gets done.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest

from emulator.testing import free_port

LOCAL_MODEL_MAP = {
    "model": "openai/local",
    "tool_calling": "json",  # the model has no native tool calls: JSON, held to a schema by a grammar
    "max_tool_rounds": 1,  # after one round it must answer
    "params": {"max_tokens": 200},
}


@pytest.fixture(scope="module")
def local_llm(tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("llm") / "llama.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "local-llm", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
        env={**__import__("os").environ, "EMULATOR_DATA_DIR": str(tmp_path_factory.mktemp("llm-data"))},
    )
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the local llama.cpp server did not start: {open(log.name).read()[-2000:]}")
        time.sleep(0.5)
    yield f"http://127.0.0.1:{port}/v1"
    process.terminate()
    process.wait(30)


@pytest.fixture
def local_client(make_server, local_llm):
    model_map = {"*": {**LOCAL_MODEL_MAP, "api_base": local_llm}}
    return make_server(env={"EMULATOR_MODEL_MAP": json.dumps(model_map)}).client(timeout=300)


def test_math_tutor_on_a_local_model(local_client):
    assistant = local_client.beta.assistants.create(
        name="Math Tutor", instructions="You are a personal math tutor. Answer questions briefly.", model="gpt-4o",
        temperature=0)  # greedy decoding: the same answer on every run
    thread = local_client.beta.threads.create(
        messages=[{"role": "user", "content": "I need to solve the equation `3x + 11 = 14`. Can you help me?"}])
    run = local_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error
    assert run.usage.completion_tokens > 0
    answer = local_client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert answer.role == "assistant" and answer.content[0].text.value.strip()


def test_function_calling_on_a_local_model(local_client):
    tools = [{"type": "function", "function": {
        "name": "get_current_weather", "description": "Get the current weather in a city.",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]
    assistant = local_client.beta.assistants.create(instructions="You help with the weather.", model="gpt-4o",
                                                    tools=tools, temperature=0)
    thread = local_client.beta.threads.create(messages=[{"role": "user", "content": "What is the weather in Paris?"}])
    run = local_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id,
                                                         tool_choice="required")
    assert run.status == "requires_action", run.last_error
    calls = run.required_action.submit_tool_outputs.tool_calls
    for call in calls:
        assert call.function.name == "get_current_weather"
        arguments = json.loads(call.function.arguments)
        assert isinstance(arguments["location"], str) and arguments["location"]
    run = local_client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id,
        tool_outputs=[{"tool_call_id": c.id, "output": "18 degrees and sunny"} for c in calls])
    assert run.status == "completed", run.last_error
    assert local_client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value.strip()
