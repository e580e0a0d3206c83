"""Vector stores over the real SDK: ingestion of real PDF/DOCX files, failures, counts, search, deletion."""

from __future__ import annotations

import openai
import pytest

from tests.helpers import documents
from tests.helpers.documents import named

PDF_FACT = "The Zephyr reactor cools its core with liquid sodium at 550 degrees Celsius."
DOCX_FACT = "Quarterly revenue of the Lumen bakery chain rose to 4.2 million euros, driven by sourdough sales."


@pytest.fixture(scope="module")
def library(server):
    """One store holding a 3-page PDF, a DOCX and a text file about gardening (all ingested)."""
    client = server.client()
    store = client.vector_stores.create(name="library", metadata={"team": "tests"})
    files = [
        named("reactor.pdf", documents.pdf([documents.filler(12, 1), documents.filler(10, 2) + " " + PDF_FACT,
                                            documents.filler(12, 3)])),
        named("bakery.docx", documents.docx([documents.filler(6, 4), DOCX_FACT, documents.filler(6, 5)],
                                            table=[["Quarter", "Revenue"], ["Q3", "4.2M EUR"]])),
        named("garden.txt", documents.filler(40, 6).encode()),
    ]
    batch = client.vector_stores.file_batches.upload_and_poll(vector_store_id=store.id, files=files)
    assert batch.status == "completed" and batch.file_counts.completed == 3, batch
    ids = {f.filename: f.id for f in client.files.list() if f.filename in ("reactor.pdf", "bakery.docx", "garden.txt")}
    return store, ids


def test_pdf_and_docx_are_found_by_what_only_they_say(client, library):
    store, ids = library
    found = client.vector_stores.search(vector_store_id=store.id, query="How is the reactor core cooled?")
    assert found.data[0].file_id == ids["reactor.pdf"]
    assert found.data[0].filename == "reactor.pdf"
    assert "liquid sodium" in found.data[0].content[0].text
    assert 0 < found.data[0].score <= 1
    found = client.vector_stores.search(vector_store_id=store.id, query="bakery revenue growth last quarter")
    assert found.data[0].file_id == ids["bakery.docx"]
    assert "sourdough" in found.data[0].content[0].text
    assert "Q3 | 4.2M EUR" in found.data[0].content[0].text  # tables are read too


def test_store_counts_and_file_objects(client, library):
    store, ids = library
    store = client.vector_stores.retrieve(store.id)
    assert store.status == "completed" and store.name == "library" and store.metadata == {"team": "tests"}
    assert store.file_counts.completed == 3 and store.file_counts.total == 3 and store.file_counts.in_progress == 0
    assert store.usage_bytes > 0
    file = client.vector_stores.files.retrieve(ids["reactor.pdf"], vector_store_id=store.id)
    assert file.status == "completed" and file.last_error is None and file.usage_bytes > 0
    assert file.chunking_strategy.type == "static"  # `auto` is reported as what it is
    assert file.chunking_strategy.static.max_chunk_size_tokens == 800
    assert file.chunking_strategy.static.chunk_overlap_tokens == 400
    listed = client.vector_stores.files.list(vector_store_id=store.id, filter="completed")
    assert {f.id for f in listed} == set(ids.values())
    assert not client.vector_stores.files.list(vector_store_id=store.id, filter="failed").data


def test_file_content_is_the_parsed_text_by_page(client, library):
    store, ids = library
    pages = list(client.vector_stores.files.content(ids["reactor.pdf"], vector_store_id=store.id))
    assert len(pages) == 3 and PDF_FACT.split()[0] in pages[1].text and pages[0].type == "text"


