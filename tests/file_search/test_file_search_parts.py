"""file_search's parts, in process: chunking, parsing, windows, BM25, citations, filters."""

from __future__ import annotations

import pytest

from emulator import tokens
from emulator.errors import InvalidRequest
from emulator.settings import Settings
from emulator.tools.file_search.chunking import chunk_text, resolve_strategy
from emulator.tools.file_search.citations import citations
from emulator.tools.file_search.embedding import load_embedder
from emulator.tools.file_search.filters import check_filter, matches
from emulator.tools.file_search.keyword import BM25Index, terms
from emulator.tools.file_search.parsing import ParseError, parse
from tests.helpers import documents


def test_chunks_are_token_windows_with_overlap_and_exact_offsets():
    text = "Ünïcode façade — naïve café. " * 300 + documents.filler(100, 1)
    chunks = chunk_text(text, 100, 40)
    assert all(c.tokens <= 100 for c in chunks) and chunks[-1].text.endswith(text[-20:])
    for chunk in chunks:
        assert text[chunk.start:chunk.start + len(chunk.text)] == chunk.text  # offsets point into the text
    # Consecutive chunks start 60 tokens apart, so each overlaps the next.
    assert chunks[1].start > chunks[0].start and chunks[1].start < chunks[0].start + len(chunks[0].text)
    assert len(chunks) == -(-(tokens.count(text) - 40) // 60)
    assert chunk_text("", 800, 400) == []


def test_chunking_strategy_rules():
    assert resolve_strategy(None) == resolve_strategy({"type": "auto"}) == {
        "type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
    with pytest.raises(InvalidRequest, match="half of max_chunk_size_tokens"):
        resolve_strategy({"type": "static", "static": {"max_chunk_size_tokens": 300, "chunk_overlap_tokens": 151}})
    with pytest.raises(InvalidRequest, match="below minimum"):
        resolve_strategy({"type": "static", "static": {"max_chunk_size_tokens": 99, "chunk_overlap_tokens": 0}})
    with pytest.raises(InvalidRequest, match="above maximum"):
        resolve_strategy({"type": "static", "static": {"max_chunk_size_tokens": 4097, "chunk_overlap_tokens": 0}})


def test_parsers():
    assert parse("a.md", "# Title\r\nbody".encode("utf-8-sig")).text == "# Title\nbody"
    assert parse("a.txt", "wide text".encode("utf-16")).text == "wide text"
    assert parse("main.py", b"def f():\n    return 1\n").text.startswith("def f")
    html = parse("p.html", b"<title>T</title><script>bad()</script><p>One &amp; two</p><div>three</div>").text
    assert html == "T\nOne & two\nthree"
    pdf = parse("x.pdf", documents.pdf(["first page", "second page"]))
    assert [p.strip() for p in pdf.pages()] == ["first page", "second page"]
    assert pdf.page_at(pdf.text.index("second")) == 2 and pdf.page_at(0) == 1
    assert parse("x.docx", documents.docx(["alpha"], table=[["a", "b"]])).text == "alpha\na | b"
    for name, data, code in [("x.bin", b"\x00\x01", "unsupported_file"), ("noext", b"text", "unsupported_file"),
                             ("x.txt", b"\xff\xfe\x00", "invalid_file"), ("x.txt", b"bad \x00 bytes", "invalid_file"),
                             ("x.txt", b"   \n", "invalid_file"), ("x.pdf", documents.corrupt_pdf(), "invalid_file"),
                             ("x.docx", b"PK not a zip", "invalid_file"),
                             ("x.pdf", documents.pdf(["secret"], password="pw"), "invalid_file")]:
        with pytest.raises(ParseError) as error:
            parse(name, data)
        assert error.value.code == code, name


def test_long_chunks_are_embedded_as_overlapping_windows():
    embedder = load_embedder(Settings())
    text = documents.filler(60, 3)  # ~800 tokens: several 128-token windows
    pieces = embedder.split(text)
    assert len(pieces) >= 5 and all(len(p) <= 126 for p in pieces)
    vectors = embedder.embed(pieces)
    assert vectors.shape == (len(pieces), 384)
    assert abs(float((vectors[0] ** 2).sum()) - 1) < 1e-4
    query = embedder.embed_queries(["tomato harvest"])
    assert query.shape == (1, 384)


def test_bm25_ranks_stems_and_forgets_removed_documents():
    assert terms("The Proteins were folding") == ["protein", "fold"]
    index = BM25Index()
    index.add("a:0", terms("protein folding in cells"), "a")
    index.add("b:0", terms("cells divide by mitosis; cells grow"), "b")
    index.add("c:0", terms("stock markets fell"), "c")
    ranked = index.search(terms("folded proteins"), 10)
    assert [k for k, _ in ranked] == ["a:0"]
    assert [k for k, _ in index.search(terms("cells"), 10)] == ["b:0", "a:0"]  # more occurrences
    assert [k for k, _ in index.search(terms("cells"), 10, accept=lambda k: k.startswith("a"))] == ["a:0"]
    index.remove_group("b")
    assert [k for k, _ in index.search(terms("cells"), 10)] == ["a:0"] and len(index) == 2


def test_citation_markers_become_annotations_with_exact_indices():
    text = "Sodium cools it【0:1†reactor.pdf】, see also【3†notes.txt】 and 【9:9†unknown.pdf】."
    found = citations(text, lambda ref, name: {"0:1": "file-a"}.get(ref) or {"notes.txt": "file-b"}.get(name))
    assert [(a["file_citation"]["file_id"], text[a["start_index"]:a["end_index"]]) for a in found] == [
        ("file-a", "【0:1†reactor.pdf】"), ("file-b", "【3†notes.txt】")]


def test_attribute_filters():
    attributes = {"year": 2021, "team": "red", "public": True}
    assert matches({"type": "gte", "key": "year", "value": 2020}, attributes)
    assert not matches({"type": "eq", "key": "team", "value": "blue"}, attributes)
    assert matches({"type": "in", "key": "team", "value": ["red", "green"]}, attributes)
    assert matches({"type": "ne", "key": "missing", "value": 1}, attributes)
    assert not matches({"type": "lt", "key": "team", "value": 3}, attributes)  # a string is not below a number
    assert matches({"type": "or", "filters": [{"type": "eq", "key": "team", "value": "blue"},
                                              {"type": "eq", "key": "public", "value": True}]}, attributes)
    check_filter({"type": "and", "filters": [{"type": "eq", "key": "k", "value": "v"}]})
    with pytest.raises(InvalidRequest):
        check_filter({"type": "and", "filters": [{"type": "eq", "key": "k"}]})
    with pytest.raises(InvalidRequest):
        check_filter({"type": "like", "key": "k", "value": "v"})
