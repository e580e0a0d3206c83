"""The scorecard's input files, made on the spot: a CSV, a PDF and a DOCX, each holding a known answer."""

from __future__ import annotations

import io

PRICES_CSV = "item,price\n" + "".join(f"item{n},{p}\n" for n, p in enumerate([12.5, 30, 18, 41.5, 8, 25, 19, 34]))
PRICES_MEAN = 23.5
SALES_CSV = "month,sales\nJan,120\nFeb,135\nMar,150\nApr,110\nMay,170\nJun,160\n"

PDF_FACT = "The Zephyr-9 survey drone has a flight time of 47 minutes on one battery."
PDF_LINES = [
    "Zephyr-9 Product Sheet",
    "The Zephyr-9 is a light survey drone made for mapping farmland and forests.",
    "It weighs 1.2 kilograms and folds to the size of a paperback book.",
    PDF_FACT,
    "Its camera records 4K video at 30 frames per second.",
    "The drone is sold with two batteries, a charger and a carrying case.",
]
DOCX_FACT = "The Lund office opens at 7:30 in the morning on weekdays."
DOCX_PARAGRAPHS = [
    "Office handbook",
    "Welcome to the company. This handbook describes our offices and how they work.",
    "The Malmo office is on the third floor of the harbour building.",
    DOCX_FACT,
    "Visitors sign in at the front desk and wear a badge at all times.",
    "Lunch is served in the canteen between 11:30 and 13:00.",
]


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF with these lines in Helvetica (written by hand: no PDF writer is a dependency)."""
    text = " T* ".join(f"({_pdf_escape(line)}) Tj" for line in lines)
    stream = f"BT /F1 11 Tf 72 720 Td 16 TL {text} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx(paragraphs: list[str]) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