def test_failed_files_do_not_stop_the_batch(client):
    store = client.vector_stores.create(name="mixed")
    files = [
        named("good.md", b"# Notes\n\nThe ferry to Osmund island leaves at 7:15 every morning."),
        named("broken.pdf", documents.corrupt_pdf()),
        named("program.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 64),
        named("locked.pdf", documents.pdf(["Secret plans for the harbour."], password="hunter2")),
        named("empty.txt", b""),
        named("page.html", b"<html><head><style>p{color:red}</style><script>var x=1;</script></head>"
                           b"<body><p>The lighthouse is painted <b>red</b> and white.</p></body></html>"),
    ]
    batch = client.vector_stores.file_batches.upload_and_poll(vector_store_id=store.id, files=files)
    assert batch.status == "completed"
    assert (batch.file_counts.completed, batch.file_counts.failed, batch.file_counts.total) == (2, 4, 6)
    names = {f.id: f.filename for f in client.files.list()}
    errors = {names[f.id]: f.last_error for f in client.vector_stores.files.list(vector_store_id=store.id)
              if f.status == "failed"}
    assert errors["broken.pdf"].code == "invalid_file" and "PDF" in errors["broken.pdf"].message
    assert errors["program.exe"].code == "unsupported_file" and "'.exe'" in errors["program.exe"].message
    assert errors["locked.pdf"].code == "invalid_file" and "password" in errors["locked.pdf"].message
    assert errors["empty.txt"].code == "invalid_file"
    store = client.vector_stores.retrieve(store.id)
    assert (store.file_counts.completed, store.file_counts.failed, store.status) == (2, 4, "completed")
    html = client.vector_stores.search(vector_store_id=store.id, query="lighthouse colour").data[0]
    assert html.filename == "page.html" and "painted red and white" in html.content[0].text
    assert "color" not in html.content[0].text and "var x" not in html.content[0].text
    batch_files = client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id, filter="failed")
    assert len(batch_files.data) == 4


def test_deleting_a_file_removes_it_from_results(client):
    store = client.vector_stores.create(name="deletions")
    a = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("owls.txt", b"Barn owls hunt voles at night over open meadows."))
    b = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("owls2.txt", b"Snowy owls hunt lemmings on the arctic tundra."))
    assert {r.file_id for r in client.vector_stores.search(vector_store_id=store.id, query="owls hunting").data} \
        == {a.id, b.id}
    deleted = client.vector_stores.files.delete(a.id, vector_store_id=store.id)
    assert deleted.deleted and deleted.object == "vector_store.file.deleted"
    results = client.vector_stores.search(vector_store_id=store.id, query="barn owls voles meadows").data
    assert [r.file_id for r in results] == [b.id]
    assert client.vector_stores.retrieve(store.id).file_counts.total == 1
    # Deleting the file object itself takes it out of its vector stores too.
    client.files.delete(b.id)
    assert client.vector_stores.search(vector_store_id=store.id, query="owls").data == []
    assert client.vector_stores.retrieve(store.id).file_counts.total == 0


def test_search_endpoint_options(client):
    store = client.vector_stores.create(name="search options")
    texts = {"apples.txt": "Apple orchards need cross-pollination by bees to set fruit.",
             "pears.txt": "Pear trees are pruned in winter while they are dormant.",
             "cars.txt": "The diesel engine was invented by Rudolf Diesel in 1893."}
    ids = {}
    for name, text in texts.items():
        ids[name] = client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=named(name, text.encode())).id
    client.vector_stores.files.update(ids["cars.txt"], vector_store_id=store.id, attributes={"topic": "engines",
                                                                                             "year": 1893})
    everything = client.vector_stores.search(vector_store_id=store.id, query="fruit trees", max_num_results=10).data
    assert len(everything) == 3 and everything[0].file_id in (ids["apples.txt"], ids["pears.txt"])
    assert [r.score for r in everything] == sorted((r.score for r in everything), reverse=True)
    assert len(client.vector_stores.search(vector_store_id=store.id, query="fruit trees", max_num_results=1).data) == 1
    # score_threshold drops the weak matches, and a threshold above every score leaves nothing.
    threshold = (everything[0].score + everything[-1].score) / 2
    kept = client.vector_stores.search(vector_store_id=store.id, query="fruit trees",
                                       ranking_options={"score_threshold": threshold}).data
    assert 1 <= len(kept) < 3 and all(r.score >= threshold for r in kept)
    assert client.vector_stores.search(vector_store_id=store.id, query="fruit trees",
                                       ranking_options={"score_threshold": 1.0}).data == []
    # Several queries at once; attribute filters.
    multi = client.vector_stores.search(vector_store_id=store.id, query=["diesel engine inventor", "pruning pears"])
    assert {multi.data[0].file_id, multi.data[1].file_id} == {ids["cars.txt"], ids["pears.txt"]}
    assert multi.search_query == ["diesel engine inventor", "pruning pears"]
    engines = client.vector_stores.search(vector_store_id=store.id, query="fruit",
                                          filters={"type": "eq", "key": "topic", "value": "engines"}).data
    assert [r.file_id for r in engines] == [ids["cars.txt"]] and engines[0].attributes["topic"] == "engines"
    old = client.vector_stores.search(vector_store_id=store.id, query="fruit", filters={
        "type": "and", "filters": [{"type": "lt", "key": "year", "value": 1900},
                                   {"type": "ne", "key": "topic", "value": "fruit"}]}).data
    assert [r.file_id for r in old] == [ids["cars.txt"]]
    # Dense-only and keyword-only rankings (OpenAI's hybrid_search weights).
    keyword = client.post(f"/vector_stores/{store.id}/search", cast_to=object, body={
        "query": "Rudolf", "ranking_options": {"hybrid_search": {"embedding_weight": 0, "text_weight": 1}}})
    assert [r["file_id"] for r in keyword["data"]] == [ids["cars.txt"]] and keyword["data"][0]["score"] == 1.0


