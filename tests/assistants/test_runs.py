"""Run lifecycle: function calls, parallel calls, limits, truncation, failures, cancel, expiry."""

from __future__ import annotations

import json
import time

import openai
import pytest


def new_thread(client, *texts):
    return client.beta.threads.create(messages=[{"role": "user", "content": t} for t in texts])


def wait_for(predicate, timeout=30.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def test_parallel_function_calls(client, script):
    model = script(
        {"tool_calls": [
            {"name": "get_weather", "arguments": {"city": "Paris"}},
            {"name": "get_time", "arguments": {"zone": "CET"}},
        ]},
        {"text": "Sunny, and it is noon."},
    )
    tools = [{"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {}}}}
             for n in ("get_weather", "get_time")]
    assistant = client.beta.assistants.create(model=model, tools=tools)
    thread = new_thread(client, "Weather and time in Paris?")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "requires_action"
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("get_weather", {"city": "Paris"}), ("get_time", {"zone": "CET"})]
    assert len({c.id for c in calls}) == 2

    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data
    assert len(steps) == 1 and steps[0].status == "in_progress" and steps[0].type == "tool_calls"
    assert [c.function.output for c in steps[0].step_details.tool_calls] == [None, None]

    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id,
        tool_outputs=[{"tool_call_id": calls[1].id, "output": "12:00"}, {"tool_call_id": calls[0].id, "output": "sunny"}],
    )
    assert run.status == "completed"
    step = client.beta.threads.runs.steps.retrieve(thread_id=thread.id, run_id=run.id, step_id=steps[0].id)
    assert step.status == "completed" and step.completed_at is not None
    assert [c.function.output for c in step.step_details.tool_calls] == ["sunny", "12:00"]
    assert client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value == \
        "Sunny, and it is noon."
    # Usage adds up over both model calls.
    all_steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data
    assert run.usage.prompt_tokens == sum(s.usage.prompt_tokens for s in all_steps)
    assert run.usage.completion_tokens == sum(s.usage.completion_tokens for s in all_steps)


def test_model_sees_tool_round_and_run_options(client):
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    assistant = client.beta.assistants.create(model="scripted/inspect", instructions="Be terse.", tools=tools)
    thread = new_thread(client, "first", "second", "third")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, additional_instructions="Answer in French.",
        temperature=0.2, top_p=0.9, tool_choice={"type": "function", "function": {"name": "lookup"}},
        parallel_tool_calls=False, response_format={"type": "json_object"},
        additional_messages=[{"role": "user", "content": "fourth"}],
        truncation_strategy={"type": "last_messages", "last_messages": 2},
    )
    assert run.status == "completed"
    assert run.instructions == "Be terse.\n\nAnswer in French."
    assert (run.temperature, run.top_p, run.parallel_tool_calls) == (0.2, 0.9, False)
    seen = json.loads(client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value)
    assert seen["messages"] == [
        {"role": "system", "content": "Be terse.\n\nAnswer in French."},
        {"role": "user", "content": "third"},
        {"role": "user", "content": "fourth"},
    ]
    assert seen["tools"] == ["lookup"]
    assert seen["tool_choice"] == {"type": "function", "function": {"name": "lookup"}}
    assert seen["parallel_tool_calls"] is False
    assert seen["response_format"] == {"type": "json_object"}
    assert (seen["temperature"], seen["top_p"]) == (0.2, 0.9)


def test_run_overrides_model_instructions_and_tools(client):
    assistant = client.beta.assistants.create(model="scripted/echo", instructions="ignored")
    thread = new_thread(client, "hello")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, model="scripted/inspect", instructions="Override.",
        tools=[{"type": "function", "function": {"name": "only_this"}}],
    )
    assert (run.model, run.instructions, [t.function.name for t in run.tools]) == (
        "scripted/inspect", "Override.", ["only_this"])
    seen = json.loads(client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value)
    assert seen["messages"][0] == {"role": "system", "content": "Override."}
    assert seen["tools"] == ["only_this"]


def test_max_completion_tokens_makes_run_incomplete(client, script):
    model = script({"text": " ".join(f"word{i}" for i in range(400))})
    assistant = client.beta.assistants.create(model=model)
    thread = new_thread(client, "Talk a lot.")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id,
                                                   max_completion_tokens=256)
    assert run.status == "incomplete"
    assert run.incomplete_details.reason == "max_completion_tokens"
    assert run.usage.completion_tokens <= 256
    message = client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert message.status == "incomplete" and message.incomplete_details.reason == "max_tokens"
    assert message.content[0].text.value.startswith("word0 word1")


def test_max_prompt_tokens_truncates_then_gives_up(client):
    long_text = " ".join(f"filler{i}" for i in range(400))
    assistant = client.beta.assistants.create(model="scripted/inspect")
    # Auto truncation drops the old long message to fit the budget.
    thread = new_thread(client, long_text, "short question")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id,
                                                   max_prompt_tokens=256)
    assert run.status == "completed"
    seen = json.loads(client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value)
    assert seen["messages"] == [{"role": "user", "content": "short question"}]
    # A last message that alone exceeds the budget ends the run incomplete.
    thread = new_thread(client, long_text)
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id,
                                                   max_prompt_tokens=256)
    assert run.status == "incomplete" and run.incomplete_details.reason == "max_prompt_tokens"


