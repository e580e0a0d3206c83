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


@dataclass
class Services:
    assistants: AssistantService
    threads: ThreadService
    messages: MessageService
    runs: RunService
    files: FileService

    @classmethod
    def build(cls, rt: Runtime, engine: RunEngine) -> "Services":
        files = FileService(rt)
        messages = MessageService(rt)
        threads = ThreadService(rt, messages, engine)
        assistants = AssistantService(rt)
        runs = RunService(rt, engine, assistants, threads, messages)
        return cls(assistants, threads, messages, runs, files)
