"""A create request as the agent loop's request: tools, tool choice, output format, limits, the tools' scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.agent import AgentRequest
from emulator.tools import ToolScope

_HOSTED = ("file_search", "code_interpreter")


def agent_request(body: dict[str, Any], response_id: str, container_id: str | None, code_file_ids: list[str],
                  max_model_calls: int) -> AgentRequest:
    tools = body.get("tools") or []
    return AgentRequest(
        model=body["model"], scope=tool_scope(tools, response_id, body["model"], container_id, code_file_ids),
        tools=tuple(_chat_tool(t) for t in tools if t["type"] == "function" or t["type"] in _HOSTED),
        tool_choice=_tool_choice(body.get("tool_choice")), parallel_tool_calls=body.get("parallel_tool_calls"),
        response_format=_response_format(body.get("text")), temperature=body.get("temperature"),
        top_p=body.get("top_p"), max_completion_tokens=body.get("max_output_tokens"),
        max_model_calls=max_model_calls, max_hosted_calls=body.get("max_tool_calls"),
    )


def tool_scope(tools: list[dict[str, Any]], response_id: str, model: str, container_id: str | None,
               code_file_ids: list[str]) -> ToolScope:
    """A response's hosted tools see its container (the code_interpreter's sandbox session, or the response
    itself without one) and its file_search tool's vector stores and options."""
    options: dict[str, Mapping[str, Any]] = {}
    vector_stores: list[str] = []
    for tool in tools:
        if tool["type"] == "file_search":
            vector_stores += tool.get("vector_store_ids", [])
            options["file_search"] = {k: v for k, v in tool.items()
                                      if k in ("max_num_results", "ranking_options", "filters")}
    return ToolScope(
        loop_id=response_id, session_id=container_id or response_id, model=model,
        tool_types=tuple(dict.fromkeys(t["type"] for t in tools if t["type"] in _HOSTED)), options=options,
        code_file_ids=tuple(code_file_ids), vector_store_ids=tuple(dict.fromkeys(vector_stores)),
        container_id=container_id,
    )


def _chat_tool(tool: dict[str, Any]) -> dict[str, Any]:
    if tool["type"] != "function":
        return {"type": tool["type"]}
    function = {"name": tool["name"], "parameters": tool.get("parameters") or {"type": "object", "properties": {}}}
    if tool.get("description"):
        function["description"] = tool["description"]
    if tool.get("strict") is not None:
        function["strict"] = tool["strict"]
    return {"type": "function", "function": function}


def _tool_choice(choice: Any) -> Any:
    if choice is None or isinstance(choice, str):
        return choice
    kind = choice.get("type")
    if kind == "function":
        return {"type": "function", "function": {"name": choice["name"]}}
    if kind == "allowed_tools":
        return "required" if choice.get("mode") == "required" else "auto"
    return {"type": kind} if kind in _HOSTED else "auto"


def _response_format(text: dict[str, Any] | None) -> dict[str, Any] | None:
    fmt = (text or {}).get("format")
    if not fmt or fmt.get("type") == "text":
        return None
    if fmt["type"] == "json_schema":
        schema = {k: fmt[k] for k in ("name", "schema", "description", "strict") if k in fmt}
        return {"type": "json_schema", "json_schema": schema}
    return {"type": fmt["type"]}
