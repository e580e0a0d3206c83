"""The agent loop, once, for every API face.

Given a request (model, tools, options, the tool scope) and a face, the loop runs model turns
through the model seam (`emulator.llm`), executes hosted tools through the tool registry
(`emulator.tools`), stops for client-side function calls, and tells the face what happened as
neutral events (`events.py`). A face (the Assistants runs in `emulator.engine`; the Responses
API next) turns those events into its own objects and stream events, and gives the loop the
conversation so far (`Face.prompt`).

This package imports only from below it: `emulator.llm`, `emulator.tools`, and bottom modules.
"""

from emulator.agent import events
from emulator.agent.face import Face, PromptTooLong
from emulator.agent.loop import AgentLoop
from emulator.agent.request import AgentRequest

__all__ = ["AgentLoop", "AgentRequest", "Face", "PromptTooLong", "events"]
