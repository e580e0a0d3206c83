"""AutoGen's GPTAssistantAgent (ag2 0.13.4, the last release that ships it) against the emulator."""

from __future__ import annotations

import json

import pytest
from autogen import UserProxyAgent
from autogen.agentchat.contrib.gpt_assistant_agent import GPTAssistantAgent
from autogen.function_utils import get_function_schema

from tests.helpers.code_interpreter import ANALYSIS, BANKS_CSV, code_call


def get_current_weather(location: str) -> str:
    """Retrieves the current weather for a specified location."""
    # ag2 0.13.4 submits a function's return value as the tool output as it is, and the API (OpenAI's
    # and the emulator's) only takes strings: the seed's dict-returning version gets a 400 there too.
    return json.dumps({"location": location, "temperature": "72", "unit": "fahrenheit"})


def agent(server, model: str, assistant_config: dict, name: str) -> GPTAssistantAgent:
    llm_config = {"config_list": [{"model": model, "api_key": "k", "base_url": server.base_url}]}
    assistant = GPTAssistantAgent(name=name, instructions="You are a helpful assistant.", llm_config=llm_config,
                                  assistant_config=assistant_config)
    # ag2 0.13.4 moves check_every_ms out of llm_config, then sleeps for llm_config's (None) while polling
    # a queued run and crashes; it does so against OpenAI too. Setting it afterwards avoids the bug.
    assistant.llm_config["check_every_ms"] = 20
    return assistant


def converse(assistant: GPTAssistantAgent, message: str) -> str:
    user = UserProxyAgent(name="user", human_input_mode="NEVER", code_execution_config=False,
                          max_consecutive_auto_reply=0, is_termination_msg=lambda m: True)
    result = user.initiate_chat(assistant, message=message, max_turns=1, silent=True)
    return result.chat_history[-1]["content"]


def test_function_tool_built_with_get_function_schema(server, script):
    schema = get_function_schema(get_current_weather, name="get_current_weather",
                                 description="Retrieves the current weather for a specified location.")
    model = script({"tool_calls": [{"name": "get_current_weather", "arguments": {"location": "San Francisco"}}]},
                   {"when": {"role": "tool"}, "text": "It is 72°F in San Francisco."})
    weather = agent(server, model, {"tools": [schema]}, name="weather_agent_fn")
    weather.register_function(function_map={"get_current_weather": get_current_weather})
    try:
        assert converse(weather, "What's the weather in San Francisco?").strip() == "It is 72°F in San Francisco."
    finally:
        weather.delete_assistant()


@pytest.mark.usefixtures("sandbox_image")
def test_code_interpreter_over_uploaded_csv(server, client, script):
    banks = client.files.create(file=("banks.csv", BANKS_CSV.encode()), purpose="assistants")
    model = script(code_call(ANALYSIS), {"text": "Illinois had the most bank failures (3)."})
    analyst = agent(server, model, {"tools": [{"type": "code_interpreter"}],
                                    "tool_resources": {"code_interpreter": {"file_ids": [banks.id]}}},
                    name="analyst_ci")
    try:
        reply = converse(analyst, "Which state had the most failures?")
        assert "Illinois had the most bank failures (3)." in reply
    finally:
        analyst.delete_assistant()


def test_file_search_over_a_vector_store(server, client, script):
    from tests.helpers import documents
    from tests.helpers.documents import named

    fact = "The Harbor Street branch closed on 14 March 2023 after its reserves fell below the legal minimum."
    store = client.vector_stores.create(name="Bank reports")
    batch = client.vector_stores.file_batches.upload_and_poll(vector_store_id=store.id, files=[
        named("report.txt", (documents.filler(400, 21) + " " + fact + " " + documents.filler(400, 22)).encode()),
        named("other.txt", documents.filler(800, 23).encode())])
    assert batch.file_counts.completed == 2
    answer = "It closed on 14 March 2023【0:0†report.txt】."
    model = script({"tool_calls": [{"name": "file_search", "arguments": {"queries": ["Harbor Street branch closed"]}}]},
                   {"when": {"role": "tool", "contains": "Harbor Street"}, "text": answer})
    researcher = agent(server, model, {"tools": [{"type": "file_search"}],
                                       "tool_resources": {"file_search": {"vector_store_ids": [store.id]}}},
                       name="researcher_fs")
    try:
        reply = converse(researcher, "When did the Harbor Street branch close?").strip()
        # GPTAssistantAgent turns each file_citation annotation into a numbered footnote marker.
        assert reply == "It closed on 14 March 2023 [0]."
    finally:
        researcher.delete_assistant()
