"""Helpers for the `openai` SDK's pydantic models that every API object is."""

from __future__ import annotations

from typing import Any, TypeVar

from openai.types import FileObject
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def revise(obj: M, **fields: Any) -> M:
    """A validated copy of `obj` with `fields` changed (nested dicts become models)."""
    data = obj.model_dump(exclude_unset=True)
    data.update({k: v.model_dump(exclude_unset=True) if isinstance(v, BaseModel) else v for k, v in fields.items()})
    return type(obj).model_validate(data)


class File(FileObject):
    """The SDK's FileObject taking any purpose: uploads accept `evals` (and OpenAI answers with it), which
    the SDK's `purpose` Literal, like the spec's response enum, lacks."""

    purpose: str  # type: ignore[assignment]
