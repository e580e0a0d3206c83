"""Domain services: what each API resource does, between the routes and the store."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.engine import RunEngine
from emulator.runtime import Runtime
from emulator.services.assistants import AssistantService
from emulator.services.files import FileService
from emulator.services.messages import MessageService
from emulator.services.runs import RunService
from emulator.services.threads import ThreadService
from emulator.services.v1_files import V1FileService
from emulator.services.vector_stores import VectorStoreService


@dataclass
class Services:
    assistants: AssistantService
    threads: ThreadService
    messages: MessageService
    runs: RunService
    files: FileService
    vector_stores: VectorStoreService
    v1_files: V1FileService

    @classmethod
    def build(cls, rt: Runtime, engine: RunEngine) -> "Services":
        vector_stores = VectorStoreService(rt)
        files = FileService(rt, on_delete=vector_stores.files.remove_everywhere)
        messages = MessageService(rt, vector_stores)
        threads = ThreadService(rt, messages, engine, vector_stores)
        assistants = AssistantService(rt, vector_stores)
        runs = RunService(rt, engine, assistants, threads, messages)
        v1_files = V1FileService(rt, assistants, vector_stores)
        return cls(assistants, threads, messages, runs, files, vector_stores, v1_files)

    async def aclose(self) -> None:
        await self.vector_stores.aclose()
