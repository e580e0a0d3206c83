"""Real documents made on the fly for the file_search tests: PDFs (fpdf2, pypdf), DOCX (python-docx), text."""

from __future__ import annotations

import io
import random

# Sentences about gardening, to pad documents with text that answers nothing the tests ask.
_FILLER_WORDS = ("garden soil compost seedlings water sunlight mulch roots leaves harvest season tomato basil "
                 "pruning shears trellis greenhouse fertilizer earthworms spring autumn frost rain shade "
                 "raised beds irrigation weeds pollinators bees flowers").split()


def named(name: str, data: bytes) -> io.BytesIO:
    """Bytes as an upload with a file name (what the SDK's upload helpers read)."""
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def filler(n_sentences: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    sentences = []
    for _ in range(n_sentences):
        words = [rng.choice(_FILLER_WORDS) for _ in range(rng.randint(8, 14))]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def pdf(pages: list[str], *, password: str | None = None) -> bytes:
    from fpdf import FPDF

    document = FPDF()
    document.set_font("Helvetica", size=11)
    for text in pages:
        document.add_page()
        document.multi_cell(0, 6, text)
    data = bytes(document.output())
    if password is None:
        return data
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def build_embedding_model() -> None:
    """The model's first use exports it to ONNX (tens of seconds on a busy machine, once per machine).
    Doing it before a server needs it keeps that time out of runs waiting for ingestion."""
    from emulator.settings import Settings
    from emulator.tools.file_search.embedding import load_embedder

    load_embedder(Settings())


def corrupt_pdf() -> bytes:
    """Starts like a PDF, then is garbage: no objects, no cross-reference table, no end marker."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(random.Random(7).randrange(256) for _ in range(2048))
