"""Real models through litellm: the model map sends OpenAI model names to an OpenAI-compatible server."""

from __future__ import annotations

import json


def test_model_map_routes_to_openai_compatible_server(make_server, upstream):
    # The stand-in listens on loopback, which makes an entry local (small-model aids on); this test checks
    # the request exactly as a hosted OpenAI-compatible server gets it, so the entry says it is not local.
    model_map = {"gpt-4o": {"model": "openai/local-llm", "api_base": upstream.base_url,
                            "api_key_env": "LOCAL_LLM_KEY", "local": False}}
    srv = make_server(env={"EMULATOR_MODEL_MAP": json.dumps(model_map), "LOCAL_LLM_KEY": "sk-upstream-secret"})
    client = srv.client()
    upstream.replies = [
        {"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]},
        {"text": "The sum is 5."},
    ]
    tools = [{"type": "function", "function": {"name": "add", "parameters": {
        "type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}}}]
    assistant = client.beta.assistants.create(model="gpt-4o", instructions="Use tools.", tools=tools)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "2 + 3?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, temperature=0.3)
    assert run.status == "requires_action", run.last_error
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == ("call_up0", "add", {"a": 2, "b": 3})
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "5"}])
    assert run.status == "completed"
    assert run.model == "gpt-4o"  # the API keeps the requested name
    assert run.usage.prompt_tokens == 22 and run.usage.completion_tokens == 14
    answer = client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value
    assert answer.strip() == "The sum is 5."

    first, second = upstream.requests
    assert first["model"] == "local-llm" and first["stream"] is True and first["temperature"] == 0.3
    assert first["messages"] == [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "2 + 3?"}]
    assert first["tools"][0]["function"]["name"] == "add"
    assert second["messages"][-2]["tool_calls"][0]["id"] == "call_up0"
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_up0", "content": "5"}
    assert upstream.headers[0]["authorization"] == "Bearer sk-upstream-secret"


def test_unreachable_model_fails_the_run_quickly(make_server):
    model_map = {"*": {"model": "openai/nothing", "api_base": "http://127.0.0.1:9/v1", "params": {"num_retries": 0,
                                                                                                "max_retries": 0}}}
    srv = make_server(env={"EMULATOR_MODEL_MAP": json.dumps(model_map), "EMULATOR_MODEL_TIMEOUT_S": "5"})
    client = srv.client()
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "hi"}]})
    assert run.status == "failed" and run.last_error.code == "server_error"
    assert run.last_error.message


def test_json_tool_calling_for_models_without_native_tools(make_server, upstream):
    model_map = {"*": {"model": "openai/tiny", "api_base": upstream.base_url, "tool_calling": "json"}}
    srv = make_server(env={"EMULATOR_MODEL_MAP": json.dumps(model_map)})
    client = srv.client()
    upstream.replies = [
        {"text": '```json\n{"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]}\n```'},
        {"text": '{"answer": "It is 5."}'},
        {"text": "I think the answer is five"},
    ]
    tools = [{"type": "function", "function": {"name": "add", "description": "Add two numbers.",
                                               "parameters": {"type": "object"}}}]
    assistant = client.beta.assistants.create(model="gpt-4o", tools=tools)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "2 + 3?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "requires_action", run.last_error
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("add", {"a": 2, "b": 3})
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "5"}])
    assert run.status == "completed"
    assert client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value == "It is 5."

    first, second = upstream.requests[:2]
    assert "tools" not in first and first["response_format"]["type"] == "json_object"
    assert "add: Add two numbers." in first["messages"][0]["content"]
    assert second["messages"][-1] == {"role": "user", "content": f"Tool result (call {call.id}): 5"}

    # Output in neither shape fails the run, quoting it.
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "again?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "failed" and run.last_error.code == "server_error"
    assert "neither a tool call nor an answer" in run.last_error.message
    assert "I think the answer is five" in run.last_error.message


def test_forced_tool_choice_applies_to_the_first_model_call_only(make_server, upstream):
    model_map = {"*": {"model": "openai/m", "api_base": upstream.base_url}}
    client = make_server(env={"EMULATOR_MODEL_MAP": json.dumps(model_map)}).client()
    upstream.replies = [{"tool_calls": [{"name": "lookup", "arguments": {}}]}, {"text": "found it"}]
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    assistant = client.beta.assistants.create(model="gpt-4o", tools=tools)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "look it up"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id,
                                                   tool_choice={"type": "function", "function": {"name": "lookup"}})
    call_id = run.required_action.submit_tool_outputs.tool_calls[0].id
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call_id, "output": "42"}])
    assert run.status == "completed"
    assert run.tool_choice.function.name == "lookup"  # the run keeps what was asked for
    first, second = upstream.requests
    assert first["tool_choice"] == {"type": "function", "function": {"name": "lookup"}}
    assert second["tool_choice"] == "auto"  # or the model could only ever call the tool again
