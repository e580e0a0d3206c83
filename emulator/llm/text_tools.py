"""Tool calls written as text: the formats local models emit, parsed back into calls.

Local servers often return a model's tool call as plain text, in the format its chat
template taught it:

- Hermes / Qwen: `<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>`
- Llama 3.x: `<|python_tag|>{"name": ..., "parameters": {...}}`, or the bare object
- Mistral: `[TOOL_CALLS][{"name": ..., "arguments": {...}}]` (or `[TOOL_CALLS]name[ARGS]{...}`)
- a bare JSON object (or list of them) naming a known tool, often inside a code fence

`parse_tool_text` finds them in a complete reply; the text around them stays message text.
Arguments that are not quite JSON are repaired when the intent is unambiguous (trailing
commas, single quotes, Python literals); otherwise the call carries an `error` the model is
shown so it can try again. `call_may_start` is the streaming side: where in a partial
reply a tool call may be starting, so text is held back only from there.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

# Markers that announce a tool call whatever follows them.
TAGS = ("<tool_call>", "<|python_tag|>", "[TOOL_CALLS]", "<function_call>", "<|tool_call|>")
_CLOSING = re.compile(r"</tool_call>|</function_call>|<\|eom_id\|>|<\|eot_id\|>|<\|/tool_call\|>")
_FENCE = re.compile(r"```[ \t]*([\w-]*)[ \t]*\n(.*?)(?:\n[ \t]*```|\Z)", re.DOTALL)
_MISTRAL_ARGS = re.compile(r"\s*([A-Za-z_][\w.-]*)\[ARGS\]")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_NAME_KEYS = ("name", "tool_name", "function_name")
_ARGUMENT_KEYS = ("arguments", "parameters", "args", "input")


@dataclass
class TextCall:
    name: str
    arguments: str
    """A JSON object, as text (what a chat-completions tool call carries)."""
    error: str | None = None
    """Why the call cannot be used as it is (shown to the model so it can correct it)."""
    raw: str = ""


@dataclass
class ParsedText:
    text: str
    """The reply without its tool calls (text before and after them, joined)."""
    calls: list[TextCall] = field(default_factory=list)


def parse_tool_text(text: str, tool_names: set[str]) -> ParsedText:
    """The tool calls in a complete reply, and the text left around them."""
    calls: list[TextCall] = []
    kept: list[str] = []
    position = 0
    while position < len(text):
        found = _next_call(text, position, tool_names)
        if found is None:
            break
        start, end, found_calls = found
        kept.append(text[position:start])
        calls.extend(found_calls)
        position = end
    kept.append(text[position:])
    if not calls:
        return ParsedText(text)
    # Separators left between calls ("}, {", "};") are not text for the user.
    return ParsedText("\n".join(part.strip() for part in kept if part.strip(" \t\r\n,;")), calls)


def _next_call(text: str, position: int, tool_names: set[str]) -> tuple[int, int, list[TextCall]] | None:
    """The first tool call at or after `position`: (start, end, calls)."""
    # Each candidate: (start, the tag found, or the fence's match).
    candidates: list[tuple[int, str | re.Match[str]]] = sorted(
        [(i, tag) for tag in TAGS if (i := text.find(tag, position)) != -1]
        + [(m.start(), m) for m in _FENCE.finditer(text, position)],
        key=lambda c: c[0])
    for start, what in candidates:
        if isinstance(what, str):
            body_start = start + len(what)
            closing = _CLOSING.search(text, body_start)
            body_end = closing.start() if closing else len(text)
            end = closing.end() if closing else len(text)
            calls = _calls_in_tagged(text[body_start:body_end], what, tool_names)
            if calls:
                return start, end, calls
        else:
            body = what.group(2).strip()
            inner = parse_tool_text(body, tool_names)
            if inner.calls and not inner.text:
                return start, what.end(), inner.calls
    return _next_bare_json(text, position, tool_names, before=min((c[0] for c in candidates), default=len(text)))


def _next_bare_json(text: str, position: int, tool_names: set[str], before: int) -> tuple[int, int, list[TextCall]] | None:
    """A JSON object or list naming a known tool, starting before `before` (a tagged call's start)."""
    for match in re.finditer(r"[{\[]", text[position:before]):
        start = position + match.start()
        end = _balanced_end(text, start)
        if end is None:
            continue
        value = _loads_lenient(text[start:end])
        calls = _calls_from_value(value, tool_names, require_known=True) if value is not None else []
        if calls:
            return start, end, calls
    return None


def _calls_in_tagged(body: str, tag: str, tool_names: set[str]) -> list[TextCall]:
    """Calls inside a tag: the model said it is calling, so a broken call is an error, not text."""
    body = body.strip()
    fenced = _FENCE.fullmatch(body + ("\n```" if body.startswith("```") and not body.endswith("```") else ""))
    if fenced:
        body = fenced.group(2).strip()
    if tag == "[TOOL_CALLS]" and (named := _MISTRAL_ARGS.match(body)):  # [TOOL_CALLS]name[ARGS]{...}
        return [_call(named.group(1), body[named.end():].strip(), tool_names)]
    calls: list[TextCall] = []
    position = 0
    while position < len(body):  # one or more objects, a list, or objects separated by newlines
        start = next((i for i in range(position, len(body)) if body[i] in "{["), None)
        if start is None:
            break
        end = _balanced_end(body, start) or len(body)
        chunk = body[start:end]
        value = _loads_lenient(chunk)
        found = _calls_from_value(value, tool_names, require_known=False) if value is not None else []
        if not found:
            name = _guess_name(chunk)
            found = [TextCall(name or "", "{}", error=_unreadable(chunk, name), raw=chunk)]
        calls.extend(found)
        position = end
    if not calls and (python := re.match(r"([A-Za-z_][\w.]*)\((.*)\)\s*$", body, re.DOTALL)):
        calls.append(_python_call(python.group(1), python.group(2), tool_names))  # Llama's python form
    return calls


def _calls_from_value(value: Any, tool_names: set[str], require_known: bool) -> list[TextCall]:
    if isinstance(value, dict) and isinstance(value.get("tool_calls"), list):
        value = value["tool_calls"]
    items = value if isinstance(value, list) else [value]
    calls = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("function"), dict):
            item = item["function"]  # the OpenAI shape: {"type": "function", "function": {...}}
        if not isinstance(item, dict):
            return []
        name = next((item[k] for k in _NAME_KEYS if isinstance(item.get(k), str)), None)
        if name is None or (require_known and name not in tool_names):
            return []
        arguments: Any = next((item[k] for k in _ARGUMENT_KEYS if k in item), {})
        calls.append(_call(name, arguments, tool_names))
    return calls


