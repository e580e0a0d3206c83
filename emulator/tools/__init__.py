"""Hosted tools: tools the emulator runs itself (code_interpreter, file_search).

Function tools are the client's to run (the run stops in `requires_action`);
a hosted tool is executed by the engine during the run. Each hosted tool
tells the model how to call it (a function schema), runs a call, and renders a
finished call back into the conversation.
"""

from __future__ import annotations

from typing import Any, Protocol

from openai.types.beta.threads import Run


class HostedTool(Protocol):
    type: str
    """The assistant tool type it implements, e.g. `code_interpreter`."""
    function_name: str
    """The name the model calls it by."""

    def definition(self, run: Run) -> dict[str, Any]:
        """The chat-completions tool schema shown to the model."""

    async def execute(self, run: Run, call_id: str, arguments: str) -> Any:
        """Run one call; returns the run step's tool call object (with its outputs)."""

    def render(self, call: Any) -> tuple[str, str]:
        """A finished call as the model sees it again: (arguments, output)."""


class ToolRegistry:
    def __init__(self, tools: list[HostedTool] | None = None) -> None:
        self._by_type = {t.type: t for t in tools or []}
        self._by_function = {t.function_name: t for t in tools or []}

    def for_type(self, tool_type: str) -> HostedTool | None:
        return self._by_type.get(tool_type)

    def for_function(self, name: str) -> HostedTool | None:
        return self._by_function.get(name)
