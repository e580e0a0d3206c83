"""From a run's settings to the chat request's tools, tool_choice and response_format."""

from __future__ import annotations

from typing import Any

from openai.types.beta.threads import Run

from emulator.tools import ToolRegistry


def chat_tools(run: Run, tools: ToolRegistry) -> list[dict[str, Any]]:
    result = []
    for tool in run.tools:
        if tool.type == "function":
            result.append({"type": "function", "function": tool.function.model_dump(exclude_none=True)})
        elif (hosted := tools.for_type(tool.type)) is not None:
            result.append(hosted.definition(run))
    return result


def chat_tool_choice(run: Run, tools: ToolRegistry) -> Any:
    choice = run.tool_choice
    if choice is None or isinstance(choice, str):
        return choice
    if choice.type == "function" and choice.function is not None:
        return {"type": "function", "function": {"name": choice.function.name}}
    hosted = tools.for_type(choice.type)
    return {"type": "function", "function": {"name": hosted.function_name}} if hosted else "auto"


def chat_response_format(run: Run) -> dict[str, Any] | None:
    fmt = run.response_format
    if fmt is None or isinstance(fmt, str) or fmt.type == "text":
        return None
    return fmt.model_dump(exclude_none=True)
