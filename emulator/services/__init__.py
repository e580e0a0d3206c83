"""Domain services: what each API resource does, between the routes and the store.

May import: the engine (to start and cancel runs), the tools' file-search parts
(chunking strategies, filters, the index), the runtime, the store and the bottom
modules. Never the api, the assembly or recording. The assembly builds them, and
starts (`Services.start`) and stops (`Services.aclose`) what they run in the
background: file ingestion and the vector-store and container expiry sweeps.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.engine import RunEngine
from emulator.responses import ResponseEngine
from emulator.runtime import Runtime
from emulator.services.assistants import AssistantService
from emulator.services.containers import ContainerService
from emulator.services.conversations import ConversationService
from emulator.services.files import FileService
from emulator.services.messages import MessageService
from emulator.services.response_tools import ResponseTools
from emulator.services.responses import ResponseService
from emulator.services.runs import RunService
from emulator.services.threads import ThreadService
from emulator.services.v1_files import V1FileService
from emulator.services.vector_stores import VectorStoreService
from emulator.tools.file_search import FileSearch


@dataclass
class Services:
    assistants: AssistantService
    threads: ThreadService
    messages: MessageService
    runs: RunService
    files: FileService
    vector_stores: VectorStoreService
    v1_files: V1FileService
    conversations: ConversationService
    responses: ResponseService
    containers: ContainerService

    @classmethod
    def build(cls, rt: Runtime, engine: RunEngine, file_search: FileSearch, files: FileService,
              vector_stores: VectorStoreService, response_engine: ResponseEngine,
              containers: ContainerService) -> "Services":
        """The services over `engine`. Files, vector stores and containers come made: the engine's hosted
        tools were handed parts of them (see `emulator.assembly`). Nothing starts until `start`."""
        messages = MessageService(rt, vector_stores)
        threads = ThreadService(rt, messages, engine, vector_stores)
        assistants = AssistantService(rt, vector_stores)
        runs = RunService(rt, engine, assistants, threads, messages, file_search)
        v1_files = V1FileService(rt, assistants, vector_stores)
        conversations = ConversationService(rt)
        responses = ResponseService(rt, response_engine, conversations, ResponseTools(rt, containers))
        return cls(assistants, threads, messages, runs, files, vector_stores, v1_files, conversations, responses,
                   containers)

    def start(self) -> None:
        """Start the background work: file ingestion (resuming what a stopped server left) and the expiry sweeps."""
        self.vector_stores.start()
        self.containers.start()

    async def aclose(self) -> None:
        await self.containers.aclose()
        await self.vector_stores.aclose()
