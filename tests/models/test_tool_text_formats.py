"""`tool_calling = "auto"`: tool calls local models write as text, parsed back into real calls.

The parser is tested on its own over replies shaped like real models' (Hermes/Qwen, Llama 3.x,
Mistral, bare JSON, code fences, broken arguments); the streaming hold-back and the correction
round are tested through a run's SSE stream, with a scripted model writing such text.
"""

from __future__ import annotations

import json

import pytest

from emulator.llm.auto_tools import TextHoldBack
from emulator.llm.text_tools import call_may_start, parse_tool_text

TOOLS = {"get_weather", "code_interpreter", "file_search"}
OSLO = {"city": "Oslo"}


def calls_of(text: str) -> list[tuple[str, dict]]:
    parsed = parse_tool_text(text, TOOLS)
    assert all(c.error is None for c in parsed.calls), parsed.calls
    return [(c.name, json.loads(c.arguments)) for c in parsed.calls]


@pytest.mark.parametrize("reply", [
    # Hermes / Qwen2.5
    '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>',
    '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}',  # closing tag never written
    '<tool_call>\n```json\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n```\n</tool_call>',
    # Llama 3.x
    '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Oslo"}}<|eom_id|>',
    '{"name": "get_weather", "parameters": {"city": "Oslo"}}',
    '<|python_tag|>get_weather(city="Oslo")',
    # Mistral
    '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Oslo"}}]',
    '[TOOL_CALLS]get_weather[ARGS]{"city": "Oslo"}',
    # bare JSON and code fences (what Qwen2.5-Coder-0.5B writes most often)
    '```json\n{\n  "name": "get_weather",\n  "arguments": {\n    "city": "Oslo"\n  }\n}\n```',
    '```\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n```',
    '{"type": "function", "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Oslo\\"}"}}',
    '{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}',
    # arguments encoded twice, repaired near-JSON
    '<tool_call>{"name": "get_weather", "arguments": "{\\"city\\": \\"Oslo\\"}"}</tool_call>',
    '{"name": "get_weather", "arguments": {"city": "Oslo",},}',
    "<tool_call>{'name': 'get_weather', 'arguments': {'city': 'Oslo'}}</tool_call>",
])
def test_one_call_in_each_format(reply):
    assert calls_of(reply) == [("get_weather", OSLO)]


def test_python_literals_in_single_quoted_arguments_are_read():
    assert calls_of("{'name': 'get_weather', 'arguments': {'city': 'Oslo', 'metric': true, 'days': None}}") == [
        ("get_weather", {"city": "Oslo", "metric": True, "days": None})]


def test_text_before_and_after_the_call_stays_message_text():
    parsed = parse_tool_text('Let me check the weather.\n<tool_call>\n{"name": "get_weather", "arguments": '
                             '{"city": "Oslo"}}\n</tool_call>\nOne moment.', TOOLS)
    assert parsed.text == "Let me check the weather.\nOne moment."
    assert [(c.name, json.loads(c.arguments)) for c in parsed.calls] == [("get_weather", OSLO)]


def test_parallel_calls():
    hermes = ('<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>\n'
              '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>')
    mistral = ('[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Oslo"}}, '
               '{"name": "get_weather", "arguments": {"city": "Paris"}}]')
    newline_separated = ('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n'
                         '{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>')
    comma_separated = ('{"name": "get_weather", "arguments": {"city": "Oslo"}}, '  # Qwen2.5-Coder-0.5B, told to
                       '{"name": "get_weather", "arguments": {"city": "Paris"}}')  # write several calls
    for reply in (hermes, mistral, newline_separated, comma_separated):
        assert calls_of(reply) == [("get_weather", OSLO), ("get_weather", {"city": "Paris"})]
        assert parse_tool_text(reply, TOOLS).text == ""


@pytest.mark.parametrize("answer", [
    "The answer is x = 1.",
    "The set {1, 2} has two elements.",
    'In JSON that is {"name": "Bob", "age": 3}.',  # names no tool
    "```python\nimport pandas as pd\nprint(pd.read_csv('/mnt/data/a.csv').mean())\n```",
    "Use `x < y` and [1, 2] here.",
    '[{"name": "Bob"}]',
])
def test_plain_answers_are_not_calls(answer):
    parsed = parse_tool_text(answer, TOOLS)
    assert parsed.calls == [] and parsed.text == answer


