"""code_interpreter in a container's sandbox: the tool run directly with `ToolScope(container_id=...)`.

No API face runs code in a container over HTTP yet (the Responses API will), so the app runs in-process
(ASGI) and the test calls the server's own code_interpreter tool, with a real Docker sandbox; the container
and its files are made and read through the SDK.
"""

from __future__ import annotations

import asyncio
import json
import subprocess

import httpx2
import pytest
from openai import AsyncOpenAI

from emulator.app import create_app
from emulator.app_state import AppState
from emulator.assembly import start_runtime, stop_runtime
from emulator.settings import Settings
from emulator.tools import AnnotatedText, ToolScope
from emulator.tools.code_interpreter.prune import DATA_DIR_LABEL

pytestmark = [pytest.mark.usefixtures("sandbox_image"), pytest.mark.filterwarnings("ignore::UserWarning")]

WRITE = """\
import pandas as pd, matplotlib.pyplot as plt
df = pd.read_csv('/mnt/data/scores.csv')
df['double'] = df['score'] * 2
df.to_csv('/mnt/data/doubled.csv', index=False)
df.plot(x='name', y='score'); plt.show()
total = int(df['score'].sum())
print(total)
"""


def code(source: str) -> str:
    return json.dumps({"code": source})


def sandboxes(settings: Settings) -> int:
    """How many sandbox containers the server of `settings` has running."""
    found = subprocess.run(["docker", "ps", "-q", "--filter", f"label={DATA_DIR_LABEL}={settings.data_dir.resolve()}"],
                           capture_output=True, text=True, check=True)
    return len(found.stdout.split())


def test_code_runs_in_the_containers_sandbox(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", scripts_dir=tmp_path, sandbox_pool_size=0,
                        deterministic=True, container_expiry_sweep_interval_s=0.05)

    async def scenario():
        app = create_app(settings)
        await start_runtime(app, settings, None)
        client = AsyncOpenAI(base_url="http://emulator/v1", api_key="k", max_retries=0,
                             http_client=httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)))
        server = AppState.of(app).started()
        tool = server.registry.for_type("code_interpreter")
        assert tool is not None
        try:
            upload = await client.files.create(file=("scores.csv", b"name,score\na,1\nb,2\n"), purpose="user_data")
            container = await client.containers.create(name="work", file_ids=[upload.id])
            scope = ToolScope(loop_id="resp_1", session_id=container.id, tool_types=("code_interpreter",),
                              container_id=container.id)
            assert tool.system_context(scope) == ("These files are in /mnt/data of the code_interpreter tool's "
                                                  "container:\n- /mnt/data/scores.csv")

            call = await tool.execute(scope, "ci_1", code(WRITE))
            outputs = call.code_interpreter.outputs
            assert [o.type for o in outputs] == ["logs", "image"] and outputs[0].logs == "3\n"
            files = {f.path: f for f in (await client.containers.files.list(container.id, order="asc")).data}
            assert set(files) == {"/mnt/data/scores.csv", "/mnt/data/doubled.csv", "/mnt/data/ci_1-0.png"}
            written, image = files["/mnt/data/doubled.csv"], files["/mnt/data/ci_1-0.png"]
            assert (written.source, image.source, files["/mnt/data/scores.csv"].source) == ("assistant",) * 2 + ("user",)
            assert outputs[1].image.file_id == image.id
            content = await client.containers.files.content.retrieve(written.id, container_id=container.id)
            assert content.read() == b"name,score,double\na,1,2\nb,2,4\n"
            png = await client.containers.files.content.retrieve(image.id, container_id=container.id)
            assert png.read().startswith(b"\x89PNG")
            assert [f.id for f in (await client.files.list()).data] == [upload.id]  # no assistants_output Files

            # A file uploaded to the container later reaches the live sandbox; what was there stays.
            await client.containers.files.create(container.id, file=("late.txt", b"late"))
            again = await tool.execute(scope, "ci_2", code(
                "import os\nprint(open('/mnt/data/late.txt').read(), total, sorted(os.listdir('/mnt/data')))"))
            assert again.code_interpreter.outputs[0].logs == (
                "late 3 ['ci_1-0.png', 'doubled.csv', 'late.txt', 'scores.csv']\n")
            # Overwriting a file keeps its container file, with the new bytes.
            await tool.execute(scope, "ci_3", code("open('/mnt/data/doubled.csv', 'w').write('new')"))
            after = (await client.containers.files.list(container.id)).data
            assert len(after) == 4 and written.id in {f.id for f in after}
            content = await client.containers.files.content.retrieve(written.id, container_id=container.id)
            assert content.read() == b"new"

            # The answer's sandbox links name container files.
            final = tool.annotate(scope, AnnotatedText("See sandbox:/mnt/data/doubled.csv"))
            assert [a["file_path"]["file_id"] for a in final.annotations] == [written.id]

            # Each call marks the container active; once it has expired, the sweep stops its sandbox.
            assert sandboxes(settings) == 1
            server.runtime.clock.advance(20 * 60)
            for _ in range(200):
                if not sandboxes(settings):
                    break
                await asyncio.sleep(0.05)
            assert sandboxes(settings) == 0
            assert (await client.containers.retrieve(container.id)).status == "expired"
            expired = await tool.execute(scope, "ci_4", code("print(1)"))
            assert expired.code_interpreter.outputs[0].logs == (
                f"code_interpreter is unavailable: container {container.id} is expired")

            # Deleting a container stops its sandbox at once.
            other = await client.containers.create(name="other")
            other_scope = ToolScope(loop_id="resp_2", session_id=other.id, container_id=other.id)
            assert (await tool.execute(other_scope, "ci_5", code("print(2)"))).code_interpreter.outputs[0].logs == "2\n"
            assert sandboxes(settings) == 1
            await client.containers.delete(other.id)
            assert sandboxes(settings) == 0
        finally:
            await client.close()
            await stop_runtime(app)

    asyncio.run(scenario())
