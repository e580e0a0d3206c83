"""The code_interpreter hosted tool: the model's Python, run in the thread's (or container's) sandbox.

The model calls a function `code_interpreter(code)`. The call becomes a `code_interpreter`
tool call in the run step (`input`, and `logs` / `image` outputs); images and files the code
produces become File objects; `sandbox:/mnt/data/...` links in the final answer become
`file_path` annotations, and images shown in the run lead the assistant's message.

With a container (`ToolScope.container_id`, the Containers API) the sandbox is the container's: its
files are what /mnt/data gets, files the code writes and images it shows become its container files
(through `ContainerHooks`, made by the assembly), and each call marks the container active.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from openai.types.beta.threads.runs import CodeInterpreterToolCall

from emulator.tools import AnnotatedText, HostedTool, ToolScope
from emulator.tools.code_interpreter import files as sandbox_files
from emulator.tools.code_interpreter.manager import SandboxManager, SandboxUnavailable
from emulator.tools.code_interpreter.session import Execution

if TYPE_CHECKING:
    from emulator.settings import Settings
    from emulator.store import Stores

CreateOutputFile = Callable[[str, bytes], str]
"""Store bytes the code produced as an `assistants_output` File named so; returns the file's id. Made by the
assembly from the server's one file service; called in a worker thread (it writes the blob)."""


@dataclass(frozen=True)
class ContainerHooks:
    """What the tool may do to a container (the Containers API), made by the assembly from its service."""

    create_file: Callable[[str, str, bytes], str]
    """(container id, path in the sandbox, bytes) -> the container file's id; called in a worker thread."""
    touch: Callable[[str], None]
    """The container was used now (its expiry counts from here)."""

_LINK = re.compile(r"sandbox:/mnt/data/[^\s)\]\"'<>]+")
_DESCRIPTION = (
    "Run Python code in a stateful sandbox, like a Jupyter notebook: variables, imports and files persist "
    "between calls in this conversation. The user's files and any files you write live in /mnt/data. "
    "numpy, pandas, matplotlib, scipy, sympy, scikit-learn, seaborn, openpyxl, python-docx, pypdf and Pillow "
    "are installed; there is no internet access. Show charts with plt.show() (or display()). To give the user "
    "a file, save it under /mnt/data and link it in your answer as sandbox:/mnt/data/<name>."
)


@dataclass
class _LoopOutputs:
    """What this server's sandbox produced for a loop (a run), for annotating its answer."""

    images: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)