def test_a_bare_object_naming_an_unknown_tool_is_text_but_a_tagged_one_is_an_error():
    assert parse_tool_text('{"name": "mean", "arguments": {"numbers": [1, 2]}}', TOOLS).calls == []
    [call] = parse_tool_text('<tool_call>{"name": "mean", "arguments": {}}</tool_call>', TOOLS).calls
    assert call.name == "mean" and "no tool named 'mean'" in call.error and "get_weather" in call.error


@pytest.mark.parametrize("reply", [
    '<tool_call>{"name": "get_weather", "arguments": {"city": Oslo}}</tool_call>',  # an unquoted string
    '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"</tool_call>',  # cut short
    '<tool_call>{"name": "get_weather", "arguments": "Oslo"}</tool_call>',  # not an object
])
def test_unrepairable_arguments_are_an_error_for_the_model(reply):
    [call] = parse_tool_text(reply, TOOLS).calls
    assert call.error and call.name == "get_weather"


def test_hold_back_releases_text_until_a_call_may_start():
    holder = TextHoldBack()
    shown = [holder.feed(part) for part in ["Let me ", "check. ", "<tool", "_call>", '{"name": "get_weather"']]
    assert "".join(shown) == "Let me check. "
    assert holder.held.startswith("<tool_call>")
    holder = TextHoldBack()
    shown = [holder.feed(part) for part in ["The set ", "{", "1, 2} ", "has two. ", "`x`", " ok"]]
    assert "".join(shown) == "The set {1, 2} has two. `x` ok" and holder.held == ""
    assert call_may_start("```py") is None and call_may_start("```json\n{") == 0 and call_may_start("``") == 0


# -- through a run's event stream ------------------------------------------------------------------

WEATHER = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


@pytest.fixture
def auto_model(controlled_server, script):
    """Returns (client, model) for a scripted model behind a model-map entry with `tool_calling = "auto"`."""
    def make(*turns: dict):
        model = script(*turns)
        controlled_server.reset(model_map={model: {"model": model, "tool_calling": "auto"}})
        return controlled_server.client(), model
    return make


def stream_run(client, model: str, question: str):
    assistant = client.beta.assistants.create(model=model, tools=WEATHER)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": question}])
    events = list(client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id, stream=True))
    return thread, events


def message_deltas(events) -> list[str]:
    return [e.data.delta.content[0].text.value for e in events if e.event == "thread.message.delta"]


def test_a_streamed_text_call_becomes_a_real_call_and_only_the_text_before_it_is_streamed(auto_model):
    client, model = auto_model({"text": 'I will check the weather for you. <tool_call>\n{"name": "get_weather", '
                                        '"arguments": {"city": "Oslo"}}\n</tool_call>'})
    thread, events = stream_run(client, model, "Weather in Oslo?")
    deltas = message_deltas(events)
    assert "".join(deltas) == "I will check the weather for you. "
    assert len(deltas) > 1  # released as it came, word by word, not at the end
    assert not any("<" in d or "{" in d for d in deltas)
    run = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=events[0].data.id)
    assert run.status == "requires_action"
    [call] = run.required_action.submit_tool_outputs.tool_calls
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == OSLO
    message = client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert message.content[0].text.value == "I will check the weather for you. "  # what was streamed


def test_a_plain_streamed_answer_with_braces_is_shown_whole(auto_model):
    answer = "The set {1, 2} has two elements, and `x < y` holds."
    client, model = auto_model({"text": answer})
    thread, events = stream_run(client, model, "Tell me about sets")
    assert "".join(message_deltas(events)) == answer and len(message_deltas(events)) > 3
    assert "thread.run.completed" in [e.event for e in events]


def test_a_broken_call_is_shown_to_the_model_as_a_tool_error_and_corrected(auto_model):
    client, model = auto_model(
        {"when": {"contains": "not valid JSON"},
         "text": '```json\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n```'},
        {"text": '<tool_call>{"name": "get_weather", "arguments": {"city": Oslo}}</tool_call>'},
    )
    thread, events = stream_run(client, model, "Weather in Oslo?")
    assert message_deltas(events) == []
    run = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=events[0].data.id)
    assert run.status == "requires_action", run.last_error
    [call] = run.required_action.submit_tool_outputs.tool_calls
    assert json.loads(call.function.arguments) == OSLO
