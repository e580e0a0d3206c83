"""One model call's stream, told to the face as neutral events.

Text is answered as it comes; when the model moves on to tool calls, or the turn ends, the
text is done and the hosted tools annotate it (citations, file links).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from emulator import llm
from emulator.agent.events import AgentEvent, TextDelta, TextDone, ToolCall, ToolCallDelta, TurnEnded, Usage
from emulator.ids import IdFactory
from emulator.tools import AnnotatedText, ToolRegistry, ToolScope


@dataclass
class _Draft:
    call_id: str
    hosted: bool
    name: str = ""
    arguments: str = ""


class TurnAssembler:
    def __init__(self, ids: IdFactory, tools: ToolRegistry, scope: ToolScope,
                 emit: Callable[[AgentEvent], None]) -> None:
        self._ids = ids
        self._tools = tools
        self._scope = scope
        self._emit = emit
        self._text: list[str] | None = None
        """The open text's parts; None when no text is open."""
        self._drafts: dict[int, _Draft] = {}

    def feed(self, item: llm.TextDelta | llm.ToolCallDelta) -> None:
        if isinstance(item, llm.TextDelta):
            if self._text is None:
                self._text = []
            self._text.append(item.text)
            self._emit(TextDelta(item.text))
        else:
            self._on_tool_call(item)

    def _on_tool_call(self, delta: llm.ToolCallDelta) -> None:
        if self._text is not None:
            self._close_text(truncated=False, usage=None)
        draft = self._drafts.get(delta.index)
        started = draft is None
        if draft is None:
            call_id = delta.id or self._ids.new("call_")
            draft = self._drafts[delta.index] = _Draft(call_id, self._tools.for_function(delta.name or "") is not None)
        if delta.name and not draft.name:
            draft.name = delta.name
        draft.arguments += delta.arguments
        self._emit(ToolCallDelta(delta.index, draft.call_id, draft.name,
                                 delta.arguments, started, draft.hosted))

    def _close_text(self, truncated: bool, usage: Usage | None) -> None:
        answer = AnnotatedText("".join(self._text or []))
        for tool in self._tools.enabled(self._scope):
            answer = tool.annotate(self._scope, answer)
        self._text = None
        self._emit(TextDone(answer, truncated, usage))

    def finish(self, finish: llm.Finish) -> TurnEnded:
        """Close the open text and tell the turn's end; the calls are the tool round's to run."""
        usage = Usage(finish.prompt_tokens, finish.completion_tokens)
        calls = tuple(ToolCall(position, d.call_id, d.name, d.arguments, d.hosted)
                      for position, d in enumerate(self._drafts[i] for i in sorted(self._drafts)))
        if self._text is not None:
            self._close_text(truncated=finish.reason == "length" and not calls, usage=None if calls else usage)
        ended = TurnEnded(finish.reason, usage, calls)
        self._emit(ended)
        return ended