def test_validation_and_not_found(client):
    with pytest.raises(openai.NotFoundError) as error:
        client.vector_stores.retrieve("vs_missing")
    assert error.value.body["message"] == "No vector store found with id 'vs_missing'."
    store = client.vector_stores.create(name="checks")
    with pytest.raises(openai.BadRequestError) as error:
        client.vector_stores.files.create(vector_store_id=store.id, file_id="file-nope")
    assert "file-nope" in error.value.body["message"]
    uploaded = client.files.create(file=("x.txt", b"x marks the spot"), purpose="assistants")
    with pytest.raises(openai.BadRequestError) as error:
        client.vector_stores.files.create(vector_store_id=store.id, file_id=uploaded.id, chunking_strategy={
            "type": "static", "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 150}})
    assert "chunk_overlap_tokens" in error.value.body["message"]
    with pytest.raises(openai.BadRequestError) as error:
        client.vector_stores.files.create(vector_store_id=store.id, file_id=uploaded.id, chunking_strategy={
            "type": "static", "static": {"max_chunk_size_tokens": 50, "chunk_overlap_tokens": 10}})
    assert error.value.body["param"] == "chunking_strategy.static.max_chunk_size_tokens"
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.search(vector_store_id=store.id, query="x", max_num_results=51)
    with pytest.raises(openai.BadRequestError) as error:
        client.vector_stores.files.list(vector_store_id=store.id, filter="done")  # type: ignore[arg-type]
    assert error.value.body["param"] == "filter"
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.retrieve(uploaded.id, vector_store_id=store.id)


def test_static_chunking_cuts_long_files(client):
    store = client.vector_stores.create(name="chunks")
    text = documents.filler(200, 9)
    file = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("long.txt", text.encode()),
        chunking_strategy={"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}})
    assert file.chunking_strategy.static.max_chunk_size_tokens == 100
    results = client.vector_stores.search(vector_store_id=store.id, query="tomato basil", max_num_results=50).data
    assert len(results) >= 20  # ~2,400 tokens in 100-token chunks
    assert all(len(r.content[0].text) < 800 for r in results)


def test_store_modify_list_delete_and_cancel(client):
    store = client.vector_stores.create(name="temporary", expires_after={"anchor": "last_active_at", "days": 2})
    assert store.expires_at == store.last_active_at + 2 * 86400
    store = client.vector_stores.update(store.id, name="renamed", metadata={"k": "v"})
    assert store.name == "renamed" and store.metadata == {"k": "v"}
    assert store.id in {s.id for s in client.vector_stores.list(limit=100)}
    uploads = [client.files.create(file=(f"f{i}.txt", documents.filler(300, i).encode()), purpose="assistants")
               for i in range(4)]
    batch = client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=[u.id for u in uploads])
    assert batch.object == "vector_store.files_batch" and batch.file_counts.total == 4
    try:
        cancelled = client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
        assert cancelled.status == "cancelled"
    except openai.BadRequestError:  # a fast machine may have finished already
        pass
    final = client.vector_stores.file_batches.poll(batch.id, vector_store_id=store.id)
    counts = final.file_counts
    assert counts.in_progress == 0 and counts.cancelled + counts.completed == 4
    deleted = client.vector_stores.delete(store.id)
    assert deleted.deleted and deleted.object == "vector_store.deleted"
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(store.id)
