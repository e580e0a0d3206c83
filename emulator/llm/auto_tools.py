"""`tool_calling = "auto"`: native tool calls when the server returns them, text-format calls otherwise.

The request goes out with its tools as usual, so the server renders them with the model's own
chat template. What comes back is passed through when it is native `tool_calls`; text is
streamed as it comes except from the point where it may be a tool call in one of the formats
local models write (`emulator/llm/text_tools.py`), which is held back until the reply ends and
then turned into real calls, the text around them kept as message text.

A call that cannot be used (arguments that are not JSON, a tool that does not exist) is shown
to the model as that call's tool error and the model is asked again, a few times at most; the
run fails only if the model call itself fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

from emulator.llm.json_tools import tool_rounds_so_far
from emulator.llm.text_tools import TextCall, call_may_start, parse_tool_text
from emulator.llm.types import ChatRequest, Finish, TextDelta, ToolCallDelta

MAX_CORRECTIONS = 2


class TextHoldBack:
    """Streamed text, released up to where a tool call may be starting."""

    def __init__(self) -> None:
        self._text = ""
        self._shown = 0

    def feed(self, delta: str) -> str:
        """Add a delta; returns the text that is now safe to show (may be empty)."""
        self._text += delta
        start = call_may_start(self._text, self._shown)
        safe = len(self._text) if start is None else start
        released = self._text[self._shown:safe]
        self._shown = max(self._shown, safe)
        return released

    @property
    def held(self) -> str:
        return self._text[self._shown:]

    @property
    def text(self) -> str:
        return self._text


async def stream_with_auto_tools(
    native: Callable[[ChatRequest], AsyncIterator[Any]], request: ChatRequest, max_rounds: int | None = None
) -> AsyncIterator[TextDelta | ToolCallDelta | Finish]:
    if max_rounds is not None and tool_rounds_so_far(request.messages) >= max_rounds:
        request = replace(request, tool_choice="none")  # enough tool rounds: now the model must answer
    names = {t["function"]["name"] for t in request.tools}
    if request.tool_choice == "none":  # no tools on offer, so nothing in the text is a call
        async for item in _answer_in_words(native, replace(request, tools=[], tool_choice=None,
                                                           parallel_tool_calls=None), names):
            yield item
        return
    prompt_tokens = completion_tokens = 0
    for attempt in range(MAX_CORRECTIONS + 1):
        holder = TextHoldBack()
        native_calls = False
        finish = Finish("stop", 0, 0)
        async for item in native(request):
            if isinstance(item, Finish):
                finish = item
            elif isinstance(item, ToolCallDelta):
                if not native_calls and holder.held.strip():
                    yield TextDelta(holder.held)
                native_calls = True
                yield item
            elif not native_calls and (shown := holder.feed(item.text)):
                yield TextDelta(shown)
        prompt_tokens += finish.prompt_tokens
        completion_tokens += finish.completion_tokens
        if native_calls:
            yield Finish("tool_calls", prompt_tokens, completion_tokens)
            return
        parsed = parse_tool_text(holder.held, names)
        broken = [c for c in parsed.calls if c.error]
        if broken and attempt < MAX_CORRECTIONS:
            corrections = correction_messages(parsed.calls, attempt)
            request = replace(request, messages=[*request.messages, *corrections])
            continue
        usable = [c for c in parsed.calls if not c.error]
        text = parsed.text if usable else holder.held
        if text:
            yield TextDelta(text)
        for index, call in enumerate(usable):
            yield ToolCallDelta(index=index, id=None, name=call.name, arguments=call.arguments)
        reason = "tool_calls" if usable else finish.reason
        yield Finish(reason, prompt_tokens, completion_tokens)
        return


_IN_WORDS = ("Tools are not available now. Answer the user's question in plain sentences, using the tool "
             "outputs above.")


async def _answer_in_words(native: Callable[[ChatRequest], AsyncIterator[Any]], request: ChatRequest,
                           names: set[str]) -> AsyncIterator[TextDelta | ToolCallDelta | Finish]:
    """An answer from a request without tools; a reply that is only a tool call is asked for again in words."""
    prompt_tokens = completion_tokens = 0
    for attempt in range(2):
        holder = TextHoldBack()
        finish = Finish("stop", 0, 0)
        async for item in native(request):
            if isinstance(item, Finish):
                finish = item
            elif isinstance(item, TextDelta) and (shown := holder.feed(item.text)):
                yield TextDelta(shown)
        prompt_tokens += finish.prompt_tokens
        completion_tokens += finish.completion_tokens
        parsed = parse_tool_text(holder.held, names)
        streamed = holder.text[:len(holder.text) - len(holder.held)]
        only_calls = not parsed.text or call_may_start(parsed.text) == 0  # calls, and maybe one cut short
        if attempt == 0 and parsed.calls and only_calls and not streamed.strip():
            request = replace(request, messages=[*request.messages, {"role": "assistant", "content": holder.held},
                                                 {"role": "user", "content": _IN_WORDS}])
            continue
        if holder.held:
            yield TextDelta(holder.held)
        yield Finish(finish.reason, prompt_tokens, completion_tokens)
        return


def correction_messages(calls: list[TextCall], attempt: int) -> list[dict[str, Any]]:
    """The model's unusable reply as a tool round whose outputs say what was wrong."""
    ids = [f"call_correction_{attempt}_{n}" for n in range(len(calls))]
    assistant = {"role": "assistant", "content": None, "tool_calls": [
        {"id": call_id, "type": "function", "function": {"name": call.name or "unknown", "arguments": call.raw or "{}"}}
        for call_id, call in zip(ids, calls)]}
    results = []
    for call_id, call in zip(ids, calls):
        if call.error:
            output = f"Error: {call.error}. Call the tool again with valid arguments, or answer without it."
        else:
            output = "Not run, because another call in the same reply was invalid. Call it again."
        results.append({"role": "tool", "tool_call_id": call_id, "content": output})
    return [assistant, *results]
