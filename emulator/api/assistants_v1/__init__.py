"""Assistants API v1 on top of the v2 machinery, for requests marked `OpenAI-Beta: assistants=v1`.

The edge (`emulator.api.wire`) sends such requests through `dialect.V1Dialect`, a pure ASGI layer:
request bodies are rewritten into v2 before the normal routes run (`requests`: `retrieval` ->
`file_search` over an automatic vector store, `file_ids` -> `tool_resources` or message
`attachments`), and JSON responses (objects, lists, and server-sent events) back into v1 shape
(`responses`). The v1-only `/assistants/{id}/files` and `/threads/{t}/messages/{m}/files` endpoints
are routes that exist only for v1 requests (`files`). Requests without the header never come near
this code.
"""

from emulator.api.assistants_v1.dialect import V1Dialect, is_v1

__all__ = ["V1Dialect", "is_v1"]
