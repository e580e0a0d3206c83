"""The inspector's JSON endpoints over HTTP (no browser): the API key, error shapes, what a run's trace keeps."""

from __future__ import annotations

import httpx

from emulator.traces import RunTraces, redacted


def test_endpoints_answer_json_and_errors_in_openai_shape(server, client, script):
    model = script({"text": "hello there"})
    assistant = client.beta.assistants.create(model=model)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    api = f"http://127.0.0.1:{server.port}/_emulator/inspector/api"

    view = httpx.get(f"{api}/threads/{thread.id}/runs/{run.id}").json()
    events = [e["event"] for e in view["trace"]["events"]]
    statuses = [e for e in events if e.startswith("thread.run.") and e.count(".") == 2]
    assert statuses == ["thread.run.created", "thread.run.queued", "thread.run.in_progress", "thread.run.completed"]
    (call,) = view["trace"]["model_calls"]
    assert call["request"]["model"] == model and call["request"]["messages"][-1] == {"role": "user", "content": "hi"}
    assert call["request"]["stream"] is True and call["response"]["text"] == "hello there"
    assert call["response"]["usage"]["completion_tokens"] > 0 and call["duration_ms"] >= 0

    threads = httpx.get(f"{api}/list/threads?limit=1").json()
    assert threads["data"][0]["id"] == thread.id and threads["has_more"] in (True, False)
    for path, status in (("/threads/thread_nope", 404), ("/list/nothing", 404), ("/list/threads?limit=0", 400),
                         (f"/threads/{thread.id}/runs/run_nope", 404), ("/vector_stores/vs_nope", 404)):
        response = httpx.get(api + path)
        assert response.status_code == status and set(response.json()["error"]) >= {"message", "type"}, path
    ended = httpx.get(f"{api}/threads/{thread.id}/runs/{run.id}/events")  # a run that ended: its status, then the end
    assert ended.status_code == 200 and ended.text == "event: inspector.status\ndata: completed\n\n"
    assert httpx.get(f"{api}/replay").json()["mode"] is None


def test_api_key_guards_the_endpoints_not_the_page(make_server):
    srv = make_server(env={"EMULATOR_API_KEY": "sk-guard"})
    base = f"http://127.0.0.1:{srv.port}"
    for path in ("/inspector", "/inspector/static/app.js", "/inspector/static/core.js"):
        assert httpx.get(base + path).status_code == 200, path
    assert httpx.get(f"{base}/inspector/static/secret.py", headers={"Authorization": "Bearer sk-guard"}).status_code == 404
    for path in ("/overview", "/list/threads", "/replay"):
        assert httpx.get(f"{base}/_emulator/inspector/api{path}").status_code == 401
        assert httpx.get(f"{base}/_emulator/inspector/api{path}", headers={"Authorization": "Bearer sk-guard"}).status_code == 200


def test_traces_are_bounded_and_keep_no_secrets():
    traces = RunTraces(max_runs=2, max_calls=1)
    for run in ("run_a", "run_b", "run_c"):
        traces.model_call({"request": {"model": "m", "api_key": "sk-secret", "extra_headers": {"Authorization": "x"}}},
                          key=run)
    traces.model_call({"request": {}}, key="run_c")
    assert traces.of("run_a") is None  # the oldest run went
    kept = traces.of("run_c")
    assert kept["dropped_model_calls"] == 1
    assert kept["model_calls"][0]["request"] == {"model": "m", "api_key": "[redacted]",
                                                 "extra_headers": {"Authorization": "[redacted]"}}
    assert redacted({"messages": [{"content": object.__name__}]}) == {"messages": [{"content": "object"}]}
    traces.model_call({"request": {}})  # outside a run: nowhere to keep it
