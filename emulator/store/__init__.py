"""Persistence: SQLAlchemy tables of JSON documents, and file bytes on disk.

The bottom layer: it may import only `emulator.objects` (the API object types it
stores) and third-party libraries, never another emulator package. Everything
above reads and writes through `Stores`.
"""

from emulator.store.blobs import BlobStore
from emulator.store.collection import Collection, Page
from emulator.store.database import Database
from emulator.store.stores import Stores

__all__ = ["BlobStore", "Collection", "Database", "Page", "Stores"]
