"""code_interpreter through the SDK: real Docker sandboxes, files in and out, images, annotations."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openai import AssistantEventHandler

from tests.helpers.code_interpreter import ANALYSIS, ANSWER, BANKS_CSV, ci_assistant, code_call, logs_of, step_calls

pytestmark = pytest.mark.usefixtures("sandbox_image")


def test_failed_banks_flow(client, script):
    banks = client.files.create(file=("banks.csv", BANKS_CSV.encode()), purpose="assistants")
    model = script(code_call(ANALYSIS), {"text": ANSWER})
    assistant = ci_assistant(client, model, tool_resources={"code_interpreter": {"file_ids": [banks.id]}})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Which states had the most failures?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error

    (call,) = step_calls(client, thread.id, run.id)
    assert call.type == "code_interpreter" and call.code_interpreter.input == ANALYSIS
    assert logs_of(call) == "{'IL': 3, 'FL': 2, 'TX': 1}\n"
    images = [o.image.file_id for o in call.code_interpreter.outputs if o.type == "image"]
    assert len(images) == 1

    message = client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert [c.type for c in message.content] == ["image_file", "text"]
    assert message.content[0].image_file.file_id == images[0]
    png = client.files.content(images[0]).read()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    assert client.files.retrieve(images[0]).purpose == "assistants_output"

    text = message.content[1].text
    assert text.value == ANSWER
    (annotation,) = text.annotations
    assert annotation.type == "file_path"
    assert text.value[annotation.start_index:annotation.end_index] == annotation.text
    assert annotation.text == "sandbox:/mnt/data/failures_by_state.csv"
    table = client.files.content(annotation.file_path.file_id).read().decode()
    assert list(csv.reader(io.StringIO(table))) == [["State", "failures"], ["IL", "3"], ["FL", "2"], ["TX", "1"]]
    assert [a.file_id for a in message.attachments] == [annotation.file_path.file_id]
    assert client.files.retrieve(annotation.file_path.file_id).filename == "failures_by_state.csv"


def test_state_persists_across_calls_and_runs(client, script):
    model = script(code_call("import math\nx = 41"), code_call("x += 1\nprint(x, math.pi > 3)"), {"text": "x is 42"},
                   code_call("print(x * 2)"), {"text": "84"})
    assistant = ci_assistant(client, model)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "count"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    first, second = step_calls(client, thread.id, run.id)
    assert (logs_of(first), logs_of(second)) == ("", "42 True\n")
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="double it")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert logs_of(step_calls(client, thread.id, run.id)[0]) == "84\n"


def test_files_from_assistant_thread_and_message_are_visible(client, script):
    a = client.files.create(file=("assistant.txt", b"A"), purpose="assistants")
    t = client.files.create(file=("thread.txt", b"T"), purpose="assistants")
    m = client.files.create(file=("message.txt", b"M"), purpose="assistants")
    code = "import os\nfor n in sorted(os.listdir('/mnt/data')):\n    print(n, open('/mnt/data/' + n).read())"
    model = script(code_call(code), {"text": "listed"})
    assistant = ci_assistant(client, model, tool_resources={"code_interpreter": {"file_ids": [a.id]}})
    thread = client.beta.threads.create(
        tool_resources={"code_interpreter": {"file_ids": [t.id]}},
        messages=[{"role": "user", "content": "list files",
                   "attachments": [{"file_id": m.id, "tools": [{"type": "code_interpreter"}]}]}],
    )
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert logs_of(step_calls(client, thread.id, run.id)[0]) == "assistant.txt A\nmessage.txt M\nthread.txt T\n"


def test_model_is_told_file_paths(client, script):
    data = client.files.create(file=("sales data.csv", b"a,b\n1,2\n"), purpose="assistants")
    assistant = client.beta.assistants.create(model="scripted/inspect", tools=[{"type": "code_interpreter"}],
                                              tool_resources={"code_interpreter": {"file_ids": [data.id]}})
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "hi"}]})
    seen = json.loads(client.beta.threads.messages.list(thread_id=run.thread_id).data[0].content[0].text.value)
    assert "/mnt/data/sales data.csv (uploaded as \"sales data.csv\")" in seen["messages"][0]["content"]
    assert seen["tools"] == ["code_interpreter"]


def test_streaming_shows_code_and_outputs(client, script):
    model = script(code_call("print('streamed')"), {"text": "done"})
    assistant = ci_assistant(client, model)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "go"}])

    class Handler(AssistantEventHandler):
        inputs: list[str] = []
        logs: list[str] = []

        def on_tool_call_created(self, tool_call):  # the SDK reports a call's first delta as "created"
            self.inputs.append(tool_call.code_interpreter.input)

        def on_tool_call_delta(self, delta, snapshot):
            if delta.type == "code_interpreter":
                for output in delta.code_interpreter.outputs or []:
                    if output.type == "logs":
                        self.logs.append(output.logs)

    handler = Handler()
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id, event_handler=handler) as s:
        s.until_done()
        steps = s.get_final_run_steps()
    assert handler.inputs == ["print('streamed')"] and handler.logs == ["streamed\n"]
    call = steps[0].step_details.tool_calls[0]
    assert call.code_interpreter.input == "print('streamed')"
    assert call.code_interpreter.outputs[0].logs == "streamed\n"


def test_sandbox_isolation(client, script, server):
    probes = {
        "network": "import socket\ns = socket.socket()\ns.settimeout(3)\ns.connect(('1.1.1.1', 80))",
        "host_files": f"import os\nprint(os.path.exists({str(server.data_dir / 'emulator.db')!r}))",
        "root_fs": "open('/usr/evil', 'w')",
        "user": "import os\nprint(os.getuid(), os.getgid())",
        "docker_socket": "import os\nprint(os.path.exists('/var/run/docker.sock'))",
    }
    model = script(*[code_call(code) for code in probes.values()], {"text": "probed"})
    assistant = ci_assistant(client, model)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "probe"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    logs = dict(zip(probes, (logs_of(c) for c in step_calls(client, thread.id, run.id))))
    assert "OSError" in logs["network"] or "unreachable" in logs["network"]
    assert logs["host_files"] == "False\n"
    assert "Read-only file system" in logs["root_fs"]
    assert logs["user"] == "1000 1000\n"
    assert logs["docker_socket"] == "False\n"
