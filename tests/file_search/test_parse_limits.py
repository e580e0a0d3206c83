"""Per-file bounds on ingestion: text size, chunk count, parse time. A file past one fails with `last_error`.

A "paragraph bomb" (a 40 kB DOCX holding 1.6 MB of text) used to stay
`in_progress` for over ten minutes; every reader now stops at the size limit,
and parsing runs in a child process that is killed at the time limit.
"""

from __future__ import annotations

import io
import time

import pytest

from emulator.tools.file_search.chunking import resolve_strategy
from emulator.tools.file_search.extraction import Limits, extract
from emulator.tools.file_search.extractor import Extractor, Interrupted
from emulator.tools.file_search.parsing import ParseError
from tests.helpers import documents
from tests.helpers.documents import named

AUTO = resolve_strategy(None)
SENTENCE = "All work and no play makes Jack a dull boy. "


def paragraph_bomb(paragraphs: int = 900, repeats: int = 40) -> bytes:
    """One paragraph, many times: a tiny DOCX (the text compresses away) with megabytes of text."""
    return documents.docx([SENTENCE * repeats] * paragraphs)


def pptx(slides: list[str]) -> bytes:
    from pptx import Presentation

    presentation = Presentation()
    for text in slides:
        presentation.slides.add_slide(presentation.slide_layouts[5]).shapes.title.text = text
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def html(paragraphs: list[str]) -> bytes:
    return ("<html><body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>").encode()


# Each type with about 30k characters of text, and with a little.
BIG_AND_SMALL = {
    "docx": (lambda: documents.docx([SENTENCE * 10] * 70), lambda: documents.docx(["A small document."])),
    "pptx": (lambda: pptx([SENTENCE * 10] * 70), lambda: pptx(["A small deck."])),
    "html": (lambda: html([SENTENCE * 10] * 70), lambda: html(["A small page."])),
    "pdf": (lambda: documents.pdf([SENTENCE * 40] * 18), lambda: documents.pdf(["A small PDF."])),
    "txt": (lambda: (SENTENCE * 700).encode(), lambda: b"A small note."),
}


@pytest.mark.parametrize("kind", sorted(BIG_AND_SMALL))
def test_every_reader_stops_at_the_text_limit(kind):
    big, small = BIG_AND_SMALL[kind]
    limits = Limits(max_chars=20_000, max_chunks=1000)
    with pytest.raises(ParseError) as failed:
        extract(f"big.{kind}", big(), AUTO, limits)
    assert failed.value.code == "invalid_file" and "file_search_max_file_chars" in failed.value.message
    assert extract(f"small.{kind}", small(), AUTO, limits).chunk_rows


def test_the_paragraph_bomb_is_refused_quickly():
    data = paragraph_bomb()
    assert len(data) < 100_000
    started = time.monotonic()
    with pytest.raises(ParseError) as failed:
        extract("bomb.docx", data, AUTO, Limits(max_chars=1_000_000, max_chunks=2000))
    assert failed.value.code == "invalid_file"
    assert time.monotonic() - started < 5


def test_a_zip_that_expands_too_far_is_refused_before_parsing():
    with pytest.raises(ParseError) as failed:
        extract("bomb.docx", paragraph_bomb(), AUTO, Limits(max_chars=10_000, max_chunks=2000))
    assert failed.value.code == "invalid_file" and "bytes of XML" in failed.value.message


def test_chunk_count_limit():
    small_chunks = resolve_strategy({"type": "static", "static": {"max_chunk_size_tokens": 100,
                                                                   "chunk_overlap_tokens": 50}})
    with pytest.raises(ParseError) as failed:
        extract("long.txt", (SENTENCE * 200).encode(), small_chunks, Limits(max_chars=1_000_000, max_chunks=20))
    assert failed.value.code == "invalid_file" and "file_search_max_chunks_per_file" in failed.value.message
    assert len(extract("long.txt", (SENTENCE * 200).encode(), AUTO, Limits(1_000_000, 20)).chunk_rows) <= 20


def test_a_slow_parse_is_killed_at_the_time_limit_and_the_next_file_is_read():
    extractor = Extractor(timeout_s=1.0, memory_mb=2048)
    try:
        slow = b"<html><body>" + b"<div><b>x</b> <i>y</i></div>" * 600_000 + b"</body></html>"  # seconds of parsing
        limits = Limits(max_chars=100_000_000, max_chunks=10**9)
        started = time.monotonic()
        with pytest.raises(ParseError) as failed:
            extractor.extract("slow.html", slow, AUTO, limits)
        assert failed.value.code == "invalid_file" and "file_search_parse_timeout_s" in failed.value.message
        assert time.monotonic() - started < 30  # 1 s of parsing, plus starting the child on a busy machine
        assert extractor.extract("next.txt", b"Still reading files.", AUTO, limits).tokens > 0
    finally:
        extractor.close()
    with pytest.raises(Interrupted):
        extractor.extract("after.txt", b"closed", AUTO, Limits(1000, 10))


def test_a_file_past_the_memory_limit_fails_and_the_next_file_is_read():
    extractor = Extractor(timeout_s=60, memory_mb=600)
    try:
        with pytest.raises(ParseError) as failed:  # tokenizing 120 MB of text takes far more than 600 MB
            extractor.extract("huge.txt", b"word " * (24 << 20), AUTO, Limits(max_chars=10**9, max_chunks=10**9))
        assert failed.value.code == "invalid_file" and "file_search_parse_memory_mb" in failed.value.message
        assert extractor.extract("next.txt", b"Still reading files.", AUTO, Limits(1000, 10)).tokens > 0
    finally:
        extractor.close()


def test_the_bomb_fails_through_the_api_and_the_store_carries_on(make_server):
    documents.build_embedding_model()
    srv = make_server()
    client = srv.client()
    store = client.vector_stores.create(name="bombed")
    started = time.monotonic()
    bomb = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("bomb.docx", paragraph_bomb()), poll_interval_ms=200)
    assert time.monotonic() - started < 60
    assert bomb.status == "failed"
    assert bomb.last_error.code == "invalid_file" and "file_search_max_file_chars" in bomb.last_error.message
    fine = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("fine.docx", documents.docx(["The key is under the mat."])))
    assert fine.status == "completed", fine.last_error
    # The store's counts are written just after the file's status (a separate write): wait for them.
    deadline = time.monotonic() + 10
    while (store := client.vector_stores.retrieve(store.id)).file_counts.in_progress and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (store.file_counts.failed, store.file_counts.completed, store.file_counts.in_progress) == (1, 1, 0)
