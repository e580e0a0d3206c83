"""Streaming chat completions through litellm, normalised to `TextDelta`/`ToolCallDelta`/`Finish`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

from emulator import tokens
from emulator.llm import scripted
from emulator.llm.auto_tools import stream_with_auto_tools
from emulator.llm.json_tools import stream_with_json_tools
from emulator.llm.litellm_import import litellm
from emulator.llm.router import ModelRouter
from emulator.llm.types import ChatRequest, Finish, ModelError, TextDelta, ToolCallDelta
from emulator.settings import Settings

StreamItem = TextDelta | ToolCallDelta | Finish
CallObserver = Callable[[dict[str, Any]], None]
"""Told of each call made through litellm: the keyword arguments and what came back (see `_call_record`)."""


class ChatModel(Protocol):
    """What the run engine needs from a model client (`ModelClient`, or a wrapper around it)."""

    async def warm_up(self) -> None: ...

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamItem]: ...


class ModelClient:
    def __init__(self, router: ModelRouter, timeout_s: float, scripts_dir: Path,
                 observer: CallObserver | None = None) -> None:
        self._router = router
        self._timeout_s = timeout_s
        self._scripts_dir = scripts_dir
        self._observer = observer
        self._set_up: asyncio.Task[None] | None = None

    @property
    def observer(self) -> CallObserver | None:
        """Who is told of each model call (the inspector's run traces), if anyone."""
        return self._observer

    @classmethod
    def from_settings(cls, settings: Settings, observer: CallObserver | None = None) -> ModelClient:
        return cls(ModelRouter(settings.model_map), settings.model_timeout_s, settings.scripts_dir, observer)

    async def _ready(self) -> None:
        """Import litellm and register the scripted provider (once per process), off the event loop.

        Importing litellm takes seconds; doing it here rather than at server start lets the
        server answer at once (the first model call waits for it, if it is still going)."""
        if self._set_up is None:
            self._set_up = asyncio.get_running_loop().create_task(
                asyncio.to_thread(scripted.register))
        await asyncio.shield(self._set_up)

    def routed_model(self, requested: str) -> str:
        """The litellm model a requested name goes to (after the model map)."""
        return self._router.route(requested)[0]

    def _kwargs(self, request: ChatRequest) -> dict[str, Any]:
        model, extra = self._router.route(request.model)
        kwargs: dict[str, Any] = {
            "model": model,
            "messages": request.messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "timeout": self._timeout_s,
            **extra,
        }
        if model.startswith(f"{scripted.PROVIDER}/"):
            kwargs.update(scripted.call_options(self._scripts_dir, extra.get("metadata")))
        if request.tools:
            kwargs["tools"] = request.tools
            if request.tool_choice is not None:
                kwargs["tool_choice"] = request.tool_choice
            if request.parallel_tool_calls is not None:
                kwargs["parallel_tool_calls"] = request.parallel_tool_calls
        optional = {
            "response_format": request.response_format,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_tokens,
        }
        kwargs.update({k: v for k, v in optional.items() if v is not None})
        return kwargs

    async def warm_up(self) -> None:
        """Make one tiny call through litellm, so its one-off set-up is not paid by the first run.

        The server runs this in the background once it listens (see `emulator.app`)."""
        # With a tool: litellm's first request with tools pays another half second of set-up.
        tools = [{"type": "function", "function": {"name": "warm_up", "parameters": {"type": "object"}}}]
        request = ChatRequest(model="scripted/echo", messages=[{"role": "user", "content": "hi"}], tools=tools,
                              tool_choice="auto", parallel_tool_calls=True)
        async for _ in self.stream(request):
            pass

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamItem]:
        """Yield deltas as the model produces them, then one `Finish`. Raises `ModelError`."""
        mode, max_rounds = self._router.tool_calling(request.model)
        if request.tools and mode == "json":
            async for item in stream_with_json_tools(self._stream, request, max_rounds):
                yield item
        elif request.tools and mode == "auto":
            async for item in stream_with_auto_tools(self._stream, request, max_rounds):
                yield item
        else:
            async for item in self._stream(request):
                yield item

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamItem]:
        if self._observer is None:
            async for item in self._litellm_stream(request, self._kwargs(request)):
                yield item
            return
        kwargs, items, error = self._kwargs(request), [], None
        started = time.time()
        try:
            async for item in self._litellm_stream(request, kwargs):
                items.append(item)
                yield item
        except ModelError as exc:
            error = exc
            raise
        finally:
            self._observer(call_record(kwargs, items, error, started))

    async def _litellm_stream(self, request: ChatRequest, kwargs: dict[str, Any]) -> AsyncIterator[StreamItem]:
        await self._ready()
        lib = litellm()
        try:
            response = await lib.acompletion(**kwargs)
            finish_reason, usage, completion_text = "stop", None, []
            async for chunk in response:
                if getattr(chunk, "usage", None):
                    usage = chunk.usage
                for choice in chunk.choices or []:
                    delta = choice.delta
                    if delta.content:
                        completion_text.append(delta.content)
                        yield TextDelta(delta.content)
                    for call in delta.tool_calls or []:
                        yield ToolCallDelta(
                            index=call.index or 0,
                            id=call.id,
                            name=call.function.name if call.function else None,
                            arguments=(call.function.arguments or "") if call.function else "",
                        )
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
        except ModelError:
            raise
        except Exception as exc:  # litellm raises provider-specific subclasses
            raise _model_error(exc) from exc
        if usage is not None:
            yield Finish(finish_reason, usage.prompt_tokens or 0, usage.completion_tokens or 0)
        else:  # some providers report no usage when streaming: estimate it
            prompt = sum(tokens.count(str(m.get("content") or "")) for m in request.messages)
            yield Finish(finish_reason, prompt, tokens.count("".join(completion_text)))


def call_record(kwargs: dict[str, Any], items: list[StreamItem], error: ModelError | None,
                 started: float) -> dict[str, Any]:
    """One call as the inspector shows it: the request as litellm got it, the response put back together."""
    text = "".join(i.text for i in items if isinstance(i, TextDelta))
    calls: dict[int, dict[str, Any]] = {}
    for item in items:
        if isinstance(item, ToolCallDelta):
            call = calls.setdefault(item.index, {"id": None, "name": "", "arguments": ""})
            call["id"] = call["id"] or item.id
            call["name"] += item.name or ""
            call["arguments"] += item.arguments
    finish = next((i for i in items if isinstance(i, Finish)), None)
    response: dict[str, Any] = {"text": text, "tool_calls": [calls[k] for k in sorted(calls)]}
    if finish is not None:
        response["finish_reason"] = finish.reason
        response["usage"] = {"prompt_tokens": finish.prompt_tokens, "completion_tokens": finish.completion_tokens,
                             "total_tokens": finish.prompt_tokens + finish.completion_tokens}
    return {"started_at_ms": int(started * 1000), "duration_ms": round((time.time() - started) * 1000, 1),
            "request": kwargs, "response": response,
            "error": None if error is None else {"code": error.code, "message": error.message}}


def _model_error(exc: Exception) -> ModelError:
    lib = litellm()
    # Errors raised mid-stream arrive wrapped (MidStreamFallbackError); judge the original.
    while isinstance(original := getattr(exc, "original_exception", None), Exception):
        exc = original
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, lib.RateLimitError) or getattr(exc, "status_code", None) == 429:
        return ModelError("rate_limit_exceeded", message)
    if isinstance(exc, (lib.ContentPolicyViolationError, lib.ContextWindowExceededError)):
        return ModelError("invalid_prompt", message)
    return ModelError("server_error", message)
