"""Bad input gets OpenAI's error shape and status, never a 500."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.helpers.hostile import error_of


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        yield c


@pytest.mark.parametrize("kind,path", [
    ("assistant", "/assistants/asst_nope"), ("thread", "/threads/thread_nope"),
    ("file", "/files/file-nope"), ("file", "/files/file-nope/content"),
])
def test_unknown_ids_are_404(http, kind, path):
    err = error_of(http.get(path), 404)
    assert err["message"] == f"No {kind} found with id '{path.split('/')[2]}'."
    assert err["type"] == "invalid_request_error"


def test_unknown_nested_ids_are_404(client):
    thread = client.beta.threads.create()
    with pytest.raises(openai.NotFoundError) as e:
        client.beta.threads.messages.retrieve(thread_id=thread.id, message_id="msg_nope")
    assert e.value.body["message"] == "No message found with id 'msg_nope'."
    with pytest.raises(openai.NotFoundError) as e:
        client.beta.threads.runs.retrieve(thread_id=thread.id, run_id="run_nope")
    assert e.value.body["message"] == "No run found with id 'run_nope'."
    with pytest.raises(openai.NotFoundError) as e:
        client.beta.threads.messages.list(thread_id="thread_nope")
    assert e.value.body["message"] == "No thread found with id 'thread_nope'."
    with pytest.raises(openai.NotFoundError) as e:
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id="asst_nope")
    assert e.value.body["message"] == "No assistant found with id 'asst_nope'."


def test_malformed_json_is_400(http):
    err = error_of(http.post("/assistants", content=b"{not json", headers={"content-type": "application/json"}), 400)
    assert err["message"].startswith("We could not parse the JSON body of your request.")
    err = error_of(http.post("/assistants", json=["a", "list"]), 400)
    assert err["code"] == "invalid_type"


@pytest.mark.parametrize("body,param,code,message", [
    ({}, "model", "missing_required_parameter", "Missing required parameter: 'model'."),
    ({"model": "m", "colour": "red"}, "colour", "unknown_parameter", "Unknown parameter: 'colour'."),
    ({"model": "m", "temperature": "hot"}, "temperature", "invalid_type",
     "Invalid type for 'temperature': expected a decimal, but got a string instead."),
    ({"model": "m", "temperature": 5}, "temperature", "integer_above_max_value",
     "Invalid 'temperature': integer above maximum value. Expected a value less than or equal to 2, but got 5 instead."),
    ({"model": "m", "tools": [{"type": "browser"}]}, "tools[0].type", "invalid_value",
     "Invalid value: 'browser'. Supported values are: 'code_interpreter', 'file_search', 'function'."),
    ({"model": "m", "name": "n" * 257}, "name", "string_above_max_length",
     "Invalid 'name': string too long. Expected a string with maximum length 256, but got a string with length 257 instead."),
])
def test_invalid_parameters_are_400_naming_the_parameter(http, body, param, code, message):
    err = error_of(http.post("/assistants", json=body), 400)
    assert (err["param"], err["code"], err["message"]) == (param, code, message)


def test_second_active_run_and_messages_during_run_are_400(client, script):
    model = script({"text": " ".join(["slow"] * 100), "delay_ms": 20})
    assistant = client.beta.assistants.create(model=model)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    with pytest.raises(openai.BadRequestError) as e:
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert e.value.status_code == 400
    assert e.value.body["message"] == f"Thread {thread.id} already has an active run {run.id}."
    with pytest.raises(openai.BadRequestError) as e:
        client.beta.threads.messages.create(thread_id=thread.id, role="user", content="more")
    assert e.value.body["message"] == f"Can't add messages to {thread.id} while a run {run.id} is active."
    client.beta.threads.runs.cancel(thread_id=thread.id, run_id=run.id)
    assert client.beta.threads.runs.poll(thread_id=thread.id, run_id=run.id).status == "cancelled"


def test_submit_tool_outputs_errors(client, script):
    model = script({"tool_calls": [{"name": "a"}, {"name": "b"}]}, {"text": "ok"})
    tools = [{"type": "function", "function": {"name": n}} for n in "ab"]
    assistant = client.beta.assistants.create(model=model, tools=tools)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    a, b = (c.id for c in run.required_action.submit_tool_outputs.tool_calls)
    submit = client.beta.threads.runs.submit_tool_outputs
    with pytest.raises(openai.BadRequestError) as e:
        submit(thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": a, "output": "1"}])
    assert e.value.body["message"] == f"Expected tool outputs for call_ids ['{a}', '{b}'], got ['{a}']."
    with pytest.raises(openai.BadRequestError) as e:
        submit(thread_id=thread.id, run_id=run.id, tool_outputs=[
            {"tool_call_id": a, "output": "1"}, {"tool_call_id": "call_bogus", "output": "2"}])
    assert e.value.body["message"] == "Invalid 'tool_outputs': no tool call found with id 'call_bogus'."
    with pytest.raises(openai.BadRequestError) as e:
        submit(thread_id=thread.id, run_id=run.id, tool_outputs=[{"output": "1"}])
    assert e.value.body["code"] == "missing_required_parameter"
    # Nothing was lost: the run still waits, and a correct submission completes it.
    assert client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id).status == "requires_action"
    done = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id,
        tool_outputs=[{"tool_call_id": a, "output": "1"}, {"tool_call_id": b, "output": "2"}])
    assert done.status == "completed"
    with pytest.raises(openai.BadRequestError) as e:
        submit(thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": a, "output": "1"}])
    assert e.value.body["message"] == 'Runs in status "completed" do not accept tool outputs.'


def test_list_parameters_are_validated(http):
    assert error_of(http.get("/assistants?limit=0"), 400)["param"] == "limit"
    assert error_of(http.get("/assistants?limit=101"), 400)["code"] == "integer_above_max_value"
    assert error_of(http.get("/assistants?limit=ten"), 400)["code"] == "invalid_type"
    assert error_of(http.get("/assistants?order=sideways"), 400)["param"] == "order"
    assert error_of(http.get("/assistants?after=asst_missing"), 400)["param"] == "after"


def test_unknown_routes_and_methods(http):
    err = error_of(http.get("/nothing-here"), 404)
    assert err["message"] == "Invalid URL (GET /v1/nothing-here)."
    err = error_of(http.put("/assistants"), 405)
    assert err["message"] == "Invalid method for URL (PUT /v1/assistants)."


def test_bad_uploads(http):
    err = error_of(http.post("/files", data={"purpose": "assistants"}, files={"x": ("a", b"1")}), 400)
    assert err["param"] == "file"
    err = error_of(http.post("/files", files={"file": ("a.txt", b"1")}, data={"purpose": "homework"}), 400)
    assert (err["param"], err["code"]) == ("purpose", "invalid_value")
    err = error_of(http.post("/files", json={"purpose": "assistants"}), 400)
    assert err["param"] == "file"


def test_message_with_unknown_file_is_400(client):
    thread = client.beta.threads.create()
    with pytest.raises(openai.BadRequestError) as e:
        client.beta.threads.messages.create(thread_id=thread.id, role="user", content="x",
                                            attachments=[{"file_id": "file-nope", "tools": [{"type": "file_search"}]}])
    assert "file-nope" in e.value.body["message"]
    assert client.beta.threads.messages.list(thread_id=thread.id).data == []


def test_api_key_is_enforced_when_configured(make_server):
    srv = make_server(args=["--api-key", "sk-local-secret"])
    assert srv.client(api_key="sk-local-secret").beta.assistants.list(limit=1).data is not None
    with pytest.raises(openai.AuthenticationError) as e:
        srv.client(api_key="sk-wrong-key-123").beta.assistants.list()
    assert e.value.status_code == 401 and e.value.body["code"] == "invalid_api_key"
    response = httpx.get(f"{srv.base_url}/assistants")
    assert error_of(response, 401)["message"].startswith("You didn't provide an API key.")
