"""Hosted tools: tools the emulator runs itself (code_interpreter, file_search).

Function tools are the client's to run (the run stops in `requires_action`);
a hosted tool is executed by the engine during the run. Each hosted tool
tells the model how to call it (a function schema), may add to the system
prompt, runs a call, renders a finished call back into the conversation, and
may annotate the assistant's final text (citations, file links).

May import: the store, the model seam's litellm import (embeddings), and the bottom
modules (settings, ids, objects, errors, tokens, sandbox_seed). Never the services,
the engine, the api, recording or the runtime: a tool is handed what it needs
(settings, stores, the file-search index, a file-creating callable) by the assembly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.settings import Settings
    from emulator.store import Stores
    from emulator.tools.code_interpreter.tool import ContainerHooks, CreateOutputFile
    from emulator.tools.file_search import FileSearch


@dataclass
class AnnotatedText:
    """An assistant message's final text, its annotations, and what a tool adds to the message.

    All entries are wire-format dicts: `annotations` of the text block, `attachments` of the
    message, and `leading_content` blocks (e.g. `image_file`) placed before the text block.
    """

    text: str
    annotations: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    leading_content: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ToolScope:
    """What one agent loop's hosted tool calls may see, whichever API face started the loop.

    A face (the Assistants runs today) resolves its own objects into this: which thread's or
    container's sandbox, which files and vector stores, which options each tool was given.
    """

    loop_id: str
    """The run (or response) whose calls these are: groups their outputs for annotating its answer."""
    session_id: str
    """Whose state the tools keep between loops: the code_interpreter kernel of a thread or container."""
    model: str = ""
    """The model the loop calls (a tool may adapt to it: file_search's citation fallback for small models)."""
    tool_types: tuple[str, ...] = ()
    """The hosted tools enabled, in the order they were given."""
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Each hosted tool's settings as given (e.g. file_search's `max_num_results`, `ranking_options`)."""
    code_file_ids: tuple[str, ...] = ()
    """Files the code_interpreter sandbox gets under /mnt/data."""
    vector_store_ids: tuple[str, ...] = ()
    """Vector stores file_search searches."""
    container_id: str | None = None
    """The container (Containers API) whose sandbox code_interpreter runs in (with `session_id` the same id):
    its files are /mnt/data's, and files the code writes become its container files. None: a thread's."""


class HostedTool:
    """A tool the emulator runs itself. Subclasses set `type` and `function_name` and implement
    `definition`, `execute` and `render`; every other method is optional and does nothing here."""

    type: str = ""
    """The tool type it implements, e.g. `code_interpreter`."""
    function_name: str = ""
    """The name the model calls it by."""

    def definition(self, scope: ToolScope) -> dict[str, Any]:
        """The chat-completions tool schema shown to the model."""
        raise NotImplementedError

    async def execute(self, scope: ToolScope, call_id: str, arguments: str) -> Any:
        """Run one call; returns the tool call object (its input and outputs)."""
        raise NotImplementedError

    def render(self, call: Any) -> tuple[str, str]:
        """A finished call as the model sees it again: (arguments, output)."""
        raise NotImplementedError

    def call_details(self, call_id: str) -> dict[str, Any]:
        """What a finished call found beyond its tool call object, for a face that shows more of it (the
        Responses API's file_search results with their text). Nothing here."""
        return {}

    def system_context(self, scope: ToolScope) -> str | None:
        """Text appended to the system prompt when the loop has this tool (e.g. the files it can see)."""
        return None

    def preview(self, call_id: str, arguments: str) -> dict[str, Any] | None:
        """The call as shown while it runs (its code, say), or None to show it only when done."""
        return None

    def annotate(self, scope: ToolScope, final: AnnotatedText) -> AnnotatedText:
        """Turn markers in the assistant's final text into annotations; return it unchanged if none."""
        return final

    async def prepare(self, scope: ToolScope) -> None:
        """Awaited before the loop's model calls start (file_search waits there for files being indexed)."""

    async def start(self) -> None:
        """Server start."""

    async def shutdown(self) -> None:
        """Server stop."""

    async def session_deleted(self, session_id: str) -> None:
        """Free what the tool holds for a session (a thread's sandbox, say)."""


class ToolRegistry:
    def __init__(self, tools: list[HostedTool] | None = None) -> None:
        self._by_type = {t.type: t for t in tools or []}
        self._by_function = {t.function_name: t for t in tools or []}

    def all(self) -> list[HostedTool]:
        return list(self._by_type.values())

    def for_type(self, tool_type: str) -> HostedTool | None:
        return self._by_type.get(tool_type)

    def for_function(self, name: str) -> HostedTool | None:
        return self._by_function.get(name)

    async def start(self) -> None:
        for tool in self._by_type.values():
            await tool.start()

    async def shutdown(self) -> None:
        for tool in self._by_type.values():
            await tool.shutdown()

    async def session_deleted(self, session_id: str) -> None:
        """Let tools free what they hold for a session (a thread's sandbox, say)."""
        for tool in self._by_type.values():
            await tool.session_deleted(session_id)

    def enabled(self, scope: ToolScope) -> list[HostedTool]:
        """The hosted tools the scope enables, in its order."""
        found = [self._by_type.get(t) for t in scope.tool_types]
        return [t for t in found if t is not None]


def build_tools(settings: Settings, stores: Stores, file_search: FileSearch,
                create_output_file: CreateOutputFile, containers: ContainerHooks | None = None) -> ToolRegistry:
    """The hosted tools this server offers. Each tool package adds its line here."""
    from emulator.tools.code_interpreter import CodeInterpreterTool, SandboxManager
    from emulator.tools.file_search import FileSearchTool

    tools: list[HostedTool] = [
        CodeInterpreterTool(settings, stores, SandboxManager(settings), create_output_file, containers),
        FileSearchTool(settings, stores, file_search),
    ]
    return ToolRegistry(tools)
