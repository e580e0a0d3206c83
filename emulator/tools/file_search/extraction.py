"""A file's bytes to indexable text and chunks, within limits: the CPU-heavy half of ingestion.

`extract` parses a file, checks its size, counts its tokens and cuts its chunks
(with their keyword terms). It runs in a child process (`extractor.py`), because
a hostile file can make a reader loop or swell (a small DOCX that expands to
megabytes of text, a PDF with a pathological content stream), and a thread
cannot be stopped. In the child, a time limit and a memory limit end such a
file with `last_error` instead of holding the ingestion worker forever.

`main()` is that child: it reads pickled requests from stdin and writes pickled replies.
"""

from __future__ import annotations

import bisect
import os
import pickle
import signal
import struct
import sys
from dataclasses import dataclass

from emulator import tokens
from emulator.tools.file_search.chunking import chunk_text
from emulator.tools.file_search.keyword import terms
from emulator.tools.file_search.parsing import ParsedText, ParseError, parse

HEADER = struct.Struct("!Q")
READY = b"ready\n"


@dataclass(frozen=True)
class Limits:
    """Per-file bounds; exceeding one fails the file with `invalid_file`."""

    max_chars: int
    max_chunks: int


@dataclass
class Extracted:
    parsed: ParsedText
    tokens: int
    chunk_rows: list[dict]
    """Rows for the chunks table: chunk_index, start, page, text, terms."""


def extract(filename: str, data: bytes, strategy: dict, limits: Limits) -> Extracted:
    """Parse, check the limits, chunk. Raises ParseError for a file that cannot be indexed."""
    parsed = parse(filename, data, limits.max_chars)
    count = tokens.count(parsed.text)
    static = strategy["static"]
    size, overlap = static["max_chunk_size_tokens"], static["chunk_overlap_tokens"]
    # How many chunks chunk_text will cut (at most), known from the token count before cutting them.
    expected = 1 + -(-max(0, count - size) // max(1, size - overlap))
    if expected > limits.max_chunks:
        raise ParseError("invalid_file", f"The file would make {expected:,} chunks of {size} tokens, more than file "
                                         f"search indexes per file ({limits.max_chunks:,}, the setting "
                                         "file_search_max_chunks_per_file).")
    starts = parsed.page_starts
    rows = [{"chunk_index": c.index, "start": c.start, "page": bisect.bisect_right(starts, c.start) or 1,
             "text": c.text, "terms": " ".join(terms(c.text))} for c in chunk_text(parsed.text, size, overlap)]
    return Extracted(parsed, count, rows)


# -- the child process ------------------------------------------------------------------------------
def _read_exactly(stream, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


def _answer(body: bytes) -> tuple:
    try:
        return ("ok", extract(*pickle.loads(body)))
    except ParseError as exc:
        return ("error", exc.code, exc.message)
    except MemoryError:
        return ("error", "invalid_file", "Reading the file needed more memory than file search allows per file "
                                         "(the setting file_search_parse_memory_mb).")
    except RecursionError:
        return ("error", "invalid_file", "The file is nested too deeply to be read.")
    except Exception as exc:  # a reader's bug on an odd file: fail the file, keep the child
        return ("error", "server_error", f"The file could not be processed: {exc}")


def _die_with_parent() -> None:
    """Linux: be killed when the server dies, even mid-parse (a crashed server must not leave a spinning child)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main(memory_bytes: int) -> None:
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the server, which stops this
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to the server's log, not into the replies
    tokens.encoding()  # loaded before the memory limit, and before the first file's clock starts
    if memory_bytes > 0:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    requests = sys.stdin.buffer
    replies.write(READY)
    replies.flush()
    while (header := _read_exactly(requests, HEADER.size)) is not None:
        try:
            body = _read_exactly(requests, HEADER.unpack(header)[0])
        except MemoryError:  # the file alone is past the memory limit
            return
        if body is None:
            return
        reply = pickle.dumps(_answer(body), protocol=pickle.HIGHEST_PROTOCOL)
        del body
        replies.write(HEADER.pack(len(reply)) + reply)
        replies.flush()