def _call(name: str, arguments: Any, tool_names: set[str]) -> TextCall:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    if isinstance(arguments, str):
        parsed = _loads_lenient(arguments) if arguments.strip() else {}
        if isinstance(parsed, str):  # arguments encoded twice: "{\"city\": \"Oslo\"}"
            parsed = _loads_lenient(parsed)
    else:
        parsed = arguments
    if name not in tool_names:
        known = ", ".join(sorted(tool_names)) or "none"
        return TextCall(name, "{}", error=f"there is no tool named {name!r}; the tools are: {known}", raw=raw)
    if not isinstance(parsed, dict):
        return TextCall(name, "{}", raw=raw, error=f"the arguments of {name} must be a JSON object, got: {raw[:200]}")
    return TextCall(name, json.dumps(parsed, ensure_ascii=False), raw=raw)


def _python_call(name: str, arguments: str, tool_names: set[str]) -> TextCall:
    """`get_weather(city="Oslo")`, as Llama 3.x writes built-in tool calls."""
    try:
        call = ast.parse(f"f({arguments})", mode="eval").body
        values = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}  # type: ignore[attr-defined]
    except (SyntaxError, ValueError):
        return TextCall(name, "{}", error=f"the arguments of {name} could not be read: {arguments[:200]}")
    return _call(name, values, tool_names)


