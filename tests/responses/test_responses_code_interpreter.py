"""code_interpreter through the Responses API: a container with an uploaded CSV, a chart and a file the code
writes, downloaded through the Containers API, with exact `container_file_citation` indices."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.helpers.code_interpreter import WEATHER_CODE as CODE
from tests.helpers.code_interpreter import WEATHER_CSV as CSV

pytestmark = pytest.mark.usefixtures("sandbox_image")

ANSWER = "The mean is 12. Sorted: [sorted.csv](sandbox:/mnt/data/sorted.csv)"


def test_csv_to_chart_and_file_with_citation(client, script, server):
    upload = client.files.create(file=("weather.csv", CSV), purpose="user_data")
    model = script({"tool_calls": [{"name": "code_interpreter", "arguments": {"code": CODE}}]},
                   {"when": {"role": "tool"}, "text": ANSWER})
    tools = [{"type": "code_interpreter", "container": {"type": "auto", "file_ids": [upload.id]}}]
    response = client.responses.create(model=model, input="Average temperature, chart, sorted file.", tools=tools,
                                       include=["code_interpreter_call.outputs"])
    assert response.status == "completed", response.error
    call, message = response.output
    assert call.type == "code_interpreter_call" and call.status == "completed" and call.code == CODE
    container_id = call.container_id
    assert container_id.startswith("cntr_")
    logs = [o for o in call.outputs if o.type == "logs"]
    images = [o for o in call.outputs if o.type == "image"]
    assert logs[0].logs.strip() == "12.0" and len(images) == 1

    text = message.content[0]
    assert text.text == ANSWER
    (citation,) = text.annotations
    link = "sandbox:/mnt/data/sorted.csv"
    assert citation.type == "container_file_citation" and citation.container_id == container_id
    assert (citation.start_index, citation.end_index) == (ANSWER.index(link), ANSWER.index(link) + len(link))
    assert citation.filename == "sorted.csv"
    content = client.containers.files.content.retrieve(citation.file_id, container_id=container_id).read()
    assert content == b"city,temp\nOslo,-3\nParis,18\nRome,21\n"

    files = {f.path: f for f in client.containers.files.list(container_id).data}
    assert files["/mnt/data/weather.csv"].source == "user" and files["/mnt/data/sorted.csv"].source == "assistant"
    png = httpx.get(server.base_url.removesuffix("/v1") + images[0].url, headers={"Authorization": "Bearer k"})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    # Outputs only with the include.
    assert client.responses.retrieve(response.id).output[0].outputs is None


def test_state_persists_in_a_named_container_and_errors(client, script):
    container = client.containers.create(name="work")
    first = script({"tool_calls": [{"name": "code_interpreter", "arguments": {"code": "x = 41"}}]},
                   {"when": {"role": "tool"}, "text": "Set."})
    second = script({"tool_calls": [{"name": "code_interpreter", "arguments": {"code": "print(x + 1)"}}]},
                    {"when": {"role": "tool", "contains": "42"}, "text": "42."})
    tools = [{"type": "code_interpreter", "container": container.id}]
    assert client.responses.create(model=first, input="set x", tools=tools).output_text == "Set."
    assert client.responses.create(model=second, input="x+1?", tools=tools).output_text == "42."
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=first, input="x", tools=[{"type": "code_interpreter", "container": "cntr_nope"}])
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model=first, input="x", tools=[{"type": "code_interpreter"}])  # container required
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model=first, input="x", tools=[{"type": "web_search"}])


def test_streamed_code_interpreter_events(client, script):
    model = script({"tool_calls": [{"name": "code_interpreter", "arguments": {"code": "print(2 + 2)"}}]},
                   {"when": {"role": "tool"}, "text": "4"})
    events = list(client.responses.create(model=model, input="2+2", stream=True,
                                          tools=[{"type": "code_interpreter", "container": {"type": "auto"}}]))
    types = [e.type for e in events]
    start = types.index("response.output_item.added")
    assert types[start:start + 7] == [
        "response.output_item.added", "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call_code.delta", "response.code_interpreter_call_code.done",
        "response.code_interpreter_call.interpreting", "response.code_interpreter_call.completed",
        "response.output_item.done"]
    done = events[start + 6].item
    assert done.code == "print(2 + 2)" and done.outputs is None  # no include