@pytest.mark.parametrize("code", ["rate_limit_exceeded", "server_error", "invalid_prompt"])
def test_model_error_fails_run_with_code(client, script, code):
    model = script({"error": {"code": code, "message": f"scripted {code}"}})
    assistant = client.beta.assistants.create(model=model)
    thread = new_thread(client, "hi")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "failed" and run.failed_at is not None
    assert run.last_error.code == code
    assert f"scripted {code}" in run.last_error.message


def test_unknown_model_fails_clearly(client):
    assistant = client.beta.assistants.create(model="scripted/no_such_script")
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "hi"}]})
    assert run.status == "failed" and run.last_error.code == "server_error"
    assert "no script named 'no_such_script'" in run.last_error.message


def test_cancel_in_progress_run(client, script):
    model = script({"text": " ".join(["slow"] * 200), "delay_ms": 20})
    assistant = client.beta.assistants.create(model=model)
    thread = new_thread(client, "go")
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    wait_for(lambda: client.beta.threads.messages.list(thread_id=thread.id).data[0].role == "assistant")
    cancelled = client.beta.threads.runs.cancel(thread_id=thread.id, run_id=run.id)
    assert cancelled.status == "cancelling"
    run = wait_for(lambda: (r := client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id))
                   .status == "cancelled" and r)
    assert run.cancelled_at is not None
    message = client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert message.status == "incomplete" and message.incomplete_details.reason == "run_cancelled"
    step = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data[0]
    assert step.status == "cancelled" and step.cancelled_at is not None
    with pytest.raises(openai.BadRequestError) as err:
        client.beta.threads.runs.cancel(thread_id=thread.id, run_id=run.id)
    assert err.value.body["message"] == "Cannot cancel run with status 'cancelled'."


def test_cancel_run_waiting_for_tool_outputs(client, script):
    model = script({"tool_calls": [{"name": "f"}]})
    assistant = client.beta.assistants.create(model=model, tools=[{"type": "function", "function": {"name": "f"}}])
    thread = new_thread(client, "go")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "requires_action"
    assert client.beta.threads.runs.cancel(thread_id=thread.id, run_id=run.id).status == "cancelling"
    run = client.beta.threads.runs.poll(thread_id=thread.id, run_id=run.id)
    assert run.status == "cancelled" and run.required_action is None


def test_requires_action_expires(make_server, script):
    srv = make_server(env={"EMULATOR_REQUIRES_ACTION_TIMEOUT_S": "1", "EMULATOR_EXPIRY_SWEEP_INTERVAL_S": "0.1"})
    client = srv.client()
    model = script({"tool_calls": [{"name": "f"}]})
    assistant = client.beta.assistants.create(model=model, tools=[{"type": "function", "function": {"name": "f"}}])
    thread = new_thread(client, "go")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "requires_action" and run.expires_at <= time.time() + 2  # 1 s after it began waiting
    call_id = run.required_action.submit_tool_outputs.tool_calls[0].id
    run = wait_for(lambda: (r := client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id))
                   .status == "expired" and r, timeout=5)
    assert run.required_action is None and run.expires_at is None
    step = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data[0]
    assert step.status == "expired" and step.expired_at is not None
    with pytest.raises(openai.BadRequestError) as err:
        client.beta.threads.runs.submit_tool_outputs(thread_id=thread.id, run_id=run.id,
                                                     tool_outputs=[{"tool_call_id": call_id, "output": "x"}])
    assert err.value.body["message"] == 'Runs in status "expired" do not accept tool outputs.'
    # The thread is free again.
    assert client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id).status == \
        "requires_action"


def test_run_and_message_listing_filters(client):
    assistant = client.beta.assistants.create(model="scripted/echo")
    thread = new_thread(client, "one")
    run1 = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="two")
    run2 = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    runs = client.beta.threads.runs.list(thread_id=thread.id).data
    assert [r.id for r in runs] == [run2.id, run1.id]
    only2 = client.beta.threads.messages.list(thread_id=thread.id, run_id=run2.id).data
    assert [m.content[0].text.value for m in only2] == ["You said: two"]
    updated = client.beta.threads.runs.update(thread_id=thread.id, run_id=run1.id, metadata={"k": "v"})
    assert updated.metadata == {"k": "v"} and updated.status == "completed"


def test_deleting_a_thread_stops_its_run(client, script):
    model = script({"text": " ".join(["slow"] * 200), "delay_ms": 20})
    assistant = client.beta.assistants.create(model=model)
    thread = new_thread(client, "go")
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    wait_for(lambda: client.beta.threads.messages.list(thread_id=thread.id).data[0].role == "assistant")
    assert client.beta.threads.delete(thread.id).deleted is True
    time.sleep(0.3)
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.list(thread_id=thread.id)



def test_json_schema_response_format_keeps_its_schema_key(client, script):
    """The SDK's model names the field `schema_` (alias `schema`): the wire and the store say `schema`."""
    fmt = {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True}}
    raw = client.beta.assistants.with_raw_response.create(model=script({"text": "{}"}), response_format=fmt)
    body = raw.http_response.json()
    assert body["response_format"]["json_schema"]["schema"] == {"type": "object"}
    assert "schema_" not in raw.http_response.text
    again = client.beta.assistants.with_raw_response.retrieve(body["id"]).http_response.json()
    assert again["response_format"] == body["response_format"]
