"""What the agent loop tells a face, in the order it happens.

One model turn: `TextDelta`s, then `TextDone` when the text ends (at the turn's end, or when the
model moves on to tool calls), `ToolCallDelta`s as the model writes calls, and `TurnEnded`.
A tool round, when the turn called tools: for each hosted call in order, `HostedCallStarted` and
`HostedCallDone`; then `ToolRoundEnded`, which names the function calls left for the client to run. The loop
ends with `LoopFinished`, unless it stopped for function calls (`ToolRoundEnded.pending`), or an
exception (a model error, cancellation) ended it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.tools import AnnotatedText


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)

    def as_dict(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.total_tokens}


@dataclass(frozen=True)
class TextDelta:
    """Answer text as the model writes it."""

    text: str


@dataclass(frozen=True)
class TextDone:
    """The answer text of this turn is complete, annotated by the hosted tools."""

    answer: AnnotatedText
    truncated: bool
    """The model stopped at its token limit mid-answer."""
    usage: Usage | None
    """The turn's usage when the text is the last thing the turn produced; None when tool calls follow."""


@dataclass(frozen=True)
class ToolCallDelta:
    """A tool call as the model writes it: `started` on the call's first delta (with its id and name)."""

    index: int
    call_id: str
    name: str
    arguments: str
    started: bool
    hosted: bool


@dataclass(frozen=True)
class ToolCall:
    """A tool call as the model finished writing it."""

    index: int
    call_id: str
    name: str
    arguments: str
    hosted: bool


@dataclass(frozen=True)
class TurnEnded:
    finish_reason: str
    usage: Usage
    calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class HostedCallStarted:
    """A hosted call begins to run; `shown` is what to show meanwhile (its code, say), if anything."""

    call: ToolCall
    shown: dict[str, Any] | None


@dataclass(frozen=True)
class HostedCallDone:
    """A hosted call finished: `result` is its tool call object (input and outputs) as a dict."""

    call: ToolCall
    shown: dict[str, Any] | None
    result: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    """What the tool found beyond `result` (`HostedTool.call_details`: file_search's result texts)."""
    model_view: tuple[str, str] = ("", "")
    """The call as the model reads it back: (arguments, output), the tool's `render`."""


@dataclass(frozen=True)
class ToolRoundEnded:
    """Every hosted call of the turn ran; `pending` are the client's function calls, which the loop stops for."""

    pending: tuple[ToolCall, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class LoopFinished:
    status: Literal["completed", "incomplete"]
    reason: str | None = None
    """Why it is incomplete: `max_completion_tokens` or `max_prompt_tokens`."""


AgentEvent = (TextDelta | TextDone | ToolCallDelta | TurnEnded | HostedCallStarted
              | HostedCallDone | ToolRoundEnded | LoopFinished)
