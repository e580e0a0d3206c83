"""The scripted provider sits in litellm's process-global provider map, registered once per process; still,
every server in the process plays the scripts of its own scripts dir (in-process apps, the real SDK)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from openai import AsyncOpenAI

from emulator.app import create_app
from emulator.assembly import start_runtime, stop_runtime
from emulator.llm.litellm_import import litellm
from emulator.settings import Settings
from emulator.tools import ToolRegistry

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # litellm imported in-process


async def answer(client: AsyncOpenAI) -> str:
    assistant = await client.beta.assistants.create(model="scripted/greeter")
    run = await client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "Hello"}]})
    assert run.status == "completed", run.last_error
    messages = await client.beta.threads.messages.list(thread_id=run.thread_id, order="desc", limit=1)
    return messages.data[0].content[0].text.value


def test_servers_in_one_process_play_their_own_scripts(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "greeter.yaml").write_text(f"turns:\n  - text: Greetings from {name}.\n")

    async def scenario():
        apps, clients = [], []
        for name in ("a", "b"):
            settings = Settings(data_dir=tmp_path / f"{name}-data", scripts_dir=tmp_path / name, deterministic=True)
            app = create_app(settings)
            await start_runtime(app, settings, ToolRegistry([]))
            apps.append(app)
            clients.append(AsyncOpenAI(base_url="http://emulator/v1", api_key="k", max_retries=0,
                                       http_client=httpx.AsyncClient(transport=httpx.ASGITransport(app=app))))
        try:
            first_a = await answer(clients[0])
            first_b = await answer(clients[1])  # b's server set up its model client after a's
            again_a = await answer(clients[0])
        finally:
            for client, app in zip(clients, apps):
                await client.close()
                await stop_runtime(app)
        return first_a, first_b, again_a

    assert asyncio.run(scenario()) == ("Greetings from a.", "Greetings from b.", "Greetings from a.")
    scripted = [e for e in litellm().custom_provider_map if e.get("provider") == "scripted"]
    assert len(scripted) == 1
