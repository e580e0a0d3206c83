"""file_search through the Responses API: results with the include, citations at exact indices, filters."""

from __future__ import annotations

import pytest

from tests.helpers import documents
from tests.helpers.documents import named

FACT = ("Our model, the Spline Transformer, reaches a BLEU score of 41.7 on the WMT English-German "
        "benchmark by replacing softmax attention with cubic spline kernels.")


@pytest.fixture(autouse=True)
def embedding_model_first(embedding_model) -> None:
    """Built before a server ingests a file (see tests/file_search/conftest.py)."""


def _store(client):
    paper = documents.filler(40, 11) + " " + FACT + " " + documents.filler(40, 13)
    store = client.vector_stores.create(name="papers")
    client.vector_stores.file_batches.upload_and_poll(
        vector_store_id=store.id, files=[named("spline.txt", paper.encode()),
                                         named("garden.txt", documents.filler(80, 14).encode())])
    client.vector_stores.files.list(store.id)
    return store


def test_file_search_results_and_citations(client, script):
    store = _store(client)
    spline_id = next(f.id for f in client.files.list() if f.filename == "spline.txt")
    answer = "It uses cubic spline kernels【0:0†spline.txt】 and reaches 41.7 BLEU."
    model = script({"tool_calls": [{"name": "file_search", "arguments": {"queries": ["spline transformer BLEU"]}}]},
                   {"when": {"role": "tool"}, "text": answer})
    tools = [{"type": "file_search", "vector_store_ids": [store.id], "max_num_results": 3}]
    response = client.responses.create(model=model, input="What does the paper achieve?", tools=tools,
                                       include=["file_search_call.results"])
    assert response.status == "completed", response.error
    call, message = response.output
    assert call.type == "file_search_call" and call.status == "completed"
    assert call.queries == ["spline transformer BLEU"]
    assert 1 <= len(call.results) <= 3
    best = call.results[0]
    assert best.file_id == spline_id and best.filename == "spline.txt" and "cubic spline kernels" in best.text
    assert best.score > 0 and best.attributes == {}
    text = message.content[0]
    clean = "It uses cubic spline kernels and reaches 41.7 BLEU."
    assert text.text == clean
    (citation,) = text.annotations
    assert citation.type == "file_citation" and citation.file_id == spline_id and citation.filename == "spline.txt"
    assert citation.index == clean.index(" and reaches")
    # Without the include, results are left out; a later retrieve with it shows them.
    again = client.responses.retrieve(response.id)
    assert again.output[0].results is None
    assert client.responses.retrieve(response.id, include=["file_search_call.results"]).output[0].results == call.results


def test_file_search_streamed_events(client, script):
    store = _store(client)
    model = script({"tool_calls": [{"name": "file_search", "arguments": {"queries": ["garden"]}}]},
                   {"when": {"role": "tool"}, "text": "Gardens【0:0†garden.txt】."})
    events = list(client.responses.create(model=model, input="garden?", stream=True,
                                          tools=[{"type": "file_search", "vector_store_ids": [store.id]}]))
    types = [e.type for e in events]
    start = types.index("response.output_item.added")
    assert types[start:start + 5] == ["response.output_item.added", "response.file_search_call.in_progress",
                                      "response.file_search_call.searching", "response.file_search_call.completed",
                                      "response.output_item.done"]
    assert "response.output_text.annotation.added" in types
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == "Gardens." == events[-1].response.output_text


def test_attribute_filters(client, script):
    store = _store(client)
    files = client.vector_stores.files.list(store.id).data
    names = {f.id: f.filename for f in client.files.list()}
    spline = next(f for f in files if names[f.id] == "spline.txt")
    client.vector_stores.files.update(file_id=spline.id, vector_store_id=store.id, attributes={"kind": "paper"})
    model = script({"tool_calls": [{"name": "file_search", "arguments": {"queries": ["spline garden"]}}]},
                   {"when": {"role": "tool"}, "text": "ok"})
    tools = [{"type": "file_search", "vector_store_ids": [store.id],
              "filters": {"type": "eq", "key": "kind", "value": "paper"}}]
    response = client.responses.create(model=model, input="x", tools=tools, include=["file_search_call.results"])
    results = response.output[0].results
    assert results and {r.file_id for r in results} == {spline.id}
    assert results[0].attributes == {"kind": "paper"}


def test_max_tool_calls_ignores_calls_past_the_limit(client, script):
    store = _store(client)
    model = script({"tool_calls": [{"name": "file_search", "arguments": {"queries": ["spline"]}},
                                   {"name": "file_search", "arguments": {"queries": ["garden"]}}]},
                   {"when": {"role": "tool"}, "text": "Done."})
    response = client.responses.create(model=model, input="x", max_tool_calls=1,
                                       tools=[{"type": "file_search", "vector_store_ids": [store.id]}])
    assert response.max_tool_calls == 1 and response.output_text == "Done."
    assert [item.type for item in response.output] == ["file_search_call", "message"]
    assert response.output[0].queries == ["spline"]
