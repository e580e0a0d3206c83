"""The Responses API over HTTP with the `openai` SDK: text, function calling with previous_response_id,
streaming event order, background and cancel, structured output, errors."""

from __future__ import annotations

import json

import openai
import pytest
from pydantic import BaseModel


def test_text_response(client, script):
    model = script({"text": "Hello there!"})
    response = client.responses.create(model=model, input="Say hello", instructions="Be brief.")
    assert response.status == "completed"
    assert response.output_text == "Hello there!"
    assert response.object == "response" and response.id.startswith("resp_")
    message = response.output[0]
    assert message.type == "message" and message.role == "assistant" and message.status == "completed"
    assert message.content[0].type == "output_text" and message.content[0].annotations == []
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert response.instructions == "Be brief." and response.store is True and response.tools == []
    again = client.responses.retrieve(response.id)
    assert again.model_dump() == response.model_dump()
    raw = client.responses.with_raw_response.retrieve(response.id).http_response.json()
    assert isinstance(raw["created_at"], int) and isinstance(raw["output"][0]["content"][0]["text"], str)
    items = client.responses.input_items.list(response.id)
    assert [i.type for i in items.data] == ["message"]
    assert items.data[0].content[0].text == "Say hello"


def test_function_calling_loop_with_previous_response_id(client, script):
    model = script(
        {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"when": {"role": "tool"}, "text": "It is 18C in Paris."},
    )
    tools = [{"type": "function", "name": "get_weather", "description": "Weather of a city",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
    first = client.responses.create(model=model, input="Weather in Paris?", tools=tools)
    assert first.status == "completed"
    call = first.output[0]
    assert call.type == "function_call" and call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Paris"} and call.call_id
    second = client.responses.create(model=model, previous_response_id=first.id, tools=tools, input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": "18C"}])
    assert second.status == "completed" and second.output_text == "It is 18C in Paris."
    assert second.previous_response_id == first.id


def test_stream_event_order_and_sequence_numbers(client, script):
    model = script({"text": "Streaming works."})
    events = list(client.responses.create(model=model, input="hi", stream=True))
    types = [e.type for e in events]
    assert types[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert types[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "Streaming works."
    assert events[-1].response.output_text == "Streaming works."


def test_stream_helper_and_parse(client, script):
    model = script({"text": '{"name": "Ada", "age": 36}'})

    class Person(BaseModel):
        name: str
        age: int

    parsed = client.responses.parse(model=model, input="Who?", text_format=Person)
    assert parsed.output_parsed == Person(name="Ada", age=36)
    with client.responses.stream(model=model, input="Who?") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == '{"name": "Ada", "age": 36}'


def test_errors(client, script):
    model = script({"text": "x"})
    with pytest.raises(openai.NotFoundError) as err:
        client.responses.retrieve("resp_missing")
    assert err.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.NotFoundError) as err:
        client.responses.create(model=model, input="x", previous_response_id="resp_missing")
    assert err.value.body["code"] == "previous_response_not_found"
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model=model, input="x", include=["bogus"])
    assert err.value.body["param"] == "include[0]" or "include" in err.value.body["param"]
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model=model, input=[{"type": "function_call_output", "call_id": "nope", "output": "1"}])
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=model, input="x", tools=[{"type": "file_search", "vector_store_ids": ["vs_nope"]}])


def test_readme_responses_example_runs(server, monkeypatch):
    """The README's Responses example, executed as written against the server."""
    import re

    from tests.helpers.paths import README

    section = README.read_text().split("## The Responses API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "anything")
    printed: list[str] = []
    namespace = {"print": lambda *args: printed.append(" ".join(map(str, args)))}
    exec(compile(code, "README.md", "exec"), namespace)
    assert printed == ["Sure! Subtract 11 from both sides to get 3x = 3, then divide both sides by 3: x = 1."]
    assert namespace["follow_up"].output_text.startswith("To isolate x")


def test_incomplete_at_max_output_tokens_and_failed_model_call(client, script):
    long = script({"text": " ".join(["word"] * 400)})
    response = client.responses.create(model=long, input="Talk.", max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output[0].status == "incomplete"
    failing = script({"error": {"code": "rate_limit_exceeded", "message": "Slow down"}})
    failed = client.responses.create(model=failing, input="x")
    assert failed.status == "failed"
    assert failed.error.code == "rate_limit_exceeded" and "Slow down" in failed.error.message
    events = list(client.responses.create(model=failing, input="x", stream=True))
    assert [e.type for e in events] == ["response.created", "response.in_progress", "response.failed"]
    assert events[-1].response.error.code == "rate_limit_exceeded"


def test_tool_choice_and_unsupported_parameters_are_echoed(client, script):
    model = script({"tool_calls": [{"name": "lookup", "arguments": {"q": "x"}}]})
    tools = [{"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {}}}]
    response = client.responses.create(model=model, input="x", tools=tools,
                                       tool_choice={"type": "function", "name": "lookup"},
                                       reasoning={"effort": "low"}, service_tier="flex", metadata={"k": "v"},
                                       prompt_cache_key="cache-1", temperature=0.2, top_p=0.5)
    assert response.tool_choice.type == "function" and response.tool_choice.name == "lookup"
    assert response.reasoning.effort == "low" and response.service_tier == "flex"
    assert response.metadata == {"k": "v"} and response.prompt_cache_key == "cache-1"
    assert response.temperature == 0.2 and response.top_p == 0.5
    assert response.tools[0].name == "lookup" and response.tools[0].strict is True
    assert response.output[0].type == "function_call"


def test_store_false_is_not_kept(client, script):
    model = script({"text": "x"})
    response = client.responses.create(model=model, input="x", store=False)
    assert response.status == "completed" and response.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=model, input="y", previous_response_id=response.id)


def test_input_image_url_only_with_the_include(client, script):
    model = script({"text": "A red pixel."})
    url = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5"
           "ErkJggg==")
    response = client.responses.create(model=model, input=[{"role": "user", "content": [
        {"type": "input_text", "text": "What is this?"}, {"type": "input_image", "image_url": url}]}])
    assert response.output_text == "A red pixel."
    plain = client.responses.input_items.list(response.id).data[0].content[1]
    assert plain.type == "input_image" and plain.image_url is None and plain.detail == "auto"
    shown = client.responses.input_items.list(response.id, include=["message.input_image.image_url"])
    assert shown.data[0].content[1].image_url == url


def test_json_schema_format_is_echoed_with_its_schema_key(client, script):
    model = script({"text": '{"a": 1}'})
    fmt = {"type": "json_schema", "name": "obj", "schema": {"type": "object"}, "strict": True}
    raw = client.responses.with_raw_response.create(model=model, input="x", text={"format": fmt})
    body = raw.http_response.json()
    assert body["text"]["format"]["schema"] == {"type": "object"} and "schema_" not in raw.http_response.text
