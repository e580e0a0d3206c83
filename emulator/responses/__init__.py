"""The Responses face of the agent loop: responses, their output items and `response.*` stream events.

`items.py` turns input into items and items into the model's chat messages; `projection.py` turns
the loop's neutral events into output items and stream events (the order of a response's stream
lives there); `engine.py` runs each response's loop as a task (synchronous, streamed or in the
background), with cancel, stream resumption and recovery at start; `request.py` makes a create
request into the loop's request and tool scope.

May import: the agent loop, the tools, the runtime, the store and the bottom modules; never the
services, the api or the Assistants face (`emulator.engine`).
"""

from emulator.responses.engine import ResponseEngine, ResponseJob

__all__ = ["ResponseEngine", "ResponseJob"]
