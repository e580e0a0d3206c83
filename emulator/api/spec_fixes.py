"""Corrections and emulator extensions applied to the vendored request schemas when they are loaded.

The vendored file stays a faithful copy of OpenAI's spec; what the spec gets wrong, or what the
emulator accepts beyond it, is changed here, in one place, each with its reason.
"""

from __future__ import annotations

from typing import Any

HYBRID_SEARCH = {
    # `ranking_options.hybrid_search` of vector store search, as OpenAI's Responses API takes it: the
    # weights of the embedding and keyword scores. Not in this endpoint's schema, but accepted by the
    # emulator (emulator.services.vector_stores.ranking), so it is checked like any other field.
    "anyOf": [{
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "embedding_weight": {"type": "number", "minimum": 0},
            "text_weight": {"type": "number", "minimum": 0},
        },
    }, {"type": "null"}],
}


def apply(document: dict[str, Any]) -> dict[str, Any]:
    """The document (changed in place) with the fixes below applied."""
    _move_array_required_to_items(document)
    schemas = document["components"]["schemas"]
    ranking = schemas["VectorStoreSearchRequest"]["properties"]["ranking_options"]
    ranking["properties"]["hybrid_search"] = HYBRID_SEARCH
    # A Responses function tool: the spec lists `strict` and `parameters` as required, but OpenAI takes a
    # tool without them (strict defaults to true, no parameters means none), and clients send such tools.
    schemas["FunctionTool"]["required"] = ["type", "name"]
    return document


def _move_array_required_to_items(node: Any) -> None:
    """`required` written on an array schema means nothing to a validator (it applies to objects), so
    the spec's `attachments: {type: array, required: [file_id, tools], items: {...}}` lets an attachment
    without `file_id` through, and the handler then fails on it. The spec means the items: `file_id`
    only, as the SDK's own `Attachment` type has it (`tools` may be left out; the file is then attached
    to no tool, which existing clients rely on)."""
    if isinstance(node, dict):
        if node.get("type") == "array" and "required" in node and isinstance(node.get("items"), dict):
            items = node["items"]
            moved = [name for name in node.pop("required") if name != "tools"]
            items["required"] = sorted({*items.get("required", []), *moved})
        for value in node.values():
            _move_array_required_to_items(value)
    elif isinstance(node, list):
        for value in node:
            _move_array_required_to_items(value)
