"""A response's prompt fitted to its budget: truncation `auto` drops the oldest messages, `disabled` refuses."""

from __future__ import annotations

from typing import Any

from emulator import tokens
from emulator.agent import PromptTooLong


def fit(system: list[dict[str, Any]], messages: list[dict[str, Any]], budget: int | None,
        drop_oldest: bool) -> list[dict[str, Any]]:
    """`system` then `messages`, within `budget` tokens (None: no cap); PromptTooLong when they cannot fit.

    Dropping starts at the oldest message and never leaves a tool result without the call before it."""
    if budget is None:
        return system + messages
    fixed = tokens.count_chat(system)
    sizes = [tokens.count_chat([m]) for m in messages]
    total = fixed + sum(sizes)
    start = 0
    while drop_oldest and total > budget and start < len(messages) - 1:
        total -= sizes[start]
        start += 1
        while start < len(messages) - 1 and messages[start]["role"] == "tool":
            total -= sizes[start]
            start += 1
    if total > budget:
        raise PromptTooLong()
    return system + messages[start:]
