"""The inspector in headless Chromium: a replay miss and its diff, the API key, a 1,000-message thread."""

from __future__ import annotations

import shutil
import time

import httpx

from tests.helpers.paths import FIXTURES

WEATHER_TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def test_a_replay_miss_shows_its_diff(make_server, tmp_path, inspector):
    cassette = tmp_path / "weather.yaml"
    shutil.copy(FIXTURES / "cassettes" / "weather.yaml", cassette)
    srv = make_server(args=["--replay", str(cassette)])
    client = srv.client()
    assistant = client.beta.assistants.create(model="gpt-4o", name="Weather", tools=WEATHER_TOOLS, temperature=0.2,
                                              instructions="Answer briefly. Use the tools.")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "What's the weather in Paris?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "failed" and "no recording" in run.last_error.message

    page = inspector(srv).open("replay")
    miss = page.find("#misses .replay-miss")
    assert "nearest recording #1" in miss.text
    removed = [e.text for e in miss.find_elements("css selector", ".diff .del")]
    added = [e.text for e in miss.find_elements("css selector", ".diff .add")]
    assert any("Oslo" in line for line in removed) and any("Paris" in line for line in added)
    page.text_of("#interactions", "What's the weather in Oslo?")
    page.full_screenshot("replay-miss")

    page.open(f"threads/{thread.id}/runs/{run.id}")
    page.text_of("#last-error", "no recording of this model request")
    page.find(".replay-miss .diff .add")
    page.text_of("#model-calls .model-call", "no recording of this model request")  # the call that missed


def test_with_an_api_key_the_page_refuses_without_it(make_server, inspector):
    srv = make_server(env={"EMULATOR_API_KEY": "sk-inspector-key"})
    base = f"http://127.0.0.1:{srv.port}"
    assert httpx.get(f"{base}/inspector").status_code == 200  # the page itself holds no data
    assert httpx.get(f"{base}/", follow_redirects=False).headers["location"] == "/inspector"
    refused = httpx.get(f"{base}/_emulator/inspector/api/list/threads")
    assert refused.status_code == 401 and refused.json()["error"]["message"].startswith("You didn't provide an API key")
    srv.client(api_key="sk-inspector-key").beta.threads.create(metadata={"who": "keyed"})

    page = inspector(srv).open("list/threads")
    page.text_of("#login #refusal", "You didn't provide an API key")
    assert not page.all("#list")
    page.screenshot("api-key-refused")
    page.find("#login-key").send_keys("sk-wrong-key")
    page.find("#login-button").click()
    page.text_of("#login #refusal", "Incorrect API key")
    page.find("#login-key").send_keys("sk-inspector-key")
    page.find("#login-button").click()
    page.text_of("#list", "keyed")
    assert page.driver.execute_script("return sessionStorage.getItem('emulatorInspectorKey')") == "sk-inspector-key"


def test_a_thread_of_a_thousand_messages_opens_in_under_a_second(server, client, inspector):
    thread = client.beta.threads.create()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer test-key"}) as http:
        for i in range(1000):
            http.post(f"/threads/{thread.id}/messages", json={"role": "user", "content": f"message {i} **bold**"},
                      headers={"OpenAI-Beta": "assistants=v2"}).raise_for_status()

    page = inspector(server)
    started = time.perf_counter()
    page.driver.get(f"{page.base}/inspector#/threads/{thread.id}")  # a cold load: the page and the thread
    page.wait_loaded()
    wall_s = time.perf_counter() - started
    page.text_of("#messages .message:last-child", "message 999")
    in_page_ms = float(page.find("#main").get_attribute("data-loaded-at"))
    assert len(page.all("#messages .message")) == 50
    page.open("list/threads")
    page.driver.execute_script("window.__t0 = performance.now(); location.hash = arguments[0]", f"#/threads/{thread.id}")
    loaded_at = "return Number(document.getElementById('main').dataset.loadedAt) - window.__t0"
    warm_ms = page.wait(lambda d: (ms := d.execute_script(loaded_at)) > 0 and ms)
    print(f"\n1,000-message thread: cold load {in_page_ms:.0f} ms in the page ({wall_s * 1000:.0f} ms driver wall), "
          f"opened from another page {warm_ms:.0f} ms")
    page.screenshot("thousand-messages")
    assert in_page_ms < 1000 and warm_ms < 1000
    older = page.find("#load-older")
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", older)
    older.click()
    page.wait(lambda d: len(d.find_elements("css selector", "#messages .message")) == 150)
    page.text_of("#messages .message:first-child", "message 850")
