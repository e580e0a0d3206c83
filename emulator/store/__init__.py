"""Persistence: SQLAlchemy tables of JSON documents, and file bytes on disk."""

from emulator.store.blobs import BlobStore
from emulator.store.collection import Collection, Page
from emulator.store.database import Database
from emulator.store.stores import Stores

__all__ = ["BlobStore", "Collection", "Database", "Page", "Stores"]
