"""The scripted model: a litellm custom provider answering from script files.

Registered as provider `scripted`, so `model="scripted/math_tutor"` plays
`<scripts_dir>/math_tutor.yaml`. Two models are built in: `scripted/echo`
repeats the last user message; `scripted/inspect` answers with the request it
received as JSON (messages, tool names, sampling options), for testing prompts.

litellm's provider map is global to the process, and one process may hold several
servers (tests, `/_emulator/reset`), each with its own scripts dir. So the provider
is registered once per process and keeps no server's state: each call names its
scripts dir in litellm's `metadata` (`call_options`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from emulator import tokens
from emulator.llm.litellm_import import litellm
from emulator.llm.script import Script, ScriptError, Turn, load_script, message_text

PROVIDER = "scripted"
_SCRIPTS_DIR_KEY = "emulator_scripts_dir"
_WORDS = re.compile(r"\s*\S+|\s+")


def _chunk(text: str = "", tool_use: dict[str, Any] | None = None, finish: str = "",
           usage: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "text": text,
        "tool_use": tool_use,
        "is_finished": bool(finish),
        "finish_reason": finish,
        "usage": usage,
        "index": 0,
    }


def _echo_turn(messages: list[dict[str, Any]]) -> Turn:
    users = [m for m in messages if m.get("role") == "user"]
    return Turn(text=f"You said: {message_text(users[-1])}" if users else "Hello!")


_INSPECTED_OPTIONS = ("tool_choice", "parallel_tool_calls", "response_format", "temperature", "top_p", "max_tokens")


def _inspect_turn(messages: list[dict[str, Any]], optional_params: dict[str, Any]) -> Turn:
    summary = {
        "messages": [{"role": m.get("role"), "content": message_text(m)} for m in messages],
        "tools": [t["function"]["name"] for t in optional_params.get("tools") or []],
        **{k: optional_params[k] for k in _INSPECTED_OPTIONS if k in optional_params},
    }
    return Turn(text=json.dumps(summary))


class _Playback:
    """The chunks of one scripted turn, cut at `max_tokens` like a real model."""

    def __init__(self, turn: Turn, messages: list[dict[str, Any]], max_tokens: int | None) -> None:
        self.turn = turn
        self.prompt_tokens = sum(tokens.count(message_text(m)) for m in messages)
        self.budget = max_tokens
        self.completion_tokens = 0

    def chunks(self) -> Iterator[dict[str, Any]]:
        for word in _WORDS.findall(self.turn.text or ""):
            cost = tokens.count(word)
            if self.budget is not None and self.completion_tokens + cost > self.budget:
                yield self._finish("length")
                return
            self.completion_tokens += cost
            yield _chunk(text=word)
        for index, call in enumerate(self.turn.tool_calls):
            arguments = call.arguments_json()
            self.completion_tokens += tokens.count(call.name) + tokens.count(arguments)
            # No id unless the script gives one: the run engine then names the call from its id
            # factory, which deterministic mode seeds.
            call_id = call.id
            head, tail = arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :]
            yield _chunk(tool_use={"id": call_id, "type": "function", "index": index,
                                   "function": {"name": call.name, "arguments": head}})
            yield _chunk(tool_use={"id": None, "type": "function", "index": index,
                                   "function": {"name": None, "arguments": tail}})
        yield self._finish("tool_calls" if self.turn.tool_calls else "stop")

    def _finish(self, reason: str) -> dict[str, Any]:
        usage = {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                 "total_tokens": self.prompt_tokens + self.completion_tokens}
        return _chunk(finish=reason, usage=usage)


def _raise_scripted_error(turn: Turn, model: str) -> None:
    lib = litellm()
    error = turn.error
    assert error is not None
    if error.code == "rate_limit_exceeded":
        raise lib.RateLimitError(error.message, llm_provider=PROVIDER, model=model)
    if error.code == "invalid_prompt":
        raise lib.ContentPolicyViolationError(error.message, llm_provider=PROVIDER, model=model)
    raise lib.APIError(500, error.message, llm_provider=PROVIDER, model=model)


@functools.cache
def provider_class() -> type:
    """The provider class, made on first use: subclassing litellm's `CustomLLM` imports litellm
    (seconds), which the server does in the background after it starts listening."""

    class ScriptedProvider(litellm().CustomLLM):  # type: ignore[misc]
        def _turn(self, model: str, messages: list[dict[str, Any]], kwargs: dict[str, Any]) -> Turn:
            optional_params = kwargs.get("optional_params") or {}
            if model == "echo":
                return _echo_turn(messages)
            if model == "inspect":
                return _inspect_turn(messages, optional_params)
            script: Script = load_script(model, _scripts_dir_of(kwargs))
            return script.turn_for(messages, model)

        async def astreaming(self, model: str, messages: list[dict[str, Any]], **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
            optional_params = kwargs.get("optional_params") or {}
            try:
                turn = self._turn(model, messages, kwargs)
            except ScriptError as exc:
                raise litellm().BadRequestError(str(exc), model=model, llm_provider=PROVIDER) from exc
            if turn.error:
                _raise_scripted_error(turn, model)
            for chunk in _Playback(turn, messages, optional_params.get("max_tokens")).chunks():
                if turn.delay_ms:
                    await asyncio.sleep(turn.delay_ms / 1000)
                yield chunk

        def streaming(self, model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Iterator[dict[str, Any]]:
            optional_params = kwargs.get("optional_params") or {}
            turn = self._turn(model, messages, kwargs)
            if turn.error:
                _raise_scripted_error(turn, model)
            yield from _Playback(turn, messages, optional_params.get("max_tokens")).chunks()

    return ScriptedProvider


def _scripts_dir_of(kwargs: dict[str, Any]) -> Path:
    metadata = (kwargs.get("litellm_params") or {}).get("metadata") or {}
    if _SCRIPTS_DIR_KEY not in metadata:
        raise ScriptError("the scripted model was called without a scripts dir (call it through ModelClient)")
    return Path(metadata[_SCRIPTS_DIR_KEY])


def call_options(scripts_dir: Path, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """The litellm keyword arguments that tell the scripted provider where this server's scripts are
    (added to a call's other `metadata`, if any)."""
    return {"metadata": {**(metadata or {}), _SCRIPTS_DIR_KEY: str(scripts_dir)}}


_registered = False
_registering = threading.Lock()


def register() -> None:
    """Add the scripted provider to litellm's custom-provider map, once per process.

    The map is litellm's, global to the process, so this is idempotent: the first call
    registers the provider (which holds no per-server state, see `call_options`), and later
    calls, from any server in the process and any thread, do nothing."""
    global _registered
    with _registering:
        if _registered:
            return
        lib = litellm()
        entries = [e for e in (lib.custom_provider_map or []) if e.get("provider") != PROVIDER]
        entries.append({"provider": PROVIDER, "custom_handler": provider_class()()})
        lib.custom_provider_map = entries
        # litellm reads the map into its provider list when it is set through this helper.
        from litellm.utils import custom_llm_setup

        custom_llm_setup()  # type: ignore[no-untyped-call]  # litellm leaves this helper unannotated
        _registered = True
