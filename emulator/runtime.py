"""The objects every service shares, built once per server from the settings."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.signals import EventHub
from emulator.ids import Clock, IdFactory
from emulator.llm import ModelClient
from emulator.llm.recording import ChatModel, Tape, wrap_model_client
from emulator.llm.router import ModelRouter
from emulator.settings import Settings
from emulator.store import BlobStore, Database, Stores

if TYPE_CHECKING:
    from emulator.tools.file_search import FileSearch


@dataclass
class Runtime:
    settings: Settings
    stores: Stores
    ids: IdFactory
    clock: Clock
    hub: EventHub
    models: ChatModel
    tape: Tape | None = None
    """The cassette being recorded or replayed, if any."""

    @classmethod
    def from_settings(cls, settings: Settings) -> "Runtime":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        stores = Stores(Database(settings.sqlalchemy_url), BlobStore(settings.files_dir))
        tape = Tape.from_settings(settings)
        client = ModelClient(ModelRouter(settings.model_map), settings.model_timeout_s, settings.scripts_dir)
        models = wrap_model_client(client, tape)
        ids, clock = _ids_and_clock(settings, stores)
        return cls(settings, stores, ids, clock, EventHub(), models, tape)

    @functools.cached_property
    def file_search(self) -> "FileSearch":
        """The file-search index (chunks, vectors, keyword index), made on first use."""
        from emulator.tools.file_search import FileSearch

        return FileSearch(self)


def _ids_and_clock(settings: Settings, stores: Stores) -> tuple[IdFactory, Clock]:
    if not settings.deterministic:
        return IdFactory(), Clock()
    # Seeded counters restart with the process; salting them with what is already stored
    # keeps a restarted server from re-issuing ids it gave out before (fresh data dir: "0").
    return IdFactory(settings.seed, salt=str(stores.object_count())), Clock(settings.clock_start)
