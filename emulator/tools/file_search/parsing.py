"""From an uploaded file's bytes to its text: one reader per supported file type.

The types are those of OpenAI's supported-files table that carry text. A file that
cannot be read raises `ParseError` with the `last_error.code` OpenAI uses:
`unsupported_file` for a type file search does not handle, `invalid_file` for a
corrupt, empty or password-protected one, or one whose text is larger than
`max_chars` (readers stop as soon as they pass it, so a small file that expands
to megabytes of text costs little). Time and memory are bounded by the caller,
which runs this in a child process (`extraction.py`).
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePath

# Plain-text formats (markup, data, source code): read as they are.
TEXT_EXTENSIONS = frozenset({
    ".txt", ".md", ".markdown", ".rst", ".json", ".jsonl", ".csv", ".tsv", ".tex", ".xml", ".yaml", ".yml",
    ".toml", ".ini", ".log", ".css", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".cs", ".go", ".java", ".js",
    ".mjs", ".jsx", ".ts", ".tsx", ".php", ".py", ".rb", ".rs", ".sh", ".bash", ".sql", ".swift", ".kt", ".scala",
    ".r", ".lua", ".pl", ".m", ".vue", ".svelte",
})


class ParseError(Exception):
    """The file cannot be indexed; `code` and `message` become the vector store file's `last_error`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self):  # crosses the process boundary from the parsing child
        return ParseError, (self.code, self.message)


def too_much_text(limit: int) -> ParseError:
    return ParseError("invalid_file", f"The file holds more text than file search indexes per file (over {limit:,} "
                                      "characters; the limit is the setting file_search_max_file_chars).")


class _Budget:
    """Counts the characters a reader extracts; raises as soon as they pass the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, text: str) -> str:
        self.used += len(text)
        if self.used > self.limit:
            raise too_much_text(self.limit)
        return text


@dataclass
class ParsedText:
    """A file's text, and where each of its pages (PDF pages, slides) starts in it."""

    text: str
    page_starts: list[int] = field(default_factory=lambda: [0])

    def page_at(self, offset: int) -> int:
        """The 1-based page holding character `offset`."""
        page = 1
        for number, start in enumerate(self.page_starts, start=1):
            if start > offset:
                break
            page = number
        return page

    def pages(self) -> list[str]:
        bounds = [*self.page_starts, len(self.text)]
        return [self.text[bounds[i]:bounds[i + 1]] for i in range(len(self.page_starts))]


def _join_pages(pages: list[str]) -> ParsedText:
    starts, parts, offset = [], [], 0
    for page in pages:
        starts.append(offset)
        parts.append(page)
        offset += len(page) + 2
    return ParsedText("\n\n".join(parts), starts or [0])


def supported_extensions() -> list[str]:
    return sorted(TEXT_EXTENSIONS | set(_READERS))


def parse(filename: str, data: bytes, max_chars: int = 1 << 62) -> ParsedText:
    """The text of a file, by its extension; raises ParseError when it has none to give, or more than
    `max_chars` of it."""
    extension = PurePath(filename).suffix.lower()
    reader = _READERS.get(extension) or (_read_text if extension in TEXT_EXTENSIONS else None)
    if reader is None:
        shown = f"'{extension}'" if extension else "without an extension"
        raise ParseError("unsupported_file", f"Files {shown} are not supported by file search "
                                             f"(supported: {', '.join(supported_extensions())}).")
    if not data:
        raise ParseError("invalid_file", "The file is empty.")
    parsed = reader(data, _Budget(max_chars))
    if len(parsed.text) > max_chars:  # separators between pages count too
        raise too_much_text(max_chars)
    if not parsed.text.strip():
        raise ParseError("invalid_file", "The file contains no text to index (an image-only or scanned "
                                         "document needs OCR, which file search does not do).")
    return parsed


