"""Runs: create (alone or with a new thread), list, cancel, submit tool outputs; run steps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from openai.types.beta import Thread
from openai.types.beta.threads import Run
from openai.types.beta.threads.runs import RunStep

from emulator import run_status
from emulator.engine import RunEngine
from emulator.engine.events import run_event
from emulator.errors import InvalidRequest, NotFound
from emulator.objects import revise
from emulator.runtime import Runtime
from emulator.services.assistants import AssistantService
from emulator.services.common import page_of
from emulator.services.messages import MessageService
from emulator.services.threads import ThreadService
from emulator.store import Page
from emulator.tools.file_search import FileSearch

SEARCH_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"
STEP_INCLUDES = (SEARCH_CONTENT,)
_RUN_OPTIONS = ("temperature", "top_p", "max_prompt_tokens", "max_completion_tokens", "metadata")


class RunService:
    def __init__(self, rt: Runtime, engine: RunEngine, assistants: AssistantService,
                 threads: ThreadService, messages: MessageService, file_search: FileSearch) -> None:
        self._rt = rt
        self._file_search = file_search
        self._engine = engine
        self._assistants = assistants
        self._threads = threads
        self._messages = messages
        self._store = rt.stores.runs

    # -- creating ------------------------------------------------------------------------
    def create(self, thread_id: str, body: dict[str, Any]) -> tuple[Run, asyncio.Queue | None]:
        """Create and launch a run; with `stream`, also its event queue."""
        self._threads.get(thread_id)
        assistant = self._assistants.get(body["assistant_id"])
        if active := self._messages.active_run_id(thread_id):
            raise InvalidRequest(f"Thread {thread_id} already has an active run {active}.")
        for message in body.get("additional_messages") or []:
            self._messages.create(thread_id, message)
        run = self._store.add(self._new_run(thread_id, assistant, body))
        return run, self._engine.launch(run, stream=bool(body.get("stream")))

    def create_thread_and_run(self, body: dict[str, Any]) -> tuple[Run, Thread, asyncio.Queue | None]:
        assistant = self._assistants.get(body["assistant_id"])
        thread_body = dict(body.get("thread") or {})
        if body.get("tool_resources") and not thread_body.get("tool_resources"):
            thread_body["tool_resources"] = body["tool_resources"]
        thread = self._threads.create(thread_body)
        run = self._store.add(self._new_run(thread.id, assistant, body))
        prelude = (run_event("thread.created", thread),)
        return run, thread, self._engine.launch(run, stream=bool(body.get("stream")), prelude=prelude)

    def _new_run(self, thread_id: str, assistant, body: dict[str, Any]) -> Run:
        now = self._rt.clock.now()
        instructions = body["instructions"] if "instructions" in body else (assistant.instructions or "")
        if body.get("additional_instructions"):
            instructions = f"{instructions}\n\n{body['additional_instructions']}" if instructions else \
                body["additional_instructions"]
        tools = body["tools"] if "tools" in body else [t.model_dump(exclude_none=True, by_alias=True) for t in assistant.tools]
        options = {k: body[k] for k in _RUN_OPTIONS if k in body}
        return Run.model_validate({
            "id": self._rt.ids.new("run_"), "object": "thread.run", "created_at": now,
            "thread_id": thread_id, "assistant_id": assistant.id, "status": "queued",
            "required_action": None, "last_error": None, "expires_at": now + self._rt.settings.run_expiry_s,
            "started_at": None, "cancelled_at": None, "failed_at": None, "completed_at": None,
            "incomplete_details": None, "model": body.get("model") or assistant.model,
            "instructions": instructions, "tools": tools, "metadata": {}, "usage": None,
            "temperature": assistant.temperature, "top_p": assistant.top_p,
            "max_prompt_tokens": None, "max_completion_tokens": None,
            "truncation_strategy": body.get("truncation_strategy") or {"type": "auto", "last_messages": None},
            "response_format": body.get("response_format") or assistant.response_format or "auto",
            "tool_choice": body.get("tool_choice") or "auto",
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            **options,
        })

    # -- reading and changing ----------------------------------------------------------------
    def get(self, thread_id: str, run_id: str) -> Run:
        self._threads.get(thread_id)
        run = self._store.get(run_id)
        if run is None or run.thread_id != thread_id:
            raise NotFound.object("run", run_id)
        return run

    def page(self, thread_id: str, params):
        self._threads.get(thread_id)
        return page_of(self._store, params, thread_id=thread_id)

    def update(self, thread_id: str, run_id: str, body: dict[str, Any]) -> Run:
        run = self.get(thread_id, run_id)
        return self._store.save(revise(run, metadata=body["metadata"])) if "metadata" in body else run

    def cancel(self, thread_id: str, run_id: str) -> Run:
        run = self.get(thread_id, run_id)
        if run.status not in run_status.ACTIVE or run.status == "cancelling":
            raise InvalidRequest(f"Cannot cancel run with status '{run.status}'.")
        return self._engine.cancel(run)

    async def wait_for_change(self, run: Run, timeout_s: float) -> Run:
        """For pollers: wait (briefly) until an active run changes status."""
        if run.status in run_status.UNSETTLED:
            await self._rt.hub.wait_for_change(run.id, timeout_s)
            return self._store.get(run.id) or run
        return run

    async def settled(self, run: Run) -> Run:
        """The run once it has stopped moving (not queued, in progress or cancelling), waiting at most
        the model timeout: deterministic mode answers reads with it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._rt.settings.model_timeout_s
        while run.status in run_status.UNSETTLED and (left := deadline - loop.time()) > 0:
            await self._rt.hub.wait_for_change(run.id, left)
            run = self._store.get(run.id) or run
        return run

    def submit_tool_outputs(self, thread_id: str, run_id: str, body: dict[str, Any]) -> tuple[Run, asyncio.Queue | None]:
        run = self.get(thread_id, run_id)
        if run.status != "requires_action" or run.required_action is None:
            raise InvalidRequest(f'Runs in status "{run.status}" do not accept tool outputs.')
        expected = [c.id for c in run.required_action.submit_tool_outputs.tool_calls]
        outputs = {o["tool_call_id"]: o.get("output", "") for o in body["tool_outputs"] if "tool_call_id" in o}
        if len(outputs) != len(body["tool_outputs"]):
            raise InvalidRequest("Missing required parameter: 'tool_outputs[].tool_call_id'.",
                                 param="tool_outputs", code="missing_required_parameter")
        unknown = [i for i in outputs if i not in expected]
        if unknown:
            raise InvalidRequest(f"Invalid 'tool_outputs': no tool call found with id '{unknown[0]}'.",
                                 param="tool_outputs")
        missing = [i for i in expected if i not in outputs]
        if missing:
            raise InvalidRequest(
                f"Expected tool outputs for call_ids {expected}, got {list(outputs)}.", param="tool_outputs"
            )
        return self._engine.submit_tool_outputs(run, outputs, stream=bool(body.get("stream")))

    # -- steps ---------------------------------------------------------------------------------
    def get_step(self, thread_id: str, run_id: str, step_id: str, include: Sequence[str] = ()) -> RunStep:
        self.get(thread_id, run_id)
        step = self._rt.stores.steps.get(step_id)
        if step is None or step.run_id != run_id:
            raise NotFound.object("run step", step_id)
        return self._with_search_content(step) if SEARCH_CONTENT in include else step

    def steps_page(self, thread_id: str, run_id: str, params, include: Sequence[str] = ()):
        self.get(thread_id, run_id)
        page = page_of(self._rt.stores.steps, params, run_id=run_id)
        if SEARCH_CONTENT in include:
            documents = [self._with_search_content(RunStep.model_validate_json(d))
                         .model_dump_json(exclude_unset=True, by_alias=True) for d in page.documents]
            page = Page(page.ids, documents, page.has_more)
        return page

    def search_call(self, call_id: str) -> dict[str, Any] | None:
        """What a file_search call of a run did: the model's queries and every result (file, score, chunk
        text, page and the source marker the model was shown). None for an unknown call."""
        record = self._file_search.index.records.call(call_id)
        if record is None:
            return None
        try:
            arguments = json.loads(record.get("arguments") or "{}")
        except ValueError:
            arguments = {}
        queries = arguments.get("queries") if isinstance(arguments, dict) else None
        return {"queries": queries if isinstance(queries, list) else [], "arguments": record.get("arguments"),
                "results": record.get("results") or []}

    def _with_search_content(self, step: RunStep) -> RunStep:
        """The step with the text of its file_search results (kept aside, given only when asked for)."""
        if step.step_details.type != "tool_calls":
            return step
        calls = [c.model_dump(exclude_unset=True, by_alias=True) for c in step.step_details.tool_calls]
        for call in calls:
            if call["type"] == "file_search":
                texts = self._file_search.result_texts(call["id"])
                for result, text in zip(call["file_search"].get("results") or [], texts):
                    result["content"] = [{"type": "text", "text": text}]
        return revise(step, step_details={"type": "tool_calls", "tool_calls": calls})
