"""Aids for small models (emulator/llm/aids.py): loop guard, hosted tool first, tool instructions, citation fallback.

Each is a model-map option; runs go through the server over HTTP with scripted models standing in for a
small model that loops, imagines results, or writes no source markers.
"""

from __future__ import annotations

import json

import pytest

from emulator.llm.aids import fallback_citations, wants_code
from emulator.settings import ModelRoute

WEATHER = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
CHUNK = ("Warranty terms. Every Acme kettle carries a warranty of 24 months from the date of purchase. "
         "Repairs are free during that period.")


def test_citation_fallback_annotates_a_real_match_with_exact_indices():
    answer = "Sure. The Acme kettle has a warranty of 24 months from purchase. Anything else?"
    [citation] = fallback_citations(answer, [("file-other", "Bananas are yellow."), ("file-acme", CHUNK)])
    sentence = "The Acme kettle has a warranty of 24 months from purchase."
    assert citation == {"type": "file_citation", "text": sentence, "start_index": answer.index(sentence),
                        "end_index": answer.index(sentence) + len(sentence), "file_citation": {"file_id": "file-acme"}}
    assert answer[citation["start_index"]:citation["end_index"]] == sentence


@pytest.mark.parametrize("answer", [
    "I like the months of summer best.",  # one shared word ("months")
    "The kettle is blue and holds two litres of water when full.",  # two shared words of many
    "Yes.",
])
def test_citation_fallback_leaves_a_weak_overlap_alone(answer):
    assert fallback_citations(answer, [("file-acme", CHUNK)]) == []


def test_aids_are_on_for_local_entries_and_off_for_hosted_ones():
    local = ModelRoute(model="openai/local", api_base="http://127.0.0.1:8080/v1")
    hosted = ModelRoute(model="openai/gpt-4o")
    assert local.tool_calling == "auto" and local.loop_guard and local.hosted_tool_first and local.citation_fallback
    assert hosted.tool_calling == "native" and not (hosted.loop_guard or hosted.hosted_tool_first
                                                    or hosted.tool_instructions or hosted.citation_fallback)
    assert ModelRoute(model="ollama_chat/qwen2.5").loop_guard
    off = ModelRoute(model="openai/local", api_base="http://localhost:8080/v1", loop_guard=False)
    assert not off.loop_guard and off.citation_fallback


def test_what_counts_as_asking_for_code():
    assert wants_code("What is the mean of the price column in data.csv?")
    assert wants_code("Plot a bar chart of sales")
    assert not wants_code("Hello! Who are you?")


@pytest.fixture
def aided(controlled_server, script):
    """(client, model) for a scripted model behind a model-map entry with the given options."""
    def make(*turns: dict, model: str | None = None, **options):
        model = model or script(*turns)
        controlled_server.reset(model_map={model: {"model": model, **options}})
        return controlled_server.client(), model
    return make


def weather_run(client, model):
    assistant = client.beta.assistants.create(model=model, tools=WEATHER)
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "Weather in Oslo?"}]})
    assert run.status == "requires_action", run.last_error
    [call] = run.required_action.submit_tool_outputs.tool_calls
    return client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=run.thread_id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "-3 C, snow"}])


LOOPING = (
    {"when": {"contains": "Do not call it again"}, "text": "It is -3 C and snowing in Oslo."},
    {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]},
    {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]},  # the same call, again
)


def test_loop_guard_turns_a_repeated_call_into_an_answer(aided):
    client, model = aided(*LOOPING, loop_guard=True)
    run = weather_run(client, model)
    assert run.status == "completed", run.last_error
    answer = client.beta.threads.messages.list(thread_id=run.thread_id).data[0].content[0].text.value
    assert answer == "It is -3 C and snowing in Oslo."


def test_without_the_loop_guard_the_repeated_call_goes_back_to_the_client(aided):
    client, model = aided(*LOOPING, loop_guard=False)
    run = weather_run(client, model)
    assert run.status == "requires_action"


def inspected_request(client, model, question: str) -> dict:
    assistant = client.beta.assistants.create(model=model, instructions="You are a data analyst.",
                                              tools=[{"type": "code_interpreter"}])
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": question}]})
    assert run.status == "completed", run.last_error
    return json.loads(client.beta.threads.messages.list(thread_id=run.thread_id).data[0].content[0].text.value)


def test_hosted_tool_first_forces_code_interpreter_when_the_user_asks_for_a_computation(aided):
    client, model = aided(model="scripted/inspect", hosted_tool_first=True, tool_instructions=True)
    request = inspected_request(client, model, "What is the mean of 3, 5 and 10?")
    assert request["tool_choice"] == {"type": "function", "function": {"name": "code_interpreter"}}
    assert "print() every result" in request["messages"][0]["content"]
    assert request["messages"][0]["content"].startswith("You are a data analyst.")
    assert inspected_request(client, model, "Hello, who are you?")["tool_choice"] == "auto"


def test_hosted_models_get_neither_the_forced_call_nor_the_instructions(aided):
    client, model = aided(model="scripted/inspect")
    request = inspected_request(client, model, "What is the mean of 3, 5 and 10?")
    assert request["tool_choice"] == "auto" and "print() every result" not in request["messages"][0]["content"]


def upload_and_ask(client, model):
    file = client.files.create(file=("kettle.txt", CHUNK.encode()), purpose="assistants")
    store = client.vector_stores.create(file_ids=[file.id])
    assistant = client.beta.assistants.create(model=model, tools=[{"type": "file_search"}],
                                              tool_resources={"file_search": {"vector_store_ids": [store.id]}})
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "How long is the warranty?"}]})
    assert run.status == "completed", run.last_error
    return file.id, client.beta.threads.messages.list(thread_id=run.thread_id).data[0].content[0].text


ANSWER = "Every Acme kettle has a warranty of 24 months from the date of purchase."


def test_citation_fallback_cites_an_answer_without_markers(aided):
    client, model = aided({"text": ANSWER}, citation_fallback=True)
    file_id, text = upload_and_ask(client, model)
    [citation] = text.annotations
    assert citation.type == "file_citation" and citation.file_citation.file_id == file_id
    assert (citation.start_index, citation.end_index, citation.text) == (0, len(ANSWER), ANSWER)


def test_no_fallback_citations_for_hosted_models(aided):
    client, model = aided({"text": ANSWER})
    _, text = upload_and_ask(client, model)
    assert text.annotations == []


def test_a_call_written_when_tools_are_withheld_is_asked_for_again_in_words(aided):
    """With `auto` tool calling, the loop guard's answer may come back as one more call written as text."""
    client, model = aided(
        {"when": {"contains": "Tools are not available now"}, "text": "It is -3 C and snowing in Oslo."},
        {"when": {"contains": "Do not call it again"},
         "text": '{"name": "get_weather", "arguments": {"city": "Oslo"}}'},
        *LOOPING[1:], loop_guard=True, tool_calling="auto")
    run = weather_run(client, model)
    assert run.status == "completed", run.last_error
    answer = client.beta.threads.messages.list(thread_id=run.thread_id).data[0].content[0].text.value
    assert answer == "It is -3 C and snowing in Oslo."
