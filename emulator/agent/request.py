"""What a face asks the loop to do: the model, its tools and options, and the tools' scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.tools import ToolScope


@dataclass(frozen=True)
class AgentRequest:
    model: str
    scope: ToolScope
    tools: tuple[dict[str, Any], ...] = ()
    """In the order given: client functions in chat-completions form (`{"type": "function", "function":
    {...}}`) and hosted tools by type (`{"type": "code_interpreter"}`)."""
    tool_choice: Any = None
    """None, "auto", "none", "required", `{"type": "function", "function": {"name": ...}}`, or a hosted
    tool by type (`{"type": "file_search"}`). A forced choice applies to the loop's first model call."""
    parallel_tool_calls: bool | None = None
    response_format: dict[str, Any] | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_prompt_tokens: int | None = None
    max_completion_tokens: int | None = None
    max_model_calls: int = 20
    max_hosted_calls: int | None = None
    """Hosted tool calls the loop runs at most; once reached, the model is no longer offered hosted tools."""
