"""The pytest plugin, used the way a user would: test files run by pytest in a project of their own (pytester)."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from tests.helpers.paths import FIXTURES, README
from tests.helpers.upstream import Upstream

SHIPPED_CASSETTE = FIXTURES / "cassettes" / "weather.yaml"
WEATHER_REPLIES = [
    {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]},
    {"text": "It is -3 C and snowing in Oslo."},
]


def readme_example() -> str:
    """The README's complete example test file."""
    match = re.search(r"```python\n(# test_weather\.py\n.*?)```", README.read_text(), re.DOTALL)
    assert match, "README.md lost its test_weather.py example"
    return match.group(1)


@pytest.fixture
def project(pytester, monkeypatch):
    """A user's project: the README's test file and this repository's fixtures/ beside it."""
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    pytester.makepyfile(test_weather=readme_example())
    shutil.copytree(FIXTURES, pytester.path / "fixtures")
    return pytester


def test_readme_example_replays_the_shipped_cassette(project):
    result = project.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_recording_the_readme_example_reproduces_the_shipped_cassette(project, monkeypatch):
    upstream = Upstream().start()
    try:
        upstream.replies = [dict(r) for r in WEATHER_REPLIES]
        # The stand-in plays the hosted model the README records against; on loopback it would count as
        # local (small-model aids on), so the entry says it is not.
        model_map = {"gpt-4o": {"model": "openai/stand-in", "api_base": upstream.base_url,
                                "api_key_env": "STAND_IN_KEY", "local": False}}
        monkeypatch.setenv("EMULATOR_MODEL_MAP", json.dumps(model_map))
        monkeypatch.setenv("STAND_IN_KEY", "sk-stand-in-secret")
        result = project.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--emulator-record",
                                              "-k", "test_ask_weather")
        result.assert_outcomes(passed=1, deselected=1)
        assert len(upstream.requests) == 2
    finally:
        upstream.stop()
    recorded = (project.path / "fixtures" / "cassettes" / "weather.yaml").read_text()
    assert "sk-stand-in-secret" not in recorded and upstream.base_url not in recorded
    if os.environ.get("EMULATOR_UPDATE_FIXTURES") == "1":
        SHIPPED_CASSETTE.parent.mkdir(parents=True, exist_ok=True)
        SHIPPED_CASSETTE.write_text(recorded)
    assert recorded == SHIPPED_CASSETTE.read_text(), (
        "recording the README example no longer gives the shipped cassette; if that is intended, run "
        "EMULATOR_UPDATE_FIXTURES=1 pytest tests/recording/test_pytest_plugin.py -k reproduces")


USER_TESTS = '''
import asyncio
import os

import pytest
from openai import OpenAI

from test_weather import INSTRUCTIONS, TOOLS

HELLO = {"turns": [{"text": "scripted hello"}]}
SEEN = []
SEEN_RESPONSES = []


@pytest.mark.emulator(cassette="weather")
def test_prompt_changed_since_recording(emulator_client):
    assistant = emulator_client.beta.assistants.create(model="gpt-4o", instructions=INSTRUCTIONS, tools=TOOLS)
    run = emulator_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "What's the weather in Bergen?"}]})
    assert run.status == "failed" and "has no recording of this model request" in run.last_error.message


@pytest.mark.emulator(cassette=True)
def test_missing_cassette(emulator_client):
    pass


@pytest.mark.emulator(script=HELLO)
def test_async_client(emulator_async_client):
    async def main():
        assistant = await emulator_async_client.beta.assistants.create(model="gpt-4o")
        run = await emulator_async_client.beta.threads.create_and_run_poll(
            assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "hi"}]})
        page = await emulator_async_client.beta.threads.messages.list(thread_id=run.thread_id)
        return page.data[0].content[0].text.value

    assert asyncio.run(main()) == "scripted hello"


@pytest.mark.parametrize("emulator", [{"script": "math_tutor", "seed": 7}], indirect=True)
def test_indirect_parametrisation_and_own_client(emulator):
    assert os.environ["OPENAI_BASE_URL"] == emulator.base_url
    client = OpenAI()
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "explain linear algebra"}]})
    assert client.beta.threads.messages.list(thread_id=run.thread_id).data[0].content[0].text.value.startswith(
        "Linear algebra")


@pytest.mark.parametrize("attempt", [1, 2])
@pytest.mark.emulator(script=HELLO)
def test_responses_are_deterministic_too(emulator_client, attempt):
    conversation = emulator_client.conversations.create()
    response = emulator_client.responses.create(model="gpt-4o", input="hi", conversation=conversation.id)
    assert response.output_text == "scripted hello"
    SEEN_RESPONSES.append((conversation.id, response.id, response.output[0].id, response.created_at))
    assert SEEN_RESPONSES[0] == SEEN_RESPONSES[-1]


@pytest.mark.parametrize("attempt", [1, 2])
@pytest.mark.emulator(script=HELLO)
def test_every_test_starts_blank_with_the_same_ids(emulator_client, attempt):
    assert emulator_client.beta.assistants.list().data == []
    SEEN.append(emulator_client.beta.assistants.create(model="gpt-4o").id)
    assert SEEN[0] == SEEN[-1]


@pytest.mark.emulator(script=HELLO, env={"EMULATOR_REQUIRES_ACTION_TIMEOUT_S": "60"})
def test_own_process_and_the_clock(emulator, emulator_client):
    assert emulator.now() == 1735689600
    assert emulator.advance_clock(60) == 1735689660


def test_environment_is_restored():
    assert "OPENAI_BASE_URL" not in os.environ
'''


def test_plugin_in_a_users_test_file(project):
    project.makepyfile(test_user=USER_TESTS)
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "test_user.py", "-p", "no:randomly")
    # The changed prompt: the test body passes (the run failed), then the plugin fails the test with the diff.
    result.assert_outcomes(passed=9, errors=2)
    output = result.stdout.str()
    assert "ERROR at teardown of test_prompt_changed_since_recording" in output
    assert "has no recording of this model request" in output
    assert "+      \"content\": \"What's the weather in Bergen?\"" in output
    assert "-      \"content\": \"What's the weather in Oslo?\"" in output
    assert "ERROR at setup of test_missing_cassette" in output
    assert "cassettes/test_user/test_missing_cassette.yaml does not exist; record it with `pytest " \
           "--emulator-record`" in output
