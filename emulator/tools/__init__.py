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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from openai.types.beta.threads import Run

if TYPE_CHECKING:
    from emulator.settings import Settings
    from emulator.store import Stores
    from emulator.tools.code_interpreter.tool import CreateOutputFile
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


class HostedTool(Protocol):
    type: str
    """The assistant tool type it implements, e.g. `code_interpreter`."""
    function_name: str
    """The name the model calls it by."""

    def definition(self, run: Run) -> dict[str, Any]:
        """The chat-completions tool schema shown to the model."""

    def system_context(self, run: Run) -> str | None:
        """Text appended to the system prompt when the run has this tool (e.g. the files it can see)."""

    async def execute(self, run: Run, call_id: str, arguments: str) -> Any:
        """Run one call; returns the run step's tool call object (with its outputs)."""

    def render(self, call: Any) -> tuple[str, str]:
        """A finished call as the model sees it again: (arguments, output)."""

    def annotate(self, run: Run, final: AnnotatedText) -> AnnotatedText:
        """Turn markers in the assistant's final text into annotations; return it unchanged if none."""

    # Optional: `async def prepare(self, run: Run) -> None`, awaited before the run's model calls start
    # (file_search waits there for files still being indexed).


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
            if (start := getattr(tool, "start", None)) is not None:
                await start()

    async def shutdown(self) -> None:
        for tool in self._by_type.values():
            if (shutdown := getattr(tool, "shutdown", None)) is not None:
                await shutdown()

    async def thread_deleted(self, thread_id: str) -> None:
        """Let tools free what they hold for a thread (a sandbox, say)."""
        for tool in self._by_type.values():
            if (forget := getattr(tool, "thread_deleted", None)) is not None:
                await forget(thread_id)

    def enabled(self, run: Run) -> list[HostedTool]:
        """The hosted tools the run has, in the run's tool order."""
        found = [self._by_type.get(t.type) for t in run.tools if t.type != "function"]
        return [t for t in found if t is not None]


def build_tools(settings: Settings, stores: Stores, file_search: FileSearch,
                create_output_file: CreateOutputFile) -> ToolRegistry:
    """The hosted tools this server offers. Each tool package adds its line here."""
    from emulator.tools.code_interpreter import CodeInterpreterTool, SandboxManager
    from emulator.tools.file_search import FileSearchTool

    tools: list[HostedTool] = [
        CodeInterpreterTool(settings, stores, SandboxManager(settings), create_output_file),
        FileSearchTool(settings, stores, file_search),
    ]
    return ToolRegistry(tools)
