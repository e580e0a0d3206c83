"""The other places vectors can come from and go to: a Chroma server, a litellm embedding model, PyTorch."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulator.settings import Settings
from emulator.testing import free_port
from emulator.tools.file_search.embedding import load_embedder
from tests.helpers import documents
from tests.helpers.documents import named


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/api/v2/heartbeat", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            assert process.poll() is None and time.monotonic() < deadline, "chroma server did not start"
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=30)


def test_chroma_server_url_switches_to_it(make_server, chroma_server):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    srv = make_server(env={"EMULATOR_CHROMA_URL": chroma_server})
    client = srv.client()
    store = client.vector_stores.create(name="on a server")
    file = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("comet.txt", b"Halley's comet returns every 76 years."))
    assert file.status == "completed", file.last_error
    assert client.vector_stores.search(vector_store_id=store.id, query="comet period").data[0].file_id == file.id
    port = int(chroma_server.rsplit(":", 1)[1])
    chroma = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
    assert chroma.get_collection(f"emulator_{store.id}").count() == 1  # one window
    assert not (srv.data_dir / "chroma").exists()  # nothing embedded locally
    client.vector_stores.delete(store.id)
    assert f"emulator_{store.id}" not in [c.name for c in chroma.list_collections()]


class StandInEmbeddings:
    """An OpenAI-compatible /v1/embeddings on loopback: vectors hashed from the words, so texts that share
    words are similar."""

    def __init__(self) -> None:
        self.inputs: list[str] = []
        self.port = free_port()
        app = Starlette(routes=[Route("/v1/embeddings", self._embed, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    async def _embed(self, request):
        body = json.loads(await request.body())
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        self.inputs.extend(texts)
        data = [{"object": "embedding", "index": i, "embedding": self.vector(t)} for i, t in enumerate(texts)]
        return JSONResponse({"object": "list", "data": data, "model": body["model"],
                             "usage": {"prompt_tokens": 1, "total_tokens": 1}})

    @staticmethod
    def vector(text: str) -> list[float]:
        vector = np.zeros(64)
        for word in text.lower().split():
            vector[int(hashlib.md5(word.strip(".,?!").encode()).hexdigest(), 16) % 64] += 1
        return (vector / (np.linalg.norm(vector) or 1)).tolist()

    def __enter__(self) -> "StandInEmbeddings":
        self._thread.start()
        while not self._server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def test_litellm_embedding_model(make_server):
    with StandInEmbeddings() as upstream:
        params = json.dumps({"api_base": f"http://127.0.0.1:{upstream.port}/v1", "api_key": "not-a-key"})
        srv = make_server(env={"EMULATOR_EMBEDDING_BACKEND": "litellm", "EMULATOR_EMBEDDING_MODEL": "openai/stand-in",
                               "EMULATOR_EMBEDDING_PARAMS": params,
                               "EMULATOR_EMBEDDING_DOCUMENT_PREFIX": "passage: "})
        client = srv.client()
        store = client.vector_stores.create(name="remote embeddings")
        batch = client.vector_stores.file_batches.upload_and_poll(vector_store_id=store.id, files=[
            named("violin.txt", b"The violin has four strings tuned in fifths."),
            named("drum.txt", b"A snare drum has wires stretched across its lower head.")])
        assert batch.file_counts.completed == 2
        found = client.post(f"/vector_stores/{store.id}/search", cast_to=object, body={
            "query": "violin strings", "ranking_options": {"hybrid_search": {"embedding_weight": 1, "text_weight": 0}}})
        assert found["data"][0]["filename"] == "violin.txt"
        assert "passage: The violin has four strings tuned in fifths." in upstream.inputs
        assert "violin strings" in upstream.inputs


def test_torch_backend_agrees_with_onnx():
    text = documents.filler(30, 8) + " Mitochondria make most of the cell's energy."
    onnx = load_embedder(Settings())
    torch = load_embedder(Settings(embedding_backend="torch"))
    assert torch.signature.startswith("torch:")
    a, b = onnx.embed(onnx.split(text)), torch.embed(torch.split(text))
    assert a.shape == b.shape
    similarity = np.sum(a * b, axis=1)  # windows cut alike; int8 ONNX within a few percent of float PyTorch
    assert float(similarity.mean()) > 0.97 and float(similarity.min()) > 0.93
    query = "where does the cell get energy?"
    assert float(onnx.embed_queries([query])[0] @ torch.embed_queries([query])[0]) > 0.97
