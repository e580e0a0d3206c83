"""The Assistants API's stream events: `thread.*` events made from SDK objects, and the end frame."""

from __future__ import annotations

from pydantic import BaseModel

from emulator.signals import Event

TERMINAL_RUN_EVENTS = frozenset(
    {
        "thread.run.completed",
        "thread.run.failed",
        "thread.run.cancelled",
        "thread.run.expired",
        "thread.run.incomplete",
        "thread.run.requires_action",
    }
)

DONE = b"event: done\ndata: [DONE]\n\n"


def run_event(name: str, obj: BaseModel) -> Event:
    """The event `name` carrying `obj`. Only the fields set are sent: deltas carry just what changed,
    as OpenAI sends them."""
    return Event(name, obj.model_dump_json(exclude_unset=True, by_alias=True),
                 ends_stream=name in TERMINAL_RUN_EVENTS or name == "error",
                 changes_status=name.startswith("thread.run.") and not name.startswith("thread.run.step"))
