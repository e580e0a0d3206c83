"""Every collection of the API, typed with the `openai` SDK's own models."""

from __future__ import annotations

from openai.types import ContainerRetrieveResponse, VectorStore
from openai.types.beta import Assistant, Thread
from openai.types.beta.threads import Message, Run
from openai.types.beta.threads.runs import RunStep
from openai.types.containers import FileRetrieveResponse
from openai.types.conversations import Conversation
from openai.types.vector_stores import VectorStoreFile, VectorStoreFileBatch

from emulator.objects import File, StoredItem, StoredResponse
from emulator.store import schema
from emulator.store.blobs import BlobStore
from emulator.store.collection import Collection
from emulator.store.database import Database
from emulator.store.items import ItemCollection
from emulator.store.vector_store_files import VectorStoreFileCollection


class Stores:
    def __init__(self, db: Database, blobs: BlobStore) -> None:
        self.db = db
        self.blobs = blobs
        self.assistants = Collection(db, schema.assistants, Assistant)
        self.threads = Collection(db, schema.threads, Thread)
        self.messages = Collection(db, schema.messages, Message)
        self.runs = Collection(db, schema.runs, Run)
        self.steps = Collection(db, schema.run_steps, RunStep)
        self.files = Collection(db, schema.files, File)
        self.vector_stores = Collection(db, schema.vector_stores, VectorStore)
        self.vector_store_files = VectorStoreFileCollection(db, schema.vector_store_files, VectorStoreFile)
        self.vector_store_file_batches = Collection(db, schema.vector_store_file_batches, VectorStoreFileBatch)
        self.responses = Collection(db, schema.responses, StoredResponse)
        self.conversations = Collection(db, schema.conversations, Conversation)
        self.items = ItemCollection(db, schema.items, StoredItem)
        self.containers = Collection(db, schema.containers, ContainerRetrieveResponse)
        self.container_files = Collection(db, schema.container_files, FileRetrieveResponse)

    def object_count(self) -> int:
        """How many objects are stored, of every kind."""
        collections = (self.assistants, self.threads, self.messages, self.runs, self.steps, self.files,
                       self.responses, self.conversations, self.items, self.containers, self.container_files)
        return sum(c.count() for c in collections)
