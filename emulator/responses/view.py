"""What a response shows: its items without the parts `include` did not ask for.

OpenAI leaves a `file_search_call`'s `results` and a `code_interpreter_call`'s `outputs` out (null)
unless the request's `include` names them; the emulator stores them whole and leaves them out when
showing, so a later `GET` with the include shows them.
"""

from __future__ import annotations

from typing import Any

INCLUDABLE = {"file_search_call": ("results", "file_search_call.results"),
              "code_interpreter_call": ("outputs", "code_interpreter_call.outputs")}


def shown_item(item: dict[str, Any], include: frozenset[str]) -> dict[str, Any]:
    hidden = INCLUDABLE.get(item.get("type", ""))
    if hidden is None or hidden[1] in include:
        return item
    return {**item, hidden[0]: None}


def shown_response(response: dict[str, Any], include: frozenset[str]) -> dict[str, Any]:
    return {**response, "output": [shown_item(item, include) for item in response.get("output", [])]}
