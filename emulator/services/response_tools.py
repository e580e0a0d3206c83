"""A response's `tools` checked and completed as OpenAI echoes them, and the files its items name.

A `code_interpreter` tool runs in a container: `"container": "cntr_..."` names one, and
`{"type": "auto", "file_ids": [...]}` starts one for the response with those files in /mnt/data.
"""

from __future__ import annotations

from typing import Any

from emulator.errors import InvalidRequest, NotFound
from emulator.runtime import Runtime
from emulator.services.containers import ContainerService

SUPPORTED = ("function", "file_search", "code_interpreter")
_RANKING_DEFAULTS = {"ranker": "auto", "score_threshold": 0.0}


class ResponseTools:
    def __init__(self, rt: Runtime, containers: ContainerService | None = None) -> None:
        self._rt = rt
        self._containers = containers

    def resolve(self, tools: list[dict[str, Any]], response_id: str) -> tuple[list[dict[str, Any]], str | None, list[str]]:
        """The tools as the response echoes them, the code_interpreter's container, and its files."""
        echoed: list[dict[str, Any]] = []
        container_id: str | None = None
        code_files: list[str] = []
        for number, tool in enumerate(tools):
            kind = tool["type"]
            if kind not in SUPPORTED:
                raise InvalidRequest(f"The emulator does not support tools of type '{kind}'; it runs function, "
                                     "file_search and code_interpreter tools.", param=f"tools[{number}].type",
                                     code="unsupported_value")
            if kind == "function":
                echoed.append({"type": "function", "name": tool["name"], "description": tool.get("description"),
                               "parameters": tool.get("parameters"), "strict": tool.get("strict", True)})
            elif kind == "file_search":
                echoed.append(self._file_search(tool, number))
            else:
                container_id, code_files = self._container(tool, number)
                echoed.append(tool)
        return echoed, container_id, code_files

    def _file_search(self, tool: dict[str, Any], number: int) -> dict[str, Any]:
        for store_id in tool.get("vector_store_ids", []):
            if not self._rt.stores.vector_stores.exists(store_id):
                raise NotFound(f"Vector store with id '{store_id}' not found.",
                               param=f"tools[{number}].vector_store_ids")
        ranking = {**_RANKING_DEFAULTS, **(tool.get("ranking_options") or {})}
        return {"type": "file_search", "vector_store_ids": tool.get("vector_store_ids", []),
                "filters": tool.get("filters"), "max_num_results": tool.get("max_num_results", 20),
                "ranking_options": ranking}

    def _container(self, tool: dict[str, Any], number: int) -> tuple[str, list[str]]:
        container = tool.get("container")
        if isinstance(container, str):
            if self._containers is not None:
                self._containers.require_active(container)  # 404 when unknown or deleted, 400 when expired
            return container, []
        file_ids = list((container or {}).get("file_ids") or [])
        for file_id in file_ids:
            if not self._rt.stores.files.exists(file_id):
                raise NotFound(f"File with id '{file_id}' not found.", param=f"tools[{number}].container.file_ids")
        if self._containers is not None:
            return self._containers.create_for_response(file_ids).id, []
        return self._rt.ids.new("cntr_"), file_ids

    def read_file(self, file_id: str) -> tuple[str, bytes] | None:
        file = self._rt.stores.files.get(file_id)
        if file is None:
            return None
        return file.filename, self._rt.stores.blobs.read(file_id)

    def filename(self, file_id: str) -> str:
        file = self._rt.stores.files.get(file_id)
        return file.filename if file is not None else file_id
