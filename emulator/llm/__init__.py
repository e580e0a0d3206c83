"""The model seam: every model call goes through litellm.

`ModelClient.stream()` turns a chat request into a stream of `TextDelta`,
`ToolCallDelta` and a final `Finish`, whatever the provider. The project's own
providers (the scripted model) register with litellm's custom-provider map, so
tests take the same path as real models. In record and replay mode the client is
wrapped (`recording.py`): calls are written to, or answered from, a cassette
(`cassette.py`).
"""

from emulator.llm.client import ModelClient
from emulator.llm.types import ChatRequest, Finish, ModelError, TextDelta, ToolCallDelta

__all__ = ["ChatRequest", "Finish", "ModelClient", "ModelError", "TextDelta", "ToolCallDelta"]
