"""Record and replay a streamed response that searches files and runs code: the recording and two replays
are byte-identical on the wire (every status, header and body byte, the event stream included)."""

from __future__ import annotations

import json

import pytest

from emulator.testing import EmulatorServer
from tests.helpers import documents
from tests.helpers.documents import named
from tests.helpers.upstream import Upstream
from tests.helpers.wire_log import WireLog

pytestmark = pytest.mark.usefixtures("sandbox_image", "embedding_model")

CODE = ("import numpy as np\nprint(np.arange(5).sum())\n"
        "import matplotlib.pyplot as plt\nplt.plot([3, 1, 2]); plt.show()\n"
        "open('/mnt/data/result.txt', 'w').write('ten')")
REPLIES = [
    {"tool_calls": [{"name": "file_search", "arguments": {"queries": ["spline BLEU"]}}]},
    {"tool_calls": [{"name": "code_interpreter", "arguments": {"code": CODE}}]},
    {"text": "It reaches 41.7 BLEU【0:0†spline.txt】; the sum is in sandbox:/mnt/data/result.txt"},
]


def papers(client) -> str:
    """A vector store with one file, indexed (set up off the wire log: how often it polls depends on timing)."""
    store = client.vector_stores.create(name="papers")
    text = documents.filler(30, 3) + " The Spline Transformer reaches 41.7 BLEU. " + documents.filler(30, 4)
    client.vector_stores.file_batches.upload_and_poll(vector_store_id=store.id,
                                                      files=[named("spline.txt", text.encode())])
    return store.id


def session(client, store_id: str) -> list[str]:
    tools = [{"type": "file_search", "vector_store_ids": [store_id]},
             {"type": "code_interpreter", "container": {"type": "auto"}}]
    events = list(client.responses.create(model="gpt-4o", input="BLEU, then a sum.", tools=tools, stream=True,
                                          include=["file_search_call.results", "code_interpreter_call.outputs"]))
    final = events[-1].response
    client.responses.retrieve(final.id)
    return [e.type for e in events]


def play(server):
    store_id = papers(server.client(api_key="k"))
    wire = WireLog()
    types = session(server.client(api_key="k", http_client=wire.client()), store_id)
    return types, wire.exchanges


def test_streamed_response_with_file_search_and_code_replays_byte_identical(tmp_path):
    upstream = Upstream().start()
    model_map = {"gpt-4o": {"model": "openai/stand-in", "api_base": upstream.base_url}}
    env = {"EMULATOR_MODEL_MAP": json.dumps(model_map), "EMULATOR_SANDBOX_POOL_SIZE": "0"}
    cassette = tmp_path / "responses.yaml"
    try:
        upstream.replies = [dict(r) for r in REPLIES]
        recorder = EmulatorServer(tmp_path / "rec", tmp_path, {"EMULATOR_DETERMINISTIC": "1", **env},
                                  ["--record", str(cassette)]).start()
        try:
            types, recorded = play(recorder)
        finally:
            recorder.stop()
        assert types[-1] == "response.completed"
        assert "response.file_search_call.completed" in types and "response.code_interpreter_call.completed" in types
        assert len(upstream.requests) == 3

        replayer = EmulatorServer(tmp_path / "rep", tmp_path, {"EMULATOR_TEST_CONTROLS": "1", **env}).start()
        try:
            replays = []
            for _ in range(2):
                replayer.reset(replay=cassette, deterministic=True)
                replays.append(play(replayer))
        finally:
            replayer.stop()
    finally:
        upstream.stop()
    assert len(upstream.requests) == 3  # replays never asked the model
    (_, first), (_, second) = replays
    assert first == second
    assert first == recorded