def _unreadable(chunk: str, name: str | None) -> str:
    shown = chunk if len(chunk) <= 200 else chunk[:200] + "..."
    what = f"the call of {name}" if name else "the tool call"
    return f"{what} is not valid JSON ({shown}); write it as {{\"name\": ..., \"arguments\": {{...}}}}"


def _guess_name(chunk: str) -> str | None:
    found = re.search(r"[\"']name[\"']\s*:\s*[\"']([\w.-]+)[\"']", chunk)
    return found.group(1) if found else None


def _loads_lenient(text: str) -> Any:
    """JSON, or the unambiguous near-JSON small models write; None when it is neither."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    without_commas = _TRAILING_COMMA.sub(r"\1", text)
    try:
        return json.loads(without_commas)
    except ValueError:
        pass
    # Single quotes and Python literals: Python's own parser reads them exactly, or not at all.
    pythonic = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", re.sub(r"\bnull\b", "None", without_commas)))
    try:
        value = ast.literal_eval(pythonic)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, (dict, list)) else None


def _balanced_end(text: str, start: int) -> int | None:
    """The index after the bracket that closes the one at `start` (strings respected), or None."""
    closing = {"{": "}", "[": "]"}
    stack: list[str] = []
    quote: str | None = None
    escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in closing:
            stack.append(closing[ch])
        elif ch in "}]":
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                return i + 1
    return None


# -- streaming: where a call may be starting -----------------------------------------------------

_STILL_POSSIBLE_OBJECT = re.compile(r"""^\{\s*(?:["'](?:[\w-]*["']?\s*:?.*)?)?$""", re.DOTALL)
_CALL_FENCES = ("", "json", "tool_call", "tool_code", "xml")
_CALL_KEYS = re.compile(r"""^\{\s*["'](\w+)["']\s*:""")


def call_may_start(text: str, position: int = 0) -> int | None:
    """The index at or after `position` from which `text` (a partial reply) may be a tool call.

    Text before it can be shown; text from it on is held until the reply proves it a call or
    not. None: nothing that could still become a call.
    """
    i = position
    while i < len(text):
        ch = text[i]
        if ch in "<[" and _tag_prefix(text, i):
            return i
        if ch == "`":
            if _fence_may_hold_call(text[i:]):
                return i
        elif ch in "{[" and _json_may_be_call(text[i:]):
            return i
        i += 1
    return None


def _tag_prefix(text: str, i: int) -> bool:
    rest = text[i:]
    return any(rest.startswith(tag) or tag.startswith(rest) for tag in TAGS)


def _fence_may_hold_call(rest: str) -> bool:
    if len(rest) < 3:
        return "```".startswith(rest)  # "`" or "``" at the end: maybe a fence
    if not rest.startswith("```"):
        return False
    newline = rest.find("\n")
    language = rest[3:newline if newline != -1 else len(rest)].strip().lower()
    if newline == -1:  # the fence's language is still being written
        return any(known.startswith(language) for known in _CALL_FENCES)
    if language not in _CALL_FENCES:
        return False
    body = rest[newline + 1:].lstrip()
    return not body or body[0] in "{[<" or any(tag.startswith(body[:len(tag)]) for tag in TAGS)


def _json_may_be_call(rest: str) -> bool:
    if rest[0] == "[":
        inner = rest[1:].lstrip()
        return not inner or inner[0] == "{" and _json_may_be_call(inner)
    keyed = _CALL_KEYS.match(rest)
    if keyed:
        return keyed.group(1) in (*_NAME_KEYS, "tool_calls", "type", "function", *_ARGUMENT_KEYS)
    return bool(_STILL_POSSIBLE_OBJECT.match(rest[:80])) if len(rest) < 80 else False
