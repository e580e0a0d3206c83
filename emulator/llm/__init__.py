"""The model seam: every model call goes through litellm.

`ModelClient.stream()` turns a chat request into a stream of `TextDelta`,
`ToolCallDelta` and a final `Finish`, whatever the provider; `ChatModel` is what
the run engine needs of it. The project's own provider (the scripted model)
registers with litellm's custom-provider map, once per process, so tests take the
same path as real models. Record and replay wrap this seam from above
(`emulator.recording`).

May import: the bottom modules (settings, tokens) and litellm. Not the store, the
tools, the engine, recording or anything above them.
"""

from emulator.llm.client import ChatModel, ModelClient
from emulator.llm.types import ChatRequest, Finish, ModelError, TextDelta, ToolCallDelta

__all__ = ["ChatModel", "ChatRequest", "Finish", "ModelClient", "ModelError", "TextDelta", "ToolCallDelta"]
