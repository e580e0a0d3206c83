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
    # An input item without `type` and with a list `content` is both an EasyInputMessage and an InputMessage;
    # `oneOf` rejects what matches two branches, OpenAI takes it as a message.
    schemas["InputItem"]["anyOf"] = schemas["InputItem"].pop("oneOf")
    for union in ("InputItem", "Tool"):
        _dispatch_by_type(schemas, union)
    # An `input_image` part without `detail`: OpenAI takes it (`auto`); the spec lists `detail` as required.
    schemas["InputImageContent"]["required"] = ["type"]
    return document


def _dispatch_by_type(schemas: dict[str, Any], name: str) -> None:
    """Check a member of a large tagged union against the members its `type` names only.

    Not a correction: a speed-up with the same verdicts. A validator tries every branch of a `oneOf`
    (an input item against some 35 item schemas: milliseconds per item), while the spec's own
    `discriminator` says the `type` picks the branch. The union becomes a chain of `if type == T then
    <T's members>`; a value whose `type` is missing or unknown still meets the whole union (and its
    errors)."""
    union = schemas[name]
    key = "oneOf" if "oneOf" in union else "anyOf"
    members: dict[str, list[dict[str, Any]]] = {}
    for ref in _flat_members(schemas, union[key]):
        target = schemas[ref["$ref"].rsplit("/", 1)[1]]
        kind = target.get("properties", {}).get("type", {})
        for value in kind.get("enum", [kind["const"]] if "const" in kind else []):
            members.setdefault(value, []).append(ref)
    chain: dict[str, Any] = {key: union[key]}
    if "message" in members:  # a message may leave out its `type` (EasyInputMessage)
        easy_first = sorted(members["message"], key=lambda ref: not ref["$ref"].endswith("/EasyInputMessage"))
        chain = {"if": {"required": ["type"]}, "then": chain, "else": {"anyOf": easy_first}}
    for value, refs in reversed(list(members.items())):
        then = refs[0] if len(refs) == 1 else {"anyOf": refs}
        chain = {"if": {"properties": {"type": {"const": value}}, "required": ["type"]}, "then": then, "else": chain}
    schemas[name] = {k: v for k, v in union.items() if k != key} | chain


def _flat_members(schemas: dict[str, Any], branches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `$ref` branches of a union, with nested unions (InputItem's `Item`) opened."""
    flat = []
    for branch in branches:
        target = schemas.get(branch.get("$ref", "").rsplit("/", 1)[-1], {})
        nested = target.get("oneOf") or target.get("anyOf")
        if nested and all("$ref" in b for b in nested) and "properties" not in target:
            flat += _flat_members(schemas, nested)
        elif "$ref" in branch:
            flat.append({"$ref": branch["$ref"]})
    return flat


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
