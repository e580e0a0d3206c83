"""The objects every service shares, built once per server from the settings.

A bottom-layer holder: it imports only the bottom modules (settings, ids, signals, the
store, the model seam's client protocol). What sits above it (the file-search index,
record and replay, the hosted tools) is built by the assembly
(`emulator.assembly`) and handed to the parts that need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.ids import Clock, IdFactory
from emulator.llm import ChatModel
from emulator.settings import Settings
from emulator.signals import EventHub
from emulator.store import BlobStore, Database, Stores
from emulator.traces import RunTraces


@dataclass
class Runtime:
    settings: Settings
    stores: Stores
    ids: IdFactory
    clock: Clock
    hub: EventHub
    models: ChatModel
    """The model client, wrapped for record or replay when the settings ask for it."""
    traces: RunTraces = field(default_factory=RunTraces)
    """Each run's events in time and its model calls, for the inspector (fed by the hub and the model client)."""

    @classmethod
    def from_settings(cls, settings: Settings, models: ChatModel, hub: EventHub,
                      traces: RunTraces | None = None) -> Runtime:
        """Open the data dir's stores; `models`, `hub` and `traces` are made by the assembly."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        stores = Stores(Database(settings.sqlalchemy_url), BlobStore(settings.files_dir))
        ids, clock = _ids_and_clock(settings, stores)
        return cls(settings, stores, ids, clock, hub, models, traces or RunTraces())


def _ids_and_clock(settings: Settings, stores: Stores) -> tuple[IdFactory, Clock]:
    if not settings.deterministic:
        return IdFactory(), Clock()
    # Seeded counters restart with the process; salting them with what is already stored
    # keeps a restarted server from re-issuing ids it gave out before (fresh data dir: "0").
    return IdFactory(settings.seed, salt=str(stores.object_count())), Clock(settings.clock_start)
