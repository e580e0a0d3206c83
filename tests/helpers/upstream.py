"""A stand-in upstream model: a tiny OpenAI-compatible chat-completions server on loopback.

It lets tests drive litellm's real OpenAI-compatible provider path (the one llama.cpp, vLLM,
LM Studio and Ollama's OpenAI endpoint use) without any network. It answers from a queue of
replies and records every request it receives.
"""

from __future__ import annotations

import json
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from emulator.testing import free_port


class Upstream:
    def __init__(self) -> None:
        self.replies: list[dict] = []
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.port = free_port()
        app = Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "Upstream":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "upstream did not start"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    async def _complete(self, request: Request):
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        reply = self.replies.pop(0) if self.replies else {"text": "(no reply queued)"}
        return StreamingResponse(self._chunks(body["model"], reply), media_type="text/event-stream")

    @staticmethod
    def _chunks(model: str, reply: dict):
        def frame(delta: dict, finish: str | None = None, usage: dict | None = None) -> str:
            chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            if usage is not None:
                chunk = {**chunk, "choices": [], "usage": usage}
            return f"data: {json.dumps(chunk)}\n\n"

        yield frame({"role": "assistant", "content": ""})
        for n, word in enumerate((reply.get("text") or "").split(" ")):
            yield frame({"content": word if n == 0 else " " + word})
        for index, call in enumerate(reply.get("tool_calls") or []):
            yield frame({"tool_calls": [{"index": index, "id": f"call_up{index}", "type": "function",
                                         "function": {"name": call["name"], "arguments": ""}}]})
            yield frame({"tool_calls": [{"index": index, "function": {"arguments": json.dumps(call["arguments"])}}]})
        yield frame({}, "tool_calls" if reply.get("tool_calls") else "stop")
        yield frame({}, usage={"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18})
        yield "data: [DONE]\n\n"
