"""The objects every service shares, built once per server from the settings."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.engine.events import EventHub
from emulator.ids import Clock, IdFactory
from emulator.llm import ModelClient
from emulator.llm.router import ModelRouter
from emulator.llm import scripted
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
    models: ModelClient

    @classmethod
    def from_settings(cls, settings: Settings) -> "Runtime":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        stores = Stores(Database(settings.sqlalchemy_url), BlobStore(settings.files_dir))
        scripted.register(settings.scripts_dir)
        models = ModelClient(ModelRouter(settings.model_map), settings.model_timeout_s)
        return cls(settings, stores, IdFactory(), Clock(), EventHub(), models)

    @functools.cached_property
    def file_search(self) -> "FileSearch":
        """The file-search index (chunks, vectors, keyword index), made on first use."""
        from emulator.tools.file_search import FileSearch

        return FileSearch(self)
