"""Vector stores: create, list, modify, delete, search; expiry; the `tool_resources.file_search` helpers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from openai.types import VectorStore, VectorStoreDeleted

from emulator.errors import InvalidRequest, NotFound
from emulator.objects import revise
from emulator.runtime import Runtime
from emulator.services.common import page_of, require
from emulator.services.vector_store_files import VectorStoreFileService
from emulator.tools.file_search import FileSearch
from emulator.tools.file_search.chunking import resolve_strategy
from emulator.tools.file_search.filters import matches
from emulator.tools.file_search.index import Ranking

log = logging.getLogger(__name__)
_DAY_S = 86_400
# OpenAI gives the vector store it makes for a thread's attachments this expiry.
THREAD_STORE_EXPIRY = {"anchor": "last_active_at", "days": 7}


class VectorStoreService:
    def __init__(self, rt: Runtime, file_search: FileSearch) -> None:
        self._rt = rt
        self._store = rt.stores.vector_stores
        self._file_search = file_search
        self.files = VectorStoreFileService(rt, file_search)
        self._sweeper: asyncio.Task | None = None

    def start(self) -> None:
        """Start file ingestion and the expiry sweep (on the event loop)."""
        self.files.start()
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_expired(), name="vector store expiry")

    async def aclose(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        await asyncio.to_thread(self.files.close)

    # -- CRUD -------------------------------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> VectorStore:
        now = self._rt.clock.now()
        fields: dict[str, Any] = {
            "id": self._rt.ids.new("vs_"), "object": "vector_store", "created_at": now,
            "name": body.get("name") or "", "usage_bytes": 0, "status": "completed", "last_active_at": now,
            "metadata": body.get("metadata") or {},
            "file_counts": {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0},
        }
        if body.get("expires_after"):
            fields["expires_after"] = body["expires_after"]
            fields["expires_at"] = now + body["expires_after"]["days"] * _DAY_S
        self.files.check_files(body.get("file_ids") or [])
        resolve_strategy(body.get("chunking_strategy"))  # checked before anything is made
        store = self._store.add(VectorStore.model_validate(fields))
        entries = [{"file_id": f, **({"chunking_strategy": body["chunking_strategy"]} if "chunking_strategy" in body
                                    else {})} for f in body.get("file_ids") or []]
        if entries:
            self.files.add_files(store, entries)
        return self.get(store.id)

    def get(self, vector_store_id: str) -> VectorStore:
        return require(self._store, vector_store_id, "vector store")

    def page(self, params):
        return page_of(self._store, params)

    def update(self, vector_store_id: str, body: dict[str, Any]) -> VectorStore:
        with self.files.lock:
            store = self.get(vector_store_id)
            fields: dict[str, Any] = {k: body[k] for k in ("name", "metadata") if k in body}
            if "expires_after" in body:
                expiry = body["expires_after"]
                fields["expires_after"] = expiry
                anchor = store.last_active_at or store.created_at
                fields["expires_at"] = anchor + expiry["days"] * _DAY_S if expiry else None
            return self._store.save(revise(store, **fields)) if fields else store

    def delete(self, vector_store_id: str) -> VectorStoreDeleted:
        self.get(vector_store_id)
        self.files.remove_store(vector_store_id)
        self._store.remove(vector_store_id)
        return VectorStoreDeleted(id=vector_store_id, object="vector_store.deleted", deleted=True)

    def touch(self, vector_store_id: str) -> None:
        self._file_search.touch(vector_store_id)

    # -- expiry -------------------------------------------------------------------------------------
    def expire_overdue(self) -> int:
        now, count = self._rt.clock.now(), 0
        with self.files.lock:
            for status in ("completed", "in_progress"):
                for store in self._store.find(status=status):
                    if store.expires_at is not None and store.expires_at <= now:
                        self._store.save(revise(store, status="expired"))
                        count += 1
        return count

    async def _sweep_expired(self) -> None:
        while True:
            try:
                self.expire_overdue()
            except Exception:
                log.exception("vector store expiry sweep failed")
            await asyncio.sleep(max(self._rt.settings.expiry_sweep_interval_s, 1.0) * 60)

    # -- search -------------------------------------------------------------------------------------
    async def search(self, vector_store_id: str, body: dict[str, Any], hybrid: dict | None) -> dict[str, Any]:
        store = self.get(vector_store_id)
        if store.status == "expired":
            raise InvalidRequest(f"Vector store {vector_store_id} is expired.")
        queries = body["query"] if isinstance(body["query"], list) else [body["query"]]
        queries = [q for q in queries if q.strip()]
        if not queries:
            raise InvalidRequest("Invalid 'query': the query is empty.", param="query")
        options = body.get("ranking_options") or {}
        ranking = self.ranking(hybrid, options.get("score_threshold", 0.0))
        file_filter = body.get("filters")
        allowed = None
        if file_filter is not None:
            files = self._rt.stores.vector_store_files.find(vector_store_id=vector_store_id, status="completed")
            allowed = {f.id for f in files if matches(file_filter, f.attributes or {})}
        index = self._file_search.index
        hits = await asyncio.to_thread(index.search, [vector_store_id], queries, body.get("max_num_results", 10),
                                       ranking, lambda _store: allowed)
        self.touch(vector_store_id)
        return {"object": "vector_store.search_results.page", "search_query": queries,
                "data": self._results(vector_store_id, hits), "has_more": False, "next_page": None}

    def ranking(self, hybrid: dict | None, score_threshold: float) -> Ranking:
        settings = self._rt.settings
        weights = (settings.file_search_embedding_weight, settings.file_search_text_weight)
        if hybrid is not None:
            weights = (float(hybrid.get("embedding_weight", 0)), float(hybrid.get("text_weight", 0)))
            if min(weights) < 0 or sum(weights) <= 0:
                raise InvalidRequest("Invalid 'ranking_options.hybrid_search': the weights must be non-negative "
                                     "and not both zero.", param="ranking_options.hybrid_search")
        return Ranking(weights[0], weights[1], score_threshold)

    def _results(self, vector_store_id: str, hits) -> list[dict[str, Any]]:
        file_ids = list({hit.chunk.file_id for hit in hits})
        names = {f.id: f.filename for f in self._rt.stores.files.find_in("id", file_ids)}
        attributes = {f.id: f.attributes for f in self._rt.stores.vector_store_files.find_in(
            "id", file_ids, vector_store_id=vector_store_id)}
        return [{"file_id": hit.chunk.file_id, "filename": names.get(hit.chunk.file_id, ""),
                 "score": round(hit.score, 6), "attributes": attributes.get(hit.chunk.file_id) or {},
                 "content": [{"type": "text", "text": hit.chunk.text}]} for hit in hits]

    # -- tool_resources helpers ---------------------------------------------------------------------
    def resolve_tool_resources(self, resources: dict[str, Any] | None) -> dict[str, Any]:
        """`tool_resources` with the `file_search.vector_stores` helper turned into a new store's id."""
        resources = dict(resources or {})
        file_search = dict(resources.get("file_search") or {})
        helpers = file_search.pop("vector_stores", None)
        if helpers:
            if file_search.get("vector_store_ids"):
                raise InvalidRequest("Only one of 'vector_store_ids' and 'vector_stores' can be given for "
                                     "'tool_resources.file_search'.", param="tool_resources.file_search")
            created = [self.create({k: v for k, v in h.items() if k in ("file_ids", "chunking_strategy",
                                                                        "metadata")}) for h in helpers]
            file_search["vector_store_ids"] = [store.id for store in created]
        for store_id in file_search.get("vector_store_ids") or []:
            if self._store.get(store_id) is None:
                raise NotFound.object("vector store", store_id)
        if file_search or "file_search" in resources:
            resources["file_search"] = file_search
        return resources

    def attach_to_thread(self, thread, file_ids: list[str]):
        """Add message attachments meant for file_search to the thread's vector store, making it if needed."""
        resources = thread.tool_resources.model_dump(exclude_none=True, by_alias=True) if thread.tool_resources else {}
        store_ids = (resources.get("file_search") or {}).get("vector_store_ids") or []
        if store_ids:
            store = self.get(store_ids[0])
        else:
            store = self.create({"expires_after": THREAD_STORE_EXPIRY})
            resources["file_search"] = {"vector_store_ids": [store.id]}
            thread = self._rt.stores.threads.save(revise(thread, tool_resources=resources))
        known = {f.id for f in self._rt.stores.vector_store_files.find(vector_store_id=store.id)}
        new = [{"file_id": f} for f in dict.fromkeys(file_ids) if f not in known]
        if new:
            self.files.add_files(store, new)
        return thread