# -- plain text --------------------------------------------------------------------------
def decode_text(data: bytes) -> str:
    """UTF-8, UTF-16 (with a byte-order mark) or ASCII, the encodings OpenAI accepts for text files."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            text = data.decode("utf-8-sig")
            if "\x00" not in text:
                return text
        except UnicodeDecodeError:
            pass
    raise ParseError("invalid_file", "The file is not text in UTF-8, UTF-16 or ASCII encoding.")


def _read_text(data: bytes, budget: _Budget) -> ParsedText:
    return ParsedText(budget.take(decode_text(data).replace("\r\n", "\n")))


# -- HTML ----------------------------------------------------------------------------------
class _HTMLText(HTMLParser):
    """The visible text of an HTML page: no tags, scripts or styles; block elements on their own lines."""

    _SKIP = {"script", "style", "noscript", "template", "svg"}
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
              "footer", "table", "ul", "ol", "pre", "blockquote", "title", "dt", "dd", "hr"}

    def __init__(self, budget: _Budget) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._budget = budget

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skipping += 1
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(self._budget.take(data))


def _read_html(data: bytes, budget: _Budget) -> ParsedText:
    extractor = _HTMLText(budget)
    extractor.feed(decode_text(data))
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
    return ParsedText("\n".join(line for line in lines if line))


# -- PDF, DOCX, PPTX --------------------------------------------------------------------------
def _read_pdf(data: bytes, budget: _Budget) -> ParsedText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-but-readable files warn loudly
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError("invalid_file", "The PDF is password-protected; upload it without a password.")
        pages = [budget.take(page.extract_text() or "") for page in reader.pages]
    except ParseError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError) as exc:
        raise ParseError("invalid_file", f"The file could not be read as a PDF ({exc}).") from exc
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        if "crypt" in str(exc).lower() or "password" in str(exc).lower():
            raise ParseError("invalid_file", "The PDF is password-protected; upload it without a password.") from exc
        raise ParseError("invalid_file", f"The file could not be read as a PDF ({exc}).") from exc
    return _join_pages([page.strip() for page in pages])


def _read_docx(data: bytes, budget: _Budget) -> ParsedText:
    import docx
    from docx.table import Table

    _check_expansion(data, budget.limit, "Word document")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zipfile, lxml and KeyError alike on damaged files
        raise ParseError("invalid_file", f"The file could not be read as a Word document ({exc}).") from exc
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(budget.take(" | ".join(cell.text.strip() for cell in row.cells)) for row in item.rows)
        elif (text := budget.take(item.text)).strip():
            blocks.append(text)
    return ParsedText("\n".join(blocks))


def _read_pptx(data: bytes, budget: _Budget) -> ParsedText:
    import pptx

    _check_expansion(data, budget.limit, "PowerPoint file")
    try:
        presentation = pptx.Presentation(io.BytesIO(data))
    except Exception as exc:
        raise ParseError("invalid_file", f"The file could not be read as a PowerPoint file ({exc}).") from exc
    slides = []
    for slide in presentation.slides:
        texts = []
        for shape in slide.shapes:
            if shape.has_text_frame and (text := budget.take(shape.text_frame.text)).strip():
                texts.append(text)
            elif getattr(shape, "has_table", False) and shape.has_table:
                texts.extend(budget.take(" | ".join(c.text for c in row.cells)) for row in shape.table.rows)
        if slide.has_notes_slide and (notes := budget.take(slide.notes_slide.notes_text_frame.text)).strip():
            texts.append(notes)
        slides.append("\n".join(texts))
    return _join_pages(slides)


# Office XML carries much markup per character of text, but not this much: a file whose XML parts
# expand past this many bytes per allowed character is refused before any XML is parsed (a zip bomb).
XML_BYTES_PER_CHAR = 64


def _check_expansion(data: bytes, max_chars: int, kind: str) -> None:
    """Refuse an Office file whose XML parts would expand far beyond what `max_chars` of text needs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml_bytes = sum(i.file_size for i in archive.infolist() if i.filename.endswith((".xml", ".rels")))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ParseError("invalid_file", f"The file could not be read as a {kind} ({exc}).") from exc
    if xml_bytes > XML_BYTES_PER_CHAR * max_chars:
        raise ParseError("invalid_file", f"The {kind} expands to {xml_bytes:,} bytes of XML, more than file search "
                                         f"reads for a file of at most {max_chars:,} characters "
                                         "(the setting file_search_max_file_chars).")


_READERS: dict[str, Callable[[bytes, _Budget], ParsedText]] = {
    ".pdf": _read_pdf, ".docx": _read_docx, ".pptx": _read_pptx, ".html": _read_html, ".htm": _read_html,
}
