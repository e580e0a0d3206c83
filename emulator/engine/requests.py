"""A run as the agent loop's request: its model, tools and options, and what its hosted tools may see."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openai.types.beta.threads import Run

from emulator.agent import AgentRequest
from emulator.settings import Settings
from emulator.store import Stores
from emulator.tools import ToolScope


def agent_request(run: Run, stores: Stores, settings: Settings) -> AgentRequest:
    return AgentRequest(
        model=run.model, scope=tool_scope(run, stores), tools=tuple(_tools(run)), tool_choice=_tool_choice(run),
        parallel_tool_calls=run.parallel_tool_calls, response_format=_response_format(run),
        temperature=run.temperature, top_p=run.top_p, max_prompt_tokens=run.max_prompt_tokens,
        max_completion_tokens=run.max_completion_tokens, max_model_calls=settings.max_model_calls_per_run,
    )


def tool_scope(run: Run, stores: Stores) -> ToolScope:
    """The run's thread is the sandbox session; files and vector stores come from the assistant's and the
    thread's tool_resources, and code_interpreter files also from the thread's message attachments."""
    owners = [stores.assistants.get(run.assistant_id), stores.threads.get(run.thread_id)]
    code_files: list[str] = []
    vector_stores: list[str] = []
    for owner in owners:
        resources = getattr(owner, "tool_resources", None)
        if resources is None:
            continue
        if resources.code_interpreter and resources.code_interpreter.file_ids:
            code_files += resources.code_interpreter.file_ids
        if resources.file_search is not None:
            vector_stores += resources.file_search.vector_store_ids or []
    if any(t.type == "code_interpreter" for t in run.tools):
        for message in stores.messages.find(thread_id=run.thread_id):
            for attachment in message.attachments or []:
                if attachment.file_id and any(t.type == "code_interpreter" for t in attachment.tools or []):
                    code_files.append(attachment.file_id)
    options: dict[str, Mapping[str, Any]] = {t.type: getattr(t, t.type).model_dump(exclude_none=True, by_alias=True)
               for t in run.tools if t.type != "function" and getattr(t, t.type, None) is not None}
    return ToolScope(
        loop_id=run.id, session_id=run.thread_id, model=run.model,
        tool_types=tuple(t.type for t in run.tools if t.type != "function"), options=options,
        code_file_ids=tuple(dict.fromkeys(code_files)), vector_store_ids=tuple(dict.fromkeys(vector_stores)),
    )


def _tools(run: Run) -> list[dict[str, Any]]:
    return [{"type": "function", "function": t.function.model_dump(exclude_none=True, by_alias=True)} if t.type == "function"
            else {"type": t.type} for t in run.tools]


def _tool_choice(run: Run) -> Any:
    choice = run.tool_choice
    if choice is None or isinstance(choice, str):
        return choice
    if choice.type == "function" and choice.function is not None:
        return {"type": "function", "function": {"name": choice.function.name}}
    return {"type": choice.type}


def _response_format(run: Run) -> dict[str, Any] | None:
    fmt = run.response_format
    if fmt is None or isinstance(fmt, str) or fmt.type == "text":
        return None
    return fmt.model_dump(exclude_none=True, by_alias=True)
