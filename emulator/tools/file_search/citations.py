"""Source markers in what the model reads, and `file_citation` annotations from the ones it writes.

Search results reach the model as `【{call}:{rank}†{file name}】` (call: the run's
n-th file_search call; rank: the result's place in it), inline documents as
`【{n}†{file name}】`, the format OpenAI's models were trained to cite with. A
marker the model copies into its answer becomes a `file_citation` annotation over
exactly the marker's characters, pointing at the file it names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MARKER = re.compile(r"【([^】†\n]{0,40})†([^】\n]{1,300})】")


def search_marker(call_number: int, rank: int, filename: str) -> str:
    return f"【{call_number}:{rank}†{filename}】"


def inline_marker(number: int, filename: str) -> str:
    return f"【{number}†{filename}】"


def citations(text: str, resolve: Callable[[str, str], str | None]) -> list[dict[str, Any]]:
    """`file_citation` annotations for the markers in `text`; `resolve(ref, name)` gives a marker's file id."""
    found = []
    for match in MARKER.finditer(text):
        file_id = resolve(match.group(1).strip(), match.group(2).strip())
        if file_id is None:
            continue
        found.append({"type": "file_citation", "text": match.group(0), "start_index": match.start(),
                      "end_index": match.end(), "file_citation": {"file_id": file_id}})
    return found
