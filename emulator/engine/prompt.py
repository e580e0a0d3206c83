"""The chat request a run sends: instructions, the thread's history, this run's tool rounds.

Truncation follows the run's `truncation_strategy`: `last_messages` keeps the
last N thread messages; `auto` drops the oldest ones until the prompt fits the
run's remaining `max_prompt_tokens`.
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from typing import Any

from openai.types.beta.threads import Message, Run
from openai.types.beta.threads.runs import RunStep

from emulator import tokens
from emulator.agent import PromptTooLong
from emulator.store import Stores
from emulator.tools import ToolRegistry

ChatMessage = dict[str, Any]


@dataclass
class Prompt:
    messages: list[ChatMessage]
    tokens: int


class PromptBuilder:
    def __init__(self, stores: Stores, tools: ToolRegistry) -> None:
        self._stores = stores
        self._tools = tools

    def build(self, run: Run, system_context: list[str], budget: int | None) -> Prompt:
        """The prompt for the run's next model call: its instructions and `system_context` (what its hosted
        tools add), the thread, this run's turns; `budget` caps its tokens (None: no cap)."""
        extra = system_context
        instructions = "\n\n".join([run.instructions, *extra] if run.instructions else extra)
        system = [{"role": "system", "content": instructions}] if instructions else []
        history = self._thread_history(run)
        current = self._current_run_turns(run)
        strategy = run.truncation_strategy
        if strategy is not None and strategy.type == "last_messages" and strategy.last_messages is not None:
            history = history[-strategy.last_messages :] if strategy.last_messages else []
        fixed = tokens.count_chat(system) + tokens.count_chat(current)
        sizes = [tokens.count_chat(group) for group in history]
        if budget is not None:
            while history and fixed + sum(sizes) > budget and (len(history) > 1 or current):
                history.pop(0)
                sizes.pop(0)
            if fixed + sum(sizes) > budget:
                raise PromptTooLong()
        messages = system + [m for group in history for m in group] + current
        return Prompt(messages, fixed + sum(sizes))

    def _thread_history(self, run: Run) -> list[list[ChatMessage]]:
        """The thread before this run, oldest first, one group per message.

        An assistant message written by an earlier run carries that run's tool rounds before
        it, so the model knows what its tools did; truncation keeps or drops a group whole.
        """
        messages = [m for m in self._stores.messages.find(thread_id=run.thread_id) if m.run_id != run.id]
        earlier_runs = {m.run_id for m in messages if m.run_id}
        steps = self._stores.steps.find_in("run_id", earlier_runs, thread_id=run.thread_id) if earlier_runs else []
        rounds_before: dict[str, list[ChatMessage]] = {}
        pending: dict[str, list[ChatMessage]] = {}
        for step in steps:
            if step.step_details.type == "tool_calls":
                pending.setdefault(step.run_id, []).extend(self._step_messages(step))
            else:
                rounds_before[step.step_details.message_creation.message_id] = pending.pop(step.run_id, [])
        groups = []
        for message in messages:
            chat = self.chat_message(message)
            group = [*rounds_before.get(message.id, []), *([chat] if chat else [])]
            if group:
                groups.append(group)
        return groups

    def _current_run_turns(self, run: Run) -> list[ChatMessage]:
        turns: list[ChatMessage] = []
        for step in self._stores.steps.find(run_id=run.id):
            turns.extend(self._step_messages(step))
        return turns

    def _step_messages(self, step: RunStep) -> list[ChatMessage]:
        details = step.step_details
        if details.type == "message_creation":
            message = self._stores.messages.get(details.message_creation.message_id)
            chat = self.chat_message(message) if message else None
            return [chat] if chat else []
        calls, results = [], []
        for call in details.tool_calls:
            parts = self._call_parts(call)
            if parts is None:
                continue
            name, arguments, output = parts
            calls.append({"id": call.id, "type": "function", "function": {"name": name, "arguments": arguments}})
            results.append({"role": "tool", "tool_call_id": call.id, "content": output})
        return [{"role": "assistant", "content": None, "tool_calls": calls}, *results] if calls else []

    def chat_message(self, message: Message) -> ChatMessage | None:
        parts: list[dict[str, Any]] = []
        for block in message.content:
            if block.type == "text":
                parts.append({"type": "text", "text": block.text.value})
            elif block.type == "image_url":
                parts.append({"type": "image_url", "image_url": {"url": block.image_url.url}})
            elif block.type == "image_file":
                url = self._data_url(block.image_file.file_id)
                if url:
                    parts.append({"type": "image_url", "image_url": {"url": url}})
        if not parts:
            return None
        if all(p["type"] == "text" for p in parts):
            return {"role": message.role, "content": "\n".join(p["text"] for p in parts)}
        return {"role": message.role, "content": parts}

    def _call_parts(self, call: Any) -> tuple[str, str, str] | None:
        """Name, arguments and output of a finished tool call, as the model sees it."""
        if call.type == "function":
            if call.function.output is None:
                return None
            return call.function.name, call.function.arguments, call.function.output
        tool = self._tools.for_type(call.type)
        if tool is None:
            return None
        arguments, output = tool.render(call)
        return tool.function_name, arguments, output

    def _data_url(self, file_id: str) -> str | None:
        file = self._stores.files.get(file_id)
        if file is None:
            return None
        mime = mimetypes.guess_type(file.filename)[0] or "image/png"
        return f"data:{mime};base64,{base64.b64encode(self._stores.blobs.read(file_id)).decode()}"
