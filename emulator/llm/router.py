"""The model map: which litellm model (and options) a requested model name goes to."""

from __future__ import annotations

import os
from typing import Any

from emulator.settings import ModelRoute


def route_entry(model_map: dict[str, ModelRoute], requested: str) -> ModelRoute | None:
    """The model-map entry a requested name goes to, if any."""
    entry = model_map.get(requested)
    if entry is None and not requested.startswith("scripted/"):  # the project's own models stay put
        entry = model_map.get("*")
    return entry


class ModelRouter:
    def __init__(self, model_map: dict[str, ModelRoute]) -> None:
        self._map = model_map

    def _entry(self, requested: str) -> ModelRoute | None:
        return route_entry(self._map, requested)

    def tool_calling(self, requested: str) -> tuple[str, int | None]:
        """`native`, `auto` (emulator/llm/auto_tools.py) or `json` (emulator/llm/json_tools.py), and the
        limit on tool rounds per run."""
        entry = self._entry(requested)
        return (entry.tool_calling or "native", entry.max_tool_rounds) if entry else ("native", None)

    def route(self, requested: str) -> tuple[str, dict[str, Any]]:
        """The litellm model string and extra keyword arguments for a requested name."""
        entry = self._entry(requested)
        if entry is None:
            return requested, {}
        kwargs: dict[str, Any] = dict(entry.params)
        if entry.api_base:
            kwargs["api_base"] = entry.api_base
        if entry.api_key_env:
            kwargs["api_key"] = os.environ.get(entry.api_key_env)
        if entry.api_base and not kwargs.get("api_key"):
            # Local OpenAI-compatible servers need no key, but the client library insists on one.
            kwargs["api_key"] = "no-key"
        return entry.model, kwargs
