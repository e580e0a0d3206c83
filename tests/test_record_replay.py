"""Record a multi-turn session against a stand-in upstream model, then replay it: offline, strict, byte-identical.

code_interpreter is not part of the recorded session yet: the hosted tools land with their own
issues. Hosted-tool recording is covered in-process by tests/test_cassette.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from emulator.testing import EmulatorServer
from upstream import Upstream
from wire_log import WireLog

SECRET = "sk-stand-in-secret-6f1d"
CLIENT_KEY = "sk-client-key-91ab"
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
REPLIES = [
    {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]},
    {"text": "It is -3 C and snowing in Oslo."},
    {"text": "No umbrella needed: bring a warm coat instead."},
]


def weather_session(client, city: str = "Oslo"):
    """Function calling over a streamed run, then a follow-up turn polled: the kind of thing apps do."""
    assistant = client.beta.assistants.create(model="gpt-4o", name="Weather", tools=TOOLS, temperature=0.2,
                                              instructions="Answer briefly. Use the tools.")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": f"What's the weather in {city}?"}])
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        stream.until_done()
        run = stream.get_final_run()
    if run.status != "requires_action":
        return run
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "-3 C, snow"}],
    ) as stream:
        stream.until_done()
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="Should I bring an umbrella?")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    client.beta.threads.messages.list(thread_id=thread.id, order="asc")
    client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id)
    return run


def play(directory, args: list[str], env: dict[str, str] | None = None, city: str = "Oslo"):
    """Start a deterministic emulator, play the session through a wire log, stop it."""
    server = EmulatorServer(directory / "data", directory / "scripts",
                            {"EMULATOR_DETERMINISTIC": "1", **(env or {})}, args).start()
    wire = WireLog()
    try:
        client = server.client(api_key=CLIENT_KEY, http_client=wire.client())
        run = weather_session(client, city)
    finally:
        server.stop()
    return run, wire.exchanges


@pytest.fixture(scope="module")
def upstream():
    srv = Upstream().start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def routed_env(upstream) -> dict[str, str]:
    model_map = {"gpt-4o": {"model": "openai/stand-in", "api_base": upstream.base_url, "api_key_env": "STAND_IN_KEY"}}
    return {"EMULATOR_MODEL_MAP": json.dumps(model_map), "STAND_IN_KEY": SECRET}


@pytest.fixture(scope="module")
def recording(tmp_path_factory, upstream, routed_env):
    """The session recorded once: (cassette path, what the client received)."""
    cassette = tmp_path_factory.mktemp("cassettes") / "weather.yaml"
    upstream.replies = [dict(r) for r in REPLIES]
    run, exchanges = play(tmp_path_factory.mktemp("record"), ["--record", str(cassette)], routed_env)
    assert run.status == "completed", run.last_error
    assert len(upstream.requests) == 3
    return cassette, exchanges


def test_replays_are_byte_identical_offline_and_match_the_recording(tmp_path, recording, upstream, routed_env):
    cassette, recorded = recording
    asked_upstream = len(upstream.requests)
    # The model map still points at the (running) upstream: replay must not use it.
    first_run, first = play(tmp_path / "one", ["--replay", str(cassette)], routed_env)
    _, second = play(tmp_path / "two", ["--replay", str(cassette)])
    assert first_run.status == "completed"
    assert len(upstream.requests) == asked_upstream
    streams = [e for e in first if e.headers and dict(e.headers)["content-type"].startswith("text/event-stream")]
    assert len(streams) == 2 and b"thread.message.delta" in streams[1].body
    assert first == second  # every status, header and body byte, event streams included
    assert first == recorded  # and exactly what the client saw while recording


def test_changed_prompt_fails_the_run_with_the_diff(tmp_path, recording):
    cassette, _ = recording
    run, _ = play(tmp_path, ["--replay", str(cassette)], city="Bergen")
    assert run.status == "failed"
    assert run.last_error.code == "server_error"
    message = run.last_error.message
    assert f"cassette {cassette} has no recording of this model request" in message
    assert "Nearest recorded request (#1) differs:" in message
    assert "-      \"content\": \"What's the weather in Oslo?\"," in message
    assert "+      \"content\": \"What's the weather in Bergen?\"," in message
    assert (tmp_path / "data" / "replay-misses.jsonl").read_text().count("\n") == 1


def test_cassette_is_readable_and_holds_no_keys(recording, upstream):
    cassette, _ = recording
    text = cassette.read_text()
    for secret in (SECRET, CLIENT_KEY, upstream.base_url, str(upstream.port)):
        assert secret not in text
    assert "authorization" not in text.lower() and "api_key" not in text and "bearer" not in text.lower()
    first, second, third = (i["response"] for i in __import__("yaml").safe_load(text)["interactions"])
    assert first["tool_calls"][0] == {"id": "call_up0", "name": "get_weather", "arguments": '{"city": "Oslo"}',
                                      "argument_deltas": ["", '{"city": "Oslo"}']}
    assert first["finish_reason"] == "tool_calls"
    assert second["text"] == "It is -3 C and snowing in Oslo. " and second["usage"]["prompt_tokens"] == 11
    assert third["text_deltas"][:2] == ["No ", "umbrella "]


def test_serve_refuses_a_missing_cassette(tmp_path):
    done = subprocess.run([sys.executable, "-m", "emulator", "serve", "--replay", str(tmp_path / "nope.yaml"),
                           "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "cannot read cassette" in done.stderr and "nope.yaml" in done.stderr
