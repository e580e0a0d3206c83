"""Record and replay with the real code_interpreter: a function call, then code run in the Docker sandbox.

Replay re-executes the code in a real sandbox (seeded in deterministic mode) and compares what it produced
with the cassette, so two replays, and the recording itself, look byte-identical to the client.
"""

from __future__ import annotations

import pytest

from tests.helpers.record_replay import record_then_replay_twice
from tests.helpers.wire_log import WireLog

pytestmark = pytest.mark.usefixtures("sandbox_image")

CODE = ("import numpy as np, random\n"
        "print(np.random.rand(2).round(4).tolist(), random.randint(0, 10**6))\n"
        "import matplotlib.pyplot as plt\n"
        "plt.plot([3, 1, 2]); plt.show()\n"
        "open('/mnt/data/result.txt', 'w').write('forty-two')")
REPLIES = [
    {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]},
    {"tool_calls": [{"name": "code_interpreter", "arguments": {"code": CODE}}]},
    {"text": "Chart above; the file is at sandbox:/mnt/data/result.txt"},
]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
         {"type": "code_interpreter"}]


def session(client):
    assistant = client.beta.assistants.create(model="gpt-4o", tools=TOOLS)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Weather, then a chart."}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "-3 C"}],
    ) as stream:
        stream.until_done()
    messages = client.beta.threads.messages.list(thread_id=thread.id)
    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc")
    client.files.content(messages.data[0].content[0].image_file.file_id).read()  # the PNG's bytes, on the wire
    return messages.data[0], steps.data


def play(server):
    wire = WireLog()
    message, steps = session(server.client(api_key="k", http_client=wire.client()))
    return message, steps, wire.exchanges


def test_code_interpreter_session_replays_byte_identical(tmp_path):
    (message, steps, recorded), replays, model_calls = record_then_replay_twice(tmp_path, REPLIES, play)
    assert [c.type for c in message.content] == ["image_file", "text"]
    logs = steps[1].step_details.tool_calls[0].code_interpreter.outputs[0].logs
    assert model_calls == 3  # replays never asked the model
    (_, steps1, first), (_, _, second) = replays
    assert steps1[1].step_details.tool_calls[0].code_interpreter.outputs[0].logs == logs  # seeded sandbox
    assert first == second  # every status, header and body byte, the event stream included
    assert first == recorded
