"""Helpers for the `openai` SDK's pydantic models that every API object is."""

from __future__ import annotations

from typing import Any, TypeVar

from openai.types import FileObject
from openai.types.responses import Response
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def revise(obj: M, **fields: Any) -> M:
    """A validated copy of `obj` with `fields` changed (nested dicts become models)."""
    data = obj.model_dump(exclude_unset=True, by_alias=True)
    data.update({k: v.model_dump(exclude_unset=True, by_alias=True) if isinstance(v, BaseModel) else v
                 for k, v in fields.items()})
    return type(obj).model_validate(data)


class File(FileObject):
    """The SDK's FileObject taking any purpose: uploads accept `evals` (and OpenAI answers with it), which
    the SDK's `purpose` Literal, like the spec's response enum, lacks."""

    purpose: str  # type: ignore[assignment]


class StoredResponse(Response):
    """The SDK's Response with whole-second timestamps, as OpenAI sends them (the SDK types them as floats,
    which would store and send `1735689600.0`)."""

    created_at: int  # type: ignore[assignment]
    completed_at: int | None = None  # type: ignore[assignment]


class StoredItem(BaseModel):
    """One item of a response or a conversation (a message, a function call, its output, a hosted tool
    call), as the Responses API shows it (`item`), and what it was to the model (`model_view`).

    The record's own `id` is internal: the same item can belong to a response's input and to a
    conversation, each a record; `item_id` is the item's id on the wire."""

    id: str
    created_at: int
    owner_id: str
    """The response (its input or output) or the conversation it belongs to."""
    kind: str
    """`input` or `output` of a response; `conversation` for a conversation's items."""
    item_id: str
    item: dict[str, Any]
    model_view: dict[str, Any] | None = None
    """A hosted call as the model saw it: `{"name", "arguments", "output"}` (its tool's `render`)."""
