"""Other clients of the Assistants API, unchanged, against the emulator."""

from __future__ import annotations

import pytest
from openai import AzureOpenAI

from tests.helpers.code_interpreter import ANALYSIS, ANSWER, BANKS_CSV, code_call


@pytest.fixture
def azure(make_server):
    srv = make_server(args=["--api-key", "azure-secret"])
    host = srv.base_url.removesuffix("/v1")
    return AzureOpenAI(azure_endpoint=host, api_key="azure-secret", api_version="2024-05-01-preview", max_retries=0)


def test_azure_openai_math_tutor(azure):
    assistant = azure.beta.assistants.create(
        name="Math Tutor", instructions="You are a personal math tutor.", model="scripted/math_tutor")
    thread = azure.beta.threads.create()
    azure.beta.threads.messages.create(
        thread_id=thread.id, role="user", content="I need to solve the equation `3x + 11 = 14`. Can you help me?")
    run = azure.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    messages = azure.beta.threads.messages.list(thread_id=thread.id)
    assert [m.role for m in messages.data] == ["assistant", "user"]
    assert messages.data[0].content[0].text.value.startswith("Sure! Subtract 11")


@pytest.mark.usefixtures("sandbox_image")
def test_azure_openai_code_interpreter(azure, script):
    banks = azure.files.create(file=("banks.csv", BANKS_CSV.encode()), purpose="assistants")
    assistant = azure.beta.assistants.create(
        model=script(code_call(ANALYSIS), {"text": ANSWER}), tools=[{"type": "code_interpreter"}],
        tool_resources={"code_interpreter": {"file_ids": [banks.id]}})
    run = azure.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "Failures by state?"}]})
    assert run.status == "completed"
    message = azure.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    assert [c.type for c in message.content] == ["image_file", "text"]
    link = message.content[1].text.annotations[0]
    assert azure.files.content(link.file_path.file_id).read().decode().splitlines()[1] == "IL,3"


def test_sdk_raw_response_and_async_helpers(server, client):
    raw = client.beta.assistants.with_raw_response.create(model="scripted/echo", name="raw")
    assert raw.status_code == 200 and raw.headers["content-type"] == "application/json"
    assistant = raw.parse()
    assert assistant.name == "raw"
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "ping"}])
    created = client.beta.threads.runs.with_raw_response.create(thread_id=thread.id, assistant_id=assistant.id)
    assert int(created.headers["openai-poll-after-ms"]) > 0

    import asyncio

    from openai import AsyncOpenAI

    async def main():
        async with AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0) as aclient:
            run = await aclient.beta.threads.create_and_run_poll(
                assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "async hello"}]})
            texts = [m.content[0].text.value async for m in aclient.beta.threads.messages.list(
                thread_id=run.thread_id, order="asc", limit=1)]
            return run.status, texts

    status, texts = asyncio.run(main())
    assert status == "completed" and texts == ["async hello", "You said: async hello"]
