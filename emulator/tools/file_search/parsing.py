"""From an uploaded file's bytes to its text: one reader per supported file type.

The types are those of OpenAI's supported-files table that carry text. A file that
cannot be read raises `ParseError` with the `last_error.code` OpenAI uses:
`unsupported_file` for a type file search does not handle, `invalid_file` for a
corrupt, empty or password-protected one.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePath
from typing import Callable

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


def parse(filename: str, data: bytes) -> ParsedText:
    """The text of a file, by its extension; raises ParseError when it has none to give."""
    extension = PurePath(filename).suffix.lower()
    reader = _READERS.get(extension) or (_read_text if extension in TEXT_EXTENSIONS else None)
    if reader is None:
        shown = f"'{extension}'" if extension else "without an extension"
        raise ParseError("unsupported_file", f"Files {shown} are not supported by file search "
                                             f"(supported: {', '.join(supported_extensions())}).")
    if not data:
        raise ParseError("invalid_file", "The file is empty.")
    parsed = reader(data)
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


def _read_text(data: bytes) -> ParsedText:
    return ParsedText(decode_text(data).replace("\r\n", "\n"))


# -- HTML ----------------------------------------------------------------------------------
class _HTMLText(HTMLParser):
    """The visible text of an HTML page: no tags, scripts or styles; block elements on their own lines."""

    _SKIP = {"script", "style", "noscript", "template", "svg"}
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
              "footer", "table", "ul", "ol", "pre", "blockquote", "title", "dt", "dd", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

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
            self.parts.append(data)


def _read_html(data: bytes) -> ParsedText:
    extractor = _HTMLText()
    extractor.feed(decode_text(data))
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
    return ParsedText("\n".join(line for line in lines if line))


# -- PDF, DOCX, PPTX --------------------------------------------------------------------------
def _read_pdf(data: bytes) -> ParsedText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-but-readable files warn loudly
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError("invalid_file", "The PDF is password-protected; upload it without a password.")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ParseError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError) as exc:
        raise ParseError("invalid_file", f"The file could not be read as a PDF ({exc}).") from exc
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        if "crypt" in str(exc).lower() or "password" in str(exc).lower():
            raise ParseError("invalid_file", "The PDF is password-protected; upload it without a password.")
        raise ParseError("invalid_file", f"The file could not be read as a PDF ({exc}).") from exc
    return _join_pages([page.strip() for page in pages])


def _read_docx(data: bytes) -> ParsedText:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zipfile, lxml and KeyError alike on damaged files
        raise ParseError("invalid_file", f"The file could not be read as a Word document ({exc}).") from exc
    blocks = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(" | ".join(cell.text.strip() for cell in row.cells) for row in item.rows)
        elif item.text.strip():
            blocks.append(item.text)
    return ParsedText("\n".join(blocks))


def _read_pptx(data: bytes) -> ParsedText:
    import pptx

    try:
        presentation = pptx.Presentation(io.BytesIO(data))
    except Exception as exc:
        raise ParseError("invalid_file", f"The file could not be read as a PowerPoint file ({exc}).") from exc
    slides = []
    for slide in presentation.slides:
        texts = []
        for shape in slide.shapes:
            if shape.has_text_frame and shape.text_frame.text.strip():
                texts.append(shape.text_frame.text)
            elif getattr(shape, "has_table", False) and shape.has_table:
                texts.extend(" | ".join(c.text for c in row.cells) for row in shape.table.rows)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip():
            texts.append(slide.notes_slide.notes_text_frame.text)
        slides.append("\n".join(texts))
    return _join_pages(slides)


_READERS: dict[str, Callable[[bytes], ParsedText]] = {
    ".pdf": _read_pdf, ".docx": _read_docx, ".pptx": _read_pptx, ".html": _read_html, ".htm": _read_html,
}
