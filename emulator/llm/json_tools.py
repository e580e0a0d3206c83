"""Tool calling for models without native tool calls: ask for JSON, parse it back into calls.

With `tool_calling = "json"` on a model-map entry, the tools are described in the system
prompt and the model must answer with one JSON object, either

    {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}
or  {"answer": "plain text for the user"}

The request also asks for a JSON response (`response_format`), which llama.cpp's server
enforces with a grammar. Earlier tool rounds are shown to the model as plain messages, since
such models' chat templates often reject the `tool` role. Output that is not one of those two
shapes fails the run with a message that quotes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

from emulator.llm.types import ChatRequest, Finish, ModelError, TextDelta, ToolCallDelta

_INSTRUCTIONS = """You can call these tools:
{tools}

Reply with exactly one JSON object and nothing else:
- to call tools: {{"tool_calls": [{{"name": "<tool name>", "arguments": {{...}}}}]}}
- to answer the user: {{"answer": "<your answer>"}}
{choice}"""


def response_schema(request: ChatRequest) -> dict[str, Any]:
    """The reply's JSON schema; a server with grammars (llama.cpp) makes the model follow it.

    When a tool call is required, the schema only allows calls, of the allowed names.
    """
    choice = request.tool_choice
    tools = request.tools
    if isinstance(choice, dict) and choice.get("function"):
        tools = [t for t in tools if t["function"]["name"] == choice["function"]["name"]] or tools
    variants = [{"type": "object", "properties": {"name": {"const": t["function"]["name"]},
                                                  "arguments": _arguments_schema(t)},
                 "required": ["name", "arguments"]} for t in tools]
    calls: dict[str, Any] = {"type": "array", "minItems": 1,
                             "items": variants[0] if len(variants) == 1 else {"anyOf": variants}}
    if request.parallel_tool_calls is False or isinstance(choice, dict):
        calls["maxItems"] = 1
    if choice == "required" or isinstance(choice, dict):
        return {"type": "object", "properties": {"tool_calls": calls}, "required": ["tool_calls"]}
    if choice == "none":
        return {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    return {"type": "object", "properties": {"tool_calls": calls, "answer": {"type": "string"}}}
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


def _arguments_schema(tool: dict[str, Any]) -> dict[str, Any]:
    parameters = tool["function"].get("parameters")
    if isinstance(parameters, dict) and parameters.get("type") == "object" and parameters.get("properties"):
        return parameters
    return {"type": "object"}


def json_request(request: ChatRequest) -> ChatRequest:
    """The request rewritten for a model that only writes text."""
    described = "\n".join(
        f"- {t['function']['name']}: {t['function'].get('description') or ''} "
        f"Arguments (JSON schema): {json.dumps(t['function'].get('parameters') or {'type': 'object'})}"
        for t in request.tools
    )
    system = _INSTRUCTIONS.format(tools=described, choice=_choice_rule(request.tool_choice))
    messages = [_plain(m) for m in request.messages]
    if messages and messages[0]["role"] == "system":
        messages[0] = {"role": "system", "content": f"{messages[0]['content']}\n\n{system}"}
    else:
        messages.insert(0, {"role": "system", "content": system})
    return replace(request, messages=messages, tools=[], tool_choice=None, parallel_tool_calls=None,
                   response_format={"type": "json_object", "schema": response_schema(request)})


def _choice_rule(choice: Any) -> str:
    if choice == "required":
        return "You must call at least one tool now."
    if choice == "none":
        return "Do not call tools now; answer the user."
    if isinstance(choice, dict) and choice.get("function"):
        return f"You must call the tool {choice['function']['name']} now."
    return ""


def _plain(message: dict[str, Any]) -> dict[str, Any]:
    """Tool rounds as ordinary assistant/user messages."""
    if message["role"] == "tool":
        return {"role": "user", "content": f"Tool result (call {message['tool_call_id']}): {message['content']}"}
    if message["role"] == "assistant" and message.get("tool_calls"):
        calls = [{"name": c["function"]["name"], "arguments": _loads(c["function"]["arguments"])}
                 for c in message["tool_calls"]]
        return {"role": "assistant", "content": json.dumps({"tool_calls": calls})}
    return message


def _loads(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return text


def parse_reply(text: str) -> list[TextDelta | ToolCallDelta]:
    """The model's JSON reply as stream items; raises ModelError when it is neither shape."""
    cleaned = _FENCE.sub("", text.strip())
    start, end = cleaned.find("{"), cleaned.rfind("}")
    try:
        reply = json.loads(cleaned[start : end + 1]) if start != -1 else None
    except ValueError:
        reply = None
    if isinstance(reply, dict) and isinstance(reply.get("tool_calls"), list) and reply["tool_calls"]:
        items: list[TextDelta | ToolCallDelta] = []
        for index, call in enumerate(reply["tool_calls"]):
            if not isinstance(call, dict) or not isinstance(call.get("name"), str):
                break
            arguments = call.get("arguments", {})
            items.append(ToolCallDelta(index=index, id=None, name=call["name"],
                                       arguments=arguments if isinstance(arguments, str) else json.dumps(arguments)))
        else:
            return items
    if isinstance(reply, dict) and isinstance(reply.get("answer"), str):
        return [TextDelta(reply["answer"])]
    shown = text if len(text) <= 300 else text[:300] + "..."
    raise ModelError("server_error", "The model's reply is neither a tool call nor an answer in the JSON format "
                     f"it was asked for (tool_calling = \"json\"): {shown!r}")


def tool_rounds_so_far(messages: list[dict[str, Any]]) -> int:
    """Tool rounds since the last user message: how many times this run already called tools."""
    rounds = 0
    for message in reversed(messages):
        if message["role"] == "user":
            break
        if message["role"] == "assistant" and message.get("tool_calls"):
            rounds += 1
    return rounds


async def stream_with_json_tools(
    native: Callable[[ChatRequest], AsyncIterator[Any]], request: ChatRequest, max_rounds: int | None = None
) -> AsyncIterator[TextDelta | ToolCallDelta | Finish]:
    """Run `request` through a text-only model and yield what it meant as tool calls or text."""
    if max_rounds is not None and tool_rounds_so_far(request.messages) >= max_rounds:
        request = replace(request, tool_choice="none")  # enough tool rounds: now the model must answer
    parts: list[str] = []
    finish = Finish("stop", 0, 0)
    async for item in native(json_request(request)):
        if isinstance(item, TextDelta):
            parts.append(item.text)
        elif isinstance(item, Finish):
            finish = item
    items = parse_reply("".join(parts))
    for item in items:
        yield item
    reason = "tool_calls" if any(isinstance(i, ToolCallDelta) for i in items) else finish.reason
    yield Finish(reason, finish.prompt_tokens, finish.completion_tokens)
