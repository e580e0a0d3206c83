"""The inspector's Responses API side: a code_interpreter response as a timeline (code, logs, the chart, a
container file citation that downloads), its container, a conversation as a chat, a response followed
live, and the JSON behind them."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.helpers.code_interpreter import WEATHER_CODE as CODE
from tests.helpers.code_interpreter import WEATHER_CSV as CSV

ANSWER = "The mean is **12**. Sorted: [sorted.csv](sandbox:/mnt/data/sorted.csv)"


@pytest.mark.usefixtures("sandbox_image")
def test_code_interpreter_response_shows_code_logs_image_and_a_citation_that_downloads(client, script, server, inspector):
    upload = client.files.create(file=("weather.csv", CSV), purpose="user_data")
    model = script({"tool_calls": [{"name": "code_interpreter", "arguments": {"code": CODE}}]},
                   {"when": {"role": "tool"}, "text": ANSWER})
    tools = [{"type": "code_interpreter", "container": {"type": "auto", "file_ids": [upload.id]}}]
    response = client.responses.create(model=model, input="Average temperature, chart, sorted file.", tools=tools)
    assert response.status == "completed", response.error
    container_id = response.output[0].container_id

    page = inspector(server).open("list/responses")
    page.find(f"#list a[href='#/responses/{response.id}']").click()
    page.wait_loaded()
    page.text_of("#response-status", "completed")
    page.text_of("#input-items .message.role-user", "Average temperature")
    page.text_of(".item-code_interpreter_call pre.code", "df['temp'].mean()")
    page.text_of(".item-code_interpreter_call pre.logs", "12.0")
    page.image_loaded(".item-code_interpreter_call img.ci-image")  # its url is a /v1 path, fetched with the key
    page.text_of("#output-items .message.role-assistant", "The mean is 12")
    citation = page.text_of("#output-items .message a.container-citation", "sorted.csv")
    assert citation.get_attribute("href").endswith(f"/v1/containers/{container_id}/files/"
                                                   f"{response.output[1].content[0].annotations[0].file_id}/content")
    page.text_of("#timeline", "code_interpreter_call.completed")
    page.text_of("#timeline", "completed")
    assert len(page.all("#model-calls .model-call")) == 2
    page.text_of("#response-facts", f"{response.usage.total_tokens} tokens")
    page.full_screenshot("response-code-interpreter")
    citation.click()
    page.text_of("#toast", f"Downloaded sorted.csv ({len(CSV)} bytes)")

    page.find(f".item-code_interpreter_call a.container-link[href='#/containers/{container_id}']").click()
    page.wait_loaded()
    page.text_of("#container-status", "running")
    page.text_of("#container-files .container-file-row", "/mnt/data/weather.csv")
    row = page.text_of("#container-files .container-file-row", "/mnt/data/sorted.csv")
    assert "assistant" in row.text
    page.text_of("#container-facts", "20 minutes after last_active_at")
    assert "null" not in page.find("#main").text.split()
    page.screenshot("container")
    row.find_element("css selector", "a.container-file").click()
    page.text_of("#toast", f"Downloaded sorted.csv ({len(CSV)} bytes)")

    page.open("list/containers")
    page.find(f"#list a[href='#/containers/{container_id}']")


def test_conversation_page_shows_its_items_as_a_chat(client, script, server, inspector):
    conversation = client.conversations.create(metadata={"topic": "weather"})
    for question, answer in (("Is it cold in Oslo?", "Yes, -3 degrees."), ("And in Rome?", "Mild, 21 degrees.")):
        model = script({"when": {"contains": question}, "text": answer})  # by `when`: the history holds earlier turns
        reply = client.responses.create(model=model, input=question, conversation=conversation.id)
        assert reply.status == "completed", reply.error

    page = inspector(server).open("list/conversations")
    page.find(f"#list a[href='#/conversations/{conversation.id}']").click()
    page.wait_loaded()
    page.text_of("#conversation-facts", "weather")
    texts = [e.text for e in page.all("#conversation-items .message")]
    assert len(texts) == 4
    for text, expected in zip(texts, ("Is it cold in Oslo?", "Yes, -3 degrees.", "And in Rome?", "Mild, 21 degrees.")):
        assert expected in text
    assert len(page.all("#conversation-items .message.role-user")) == 2
    page.screenshot("conversation")


def test_a_streamed_response_updates_live(client, script, server, inspector):
    words = " ".join(f"word{i}" for i in range(30))
    model = script({"text": words, "delay_ms": 150})
    started: list[str] = []

    def stream() -> None:
        with client.responses.stream(model=model, input="talk slowly") as events:
            for event in events:
                if event.type == "response.created":
                    started.append(event.response.id)

    streaming = threading.Thread(target=stream)
    streaming.start()
    try:
        page = inspector(server)
        page.wait(lambda _d: started, timeout=10)
        page.open(f"responses/{started[0]}")
        page.driver.execute_script("""
            window.__sameDocument = true;
            window.__seen = [];
            const text = document.getElementById("live-text");
            new MutationObserver(() => window.__seen.push(text.textContent.length))
              .observe(text, {childList: true, characterData: true, subtree: true});""")
        page.text_of("#response-status", "in_progress")
        page.wait(lambda d: len(d.execute_script("return window.__seen")) >= 3)
        assert "word29" not in page.find("#live-text").text
        page.screenshot("live-response-in-progress")
        page.text_of("#response-status", "completed", timeout=30)
        page.text_of("#output-items .message", "word29")
        seen = page.driver.execute_script("return window.__seen")
        assert len(seen) >= 5 and seen == sorted(seen)
        assert page.driver.execute_script("return window.__sameDocument") is True
    finally:
        streaming.join(timeout=30)


def test_response_json_keys_the_trace_by_the_response(server, client, script):
    api = f"http://127.0.0.1:{server.port}/_emulator/inspector/api"
    first = client.responses.create(model=script({"text": "one"}), input="first")
    second = client.responses.create(model=script({"when": {"contains": "second"}, "text": "two"}), input="second",
                                     previous_response_id=first.id)
    assert second.status == "completed", second.error

    view = httpx.get(f"{api}/responses/{second.id}").json()
    assert view["response"]["id"] == second.id and view["response"]["previous_response_id"] == first.id
    assert [i["content"][0]["text"] for i in view["input"]] == ["second"]  # its own input, not the chain's
    (call,) = view["trace"]["model_calls"]
    assert call["request"]["messages"][-1]["content"] == "second" and call["response"]["text"] == "two"
    statuses = [e.get("status") for e in view["trace"]["events"] if e["event"] in ("response.created", "response.completed")]
    assert statuses == ["in_progress", "completed"]

    listed = httpx.get(f"{api}/list/responses?limit=1").json()
    assert listed["data"][0]["id"] == second.id and listed["has_more"] is True  # newest first
    older = httpx.get(f"{api}/list/responses?limit=1&after={second.id}").json()
    assert older["data"][0]["id"] == first.id
    for kind in ("conversations", "containers"):
        assert httpx.get(f"{api}/list/{kind}").status_code == 200
    ended = httpx.get(f"{api}/responses/{second.id}/events")
    assert ended.text == "event: inspector.status\ndata: completed\n\n"
    for path in ("/responses/resp_nope", "/responses/resp_nope/events", "/conversations/conv_nope",
                 "/containers/cntr_nope"):
        response = httpx.get(api + path)
        assert response.status_code == 404 and set(response.json()["error"]) >= {"message", "type"}, path