class CodeInterpreterTool(HostedTool):
    type = "code_interpreter"
    function_name = "code_interpreter"

    def __init__(self, settings: Settings, stores: Stores, manager: SandboxManager,
                 create_output_file: CreateOutputFile, containers: ContainerHooks | None = None) -> None:
        self._settings = settings
        self._stores = stores
        self._manager = manager
        self._create_output = create_output_file
        self._containers = containers
        self._outputs: dict[str, _LoopOutputs] = {}
        self._session_files: dict[str, dict[str, str]] = {}
        self._model_notes: dict[str, str] = {}

    async def start(self) -> None:
        await self._manager.start()

    async def shutdown(self) -> None:
        await self._manager.shutdown()

    async def session_deleted(self, session_id: str) -> None:
        self._session_files.pop(session_id, None)
        await self._manager.drop(session_id)

    # -- what the model sees -----------------------------------------------------------
    def definition(self, scope: ToolScope) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.function_name, "description": _DESCRIPTION,
            "parameters": {"type": "object", "properties": {
                "code": {"type": "string", "description": "The Python code to run."}}, "required": ["code"]},
        }}

    def system_context(self, scope: ToolScope) -> str | None:
        inputs = self.input_files(scope)
        if not inputs:
            return None
        if scope.container_id is not None:
            return ("These files are in /mnt/data of the code_interpreter tool's container:\n"
                    + "\n".join(f"- {f.path}" for f in inputs))
        lines = [f"- {f.path} (uploaded as \"{f.filename}\")" for f in inputs]
        return "The user's files are available to the code_interpreter tool:\n" + "\n".join(lines)

    def render(self, call: Any) -> tuple[str, str]:
        details = call.code_interpreter
        parts = [o.logs for o in details.outputs if o.type == "logs"]
        parts += [f"[image shown to the user: {o.image.file_id}]" for o in details.outputs if o.type == "image"]
        if note := self._model_notes.get(call.id):
            parts.append(note)
        return json.dumps({"code": details.input}), "\n".join(parts) or "(no output)"

    def preview(self, call_id: str, arguments: str) -> dict[str, Any]:
        """The call as shown while it runs: its code, no outputs yet."""
        return {"id": call_id, "type": "code_interpreter",
                "code_interpreter": {"input": _code_of(arguments), "outputs": []}}

    # -- running -----------------------------------------------------------------------
    def input_files(self, scope: ToolScope) -> list[sandbox_files.InputFile]:
        """The scope's files, under the names they get in /mnt/data: a container's own files (those directly
        in /mnt/data: the sandbox takes no others), or else the scope's `code_file_ids`."""
        stores = self._stores
        if scope.container_id is not None:
            found = stores.container_files.find(container_id=scope.container_id)
            names = [(f.id, str(PurePosixPath(f.path).relative_to(sandbox_files.MOUNT))) for f in found
                     if PurePosixPath(f.path).parent == sandbox_files.MOUNT]
            return [sandbox_files.InputFile(file_id, name, name) for file_id, name in names]
        known = [(f.id, f.filename) for i in dict.fromkeys(scope.code_file_ids) if (f := stores.files.get(i)) is not None]
        return sandbox_files.sandbox_names(known)

    async def execute(self, scope: ToolScope, call_id: str, arguments: str) -> CodeInterpreterToolCall:
        code = _code_of(arguments)
        if scope.container_id is not None:
            if problem := self._container_problem(scope.container_id):
                return self._call(call_id, code, Execution(error=f"code_interpreter is unavailable: {problem}"),
                                  [], [])
            self._touch(scope)
        try:
            session, note = await self._manager.session_for(scope.session_id)
        except SandboxUnavailable as exc:
            return self._call(call_id, code, Execution(error=f"code_interpreter is unavailable: {exc}"), [], [])
        notes = [note] if note else []
        settings = self._settings
        notes += await sandbox_files.send_inputs(session, self.input_files(scope), self._stores.blobs.read,
                                                 settings.sandbox_data_size)
        result = await session.execute(code, settings.sandbox_exec_timeout_s)
        if result.session_died:
            self._manager.mark_lost(scope.session_id)
            self._session_files.pop(scope.session_id, None)
        else:
            collected = await sandbox_files.collect_outputs(session, result, settings, self._output_maker(scope))
            notes += collected.notes
            for sandbox_path, file_id in collected.files:
                self._session_files.setdefault(scope.session_id, {})[sandbox_path] = file_id
                self._outputs.setdefault(scope.loop_id, _LoopOutputs()).files[sandbox_path] = file_id
                if scope.container_id is not None:  # the container's file is in its sandbox already
                    session.copied_file_ids.add(file_id)
        shown = result.images[:settings.sandbox_max_output_files]  # images are output files too
        if len(result.images) > len(shown):
            notes.append(f"{len(result.images) - len(shown)} more images were not shown, because one execution "
                         f"shows the user at most {len(shown)} images")
        make = self._output_maker(scope)
        images = await asyncio.to_thread(
            lambda: [make(str(sandbox_files.MOUNT / f"{call_id}-{i}.png"), png) for i, png in enumerate(shown)])
        if scope.container_id is not None:
            self._touch(scope)
        return self._call(call_id, code, result, images, notes, scope)

    def _output_maker(self, scope: ToolScope) -> Callable[[str, bytes], str]:
        """How this scope stores a file at a sandbox path: a container file of its container, else an
        `assistants_output` File named as the file was."""
        container_id, hooks = scope.container_id, self._containers
        if container_id is not None and hooks is not None:
            return lambda path, data: hooks.create_file(container_id, path, data)
        return lambda path, data: self._create_output(PurePosixPath(path).name, data)

    def _container_problem(self, container_id: str) -> str | None:
        """Why a container's code cannot run (unknown, expired, no way to store its files), or None."""
        container = self._stores.containers.get(container_id)
        if container is None:
            return f"no container found with id '{container_id}'"
        if container.status == "expired":
            return f"container {container_id} is expired"
        if self._containers is None:
            return "this server was not given a way to store container files"
        return None

    def _touch(self, scope: ToolScope) -> None:
        if scope.container_id is not None and self._containers is not None:
            self._containers.touch(scope.container_id)

    def _call(self, call_id: str, code: str, result: Execution, images: list[str], notes: list[str],
              scope: ToolScope | None = None) -> CodeInterpreterToolCall:
        outputs: list[dict[str, Any]] = []
        logs = "".join(part for part in (result.stdout, result.stderr) if part)
        if result.error:
            logs = f"{logs}{'' if not logs or logs.endswith(chr(10)) else chr(10)}{result.error}"
        if logs:
            outputs.append({"type": "logs", "logs": logs})
        for image_id in images:
            outputs.append({"type": "image", "image": {"file_id": image_id}})
            if scope is not None:
                self._outputs.setdefault(scope.loop_id, _LoopOutputs()).images.append(image_id)
        if notes:
            self._model_notes[call_id] = "\n".join(notes)
        return CodeInterpreterToolCall.model_validate({
            "id": call_id, "type": "code_interpreter", "code_interpreter": {"input": code, "outputs": outputs}})

    # -- the answer --------------------------------------------------------------------
    def annotate(self, scope: ToolScope, final: AnnotatedText) -> AnnotatedText:
        produced = self._outputs.pop(scope.loop_id, _LoopOutputs())
        known = {**self._session_files.get(scope.session_id, {}), **produced.files}
        if scope.container_id is not None:  # every file of the container, made by earlier loops too
            known = {f.path: f.id for f in self._stores.container_files.find(container_id=scope.container_id)}
        for match in _LINK.finditer(final.text):
            file_id = known.get(match.group()[len("sandbox:"):])
            if file_id is None:
                continue
            final.annotations.append({"type": "file_path", "text": match.group(), "start_index": match.start(),
                                      "end_index": match.end(), "file_path": {"file_id": file_id}})
            if all(a["file_id"] != file_id for a in final.attachments):
                final.attachments.append({"file_id": file_id, "tools": [{"type": "code_interpreter"}]})
        final.leading_content.extend({"type": "image_file", "image_file": {"file_id": i}} for i in produced.images)
        return final


def _code_of(arguments: str) -> str:
    """The code from the model's arguments; models that send bare code instead of JSON are accepted."""
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return arguments
    if isinstance(parsed, dict) and isinstance(parsed.get("code"), str):
        return parsed["code"]
    return parsed if isinstance(parsed, str) else arguments
