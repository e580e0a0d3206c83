"""Record a multi-turn session against a stand-in upstream model, then replay it: offline, strict, byte-identical.

code_interpreter is not part of the recorded session yet: the hosted tools land with their own
issues. Hosted-tool recording is covered in-process by tests/recording/test_cassette.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from emulator.testing import EmulatorServer
from tests.helpers.upstream import Upstream
from tests.helpers.wire_log import WireLog

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


def play(server: EmulatorServer, city: str = "Oslo"):
    """Play the session against `server` through a wire log."""
    wire = WireLog()
    run = weather_session(server.client(api_key=CLIENT_KEY, http_client=wire.client()), city)
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
    """The session recorded once, by a server process of its own: (cassette path, what the client received)."""
    cassette = tmp_path_factory.mktemp("cassettes") / "weather.yaml"
    upstream.replies = [dict(r) for r in REPLIES]
    directory = tmp_path_factory.mktemp("record")
    server = EmulatorServer(directory / "data", directory, {"EMULATOR_DETERMINISTIC": "1", **routed_env},
                            ["--record", str(cassette)]).start()
    try:
        run, exchanges = play(server)
    finally:
        server.stop()
    assert run.status == "completed", run.last_error
    assert len(upstream.requests) == 3
    return cassette, exchanges


@pytest.fixture(scope="module")
def replayer(tmp_path_factory, routed_env):
    """Another server process, reset before each replay; its model map still points at the running upstream."""
    directory = tmp_path_factory.mktemp("replay")
    server = EmulatorServer(directory / "data", directory, {"EMULATOR_TEST_CONTROLS": "1", **routed_env}).start()
    yield server
    server.stop()


def test_replays_are_byte_identical_offline_and_match_the_recording(recording, replayer, upstream):
    cassette, recorded = recording
    asked_upstream = len(upstream.requests)
    replayer.reset(replay=cassette, deterministic=True)
    first_run, first = play(replayer)
    replayer.reset(replay=cassette, deterministic=True)
    _, second = play(replayer)
    assert first_run.status == "completed"
    assert len(upstream.requests) == asked_upstream  # replay never called the model
    streams = [e for e in first if dict(e.headers)["content-type"].startswith("text/event-stream")]
    assert len(streams) == 2 and b"thread.message.delta" in streams[1].body
    assert first == second  # every status, header and body byte, event streams included
    assert first == recorded  # and exactly what the client saw while recording, in another process


def test_changed_prompt_fails_the_run_with_the_diff(recording, replayer):
    cassette, _ = recording
    replayer.reset(replay=cassette, deterministic=True)
    run, _ = play(replayer, city="Bergen")
    assert run.status == "failed"
    assert run.last_error.code == "server_error"
    message = run.last_error.message
    assert f"cassette {cassette} has no recording of this model request" in message
    assert "Nearest recorded request (#1) differs:" in message
    assert "-      \"content\": \"What's the weather in Oslo?\"," in message
    assert "+      \"content\": \"What's the weather in Bergen?\"," in message
    assert (replayer.data_dir / "replay-misses.jsonl").read_text().count("\n") == 1


def test_cassette_is_readable_and_holds_no_keys(recording, upstream):
    cassette, _ = recording
    text = cassette.read_text()
    for secret in (SECRET, CLIENT_KEY, upstream.base_url, str(upstream.port)):
        assert secret not in text
    assert "authorization" not in text.lower() and "api_key" not in text and "bearer" not in text.lower()
    first, second, third = (i["response"] for i in yaml.safe_load(text)["interactions"])
    assert first["tool_calls"][0] == {"id": "call_up0", "name": "get_weather", "arguments": '{"city": "Oslo"}',
                                      "argument_deltas": ["", '{"city": "Oslo"}']}
    assert first["finish_reason"] == "tool_calls"
    assert second["text"] == "It is -3 C and snowing in Oslo." and second["usage"]["prompt_tokens"] == 11
    assert third["text_deltas"][:2] == ["No", " umbrella"]


def test_serve_refuses_a_missing_cassette(tmp_path):
    done = subprocess.run([sys.executable, "-m", "emulator", "serve", "--replay", str(tmp_path / "nope.yaml"),
                           "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "cannot read cassette" in done.stderr and "nope.yaml" in done.stderr
