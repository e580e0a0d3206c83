"""The file_search hosted tool: what the model sees, what a call does, and the citations it leaves.

A loop searches the vector stores of its scope (for a run: its assistant's and thread's). When all
their files are short (`file_search_inline_tokens` in total), their full text
goes into the system prompt instead, as OpenAI's retrieval did for short
documents; otherwise the model calls `file_search` with several queries at once
and reads the best chunks, each behind a source marker it can cite.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openai.types.beta.threads.runs import FileSearchToolCall

from emulator.llm import aids
from emulator.tools import AnnotatedText, HostedTool, ToolScope
from emulator.tools.file_search.citations import citations, inline_marker, search_marker
from emulator.tools.file_search.filters import matches
from emulator.tools.file_search.index import Ranking

if TYPE_CHECKING:
    from emulator.settings import Settings
    from emulator.store import Stores
    from emulator.tools.file_search import FileSearch

DEFAULT_MAX_RESULTS = 20
DEFAULT_RANKER = "default_2024_08_21"
_LISTED_FILES = 30

_DESCRIPTION = (
    "Search the files the user uploaded (documents, PDFs, notes, code). Give several short queries at once, "
    "phrased differently or covering different parts of the question. Returns the most relevant excerpts, each "
    "after a source marker such as 【0:1†report.pdf】."
)


@dataclass(frozen=True)
class ScopeFile:
    vector_store_id: str
    file_id: str
    filename: str


class FileSearchTool(HostedTool):
    type = "file_search"
    function_name = "file_search"

    def __init__(self, settings: Settings, stores: Stores, file_search: FileSearch) -> None:
        self._settings = settings
        self._stores = stores
        self._file_search = file_search

    # -- what the run can search ------------------------------------------------------------
    def _store_ids(self, scope: ToolScope) -> list[str]:
        stores = [self._stores.vector_stores.get(i) for i in dict.fromkeys(scope.vector_store_ids)]
        return [s.id for s in stores if s is not None and s.status != "expired"]

    def _files(self, scope: ToolScope, limit: int = 1000) -> list[ScopeFile]:
        """The searchable files (the first `limit` of each store)."""
        found: list[ScopeFile] = []
        for store_id in self._store_ids(scope):
            page = self._stores.vector_store_files.page(limit=limit, order="asc", vector_store_id=store_id,
                                                           status="completed")
            names = self._names(page.ids)
            found.extend(ScopeFile(store_id, file_id, names.get(file_id, file_id)) for file_id in page.ids)
        return found

    def _names(self, file_ids: list[str]) -> dict[str, str]:
        return {f.id: f.filename for f in self._stores.files.find_in("id", file_ids)} if file_ids else {}

    def _count(self, scope: ToolScope, status: str) -> int:
        files = self._stores.vector_store_files
        return sum(files.status_counts(vector_store_id=s, status=status).get(status, 0) for s in self._store_ids(scope))

    @staticmethod
    def _options(scope: ToolScope) -> tuple[int, str, float]:
        """max_num_results, ranker and score_threshold given to the loop's file_search tool."""
        options = scope.options.get("file_search") or {}
        ranking = options.get("ranking_options") or {}
        return (options.get("max_num_results") or DEFAULT_MAX_RESULTS, ranking.get("ranker") or DEFAULT_RANKER,
                ranking.get("score_threshold") or 0.0)

    def _ranking(self, scope: ToolScope, threshold: float) -> Ranking:
        """The server's score weights, or the tool's `ranking_options.hybrid_search` weights when given."""
        options = scope.options.get("file_search") or {}
        hybrid = (options.get("ranking_options") or {}).get("hybrid_search") or {}
        settings = self._settings
        return Ranking(hybrid.get("embedding_weight", settings.file_search_embedding_weight),
                       hybrid.get("text_weight", settings.file_search_text_weight), threshold)

    def _allowed_files(self, scope: ToolScope, store_ids: list[str]) -> dict[str, set[str] | None]:
        """Per store, the files the tool's attribute `filters` let through (None: no filter, every file)."""
        spec = (scope.options.get("file_search") or {}).get("filters")
        if not spec:
            return {store_id: None for store_id in store_ids}
        allowed: dict[str, set[str] | None] = {}
        for store_id in store_ids:
            files = self._stores.vector_store_files.find(vector_store_id=store_id)
            allowed[store_id] = {f.id for f in files if matches(spec, f.attributes or {})}
        return allowed

    def _inline_files(self, scope: ToolScope) -> list[tuple[ScopeFile, str]] | None:
        """The files in full when they all fit the inline budget (and none is still being indexed)."""
        budget = self._settings.file_search_inline_tokens
        if budget <= 0 or self._count(scope, "in_progress") or (scope.options.get("file_search") or {}).get("filters"):
            return None
        index = self._file_search.index
        counts = {store_id: index.token_counts(store_id) for store_id in self._store_ids(scope)}
        if not any(counts.values()) or sum(sum(c.values()) for c in counts.values()) > budget:
            return None
        documents = []
        for store_id, tokens_of in counts.items():
            names = self._names(list(tokens_of))
            for file_id in tokens_of:
                document = index.document(store_id, file_id)
                if document is not None:
                    documents.append((ScopeFile(store_id, file_id, names.get(file_id, file_id)), document.text))
        return documents

    # -- the HostedTool protocol ------------------------------------------------------------------
    def definition(self, scope: ToolScope) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.function_name, "description": _DESCRIPTION,
            "parameters": {"type": "object", "properties": {"queries": {
                "type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 5,
                "description": "Search queries, each a few words or a short question."}},
                "required": ["queries"]},
        }}

    async def prepare(self, scope: ToolScope) -> None:
        """Before the loop's first model call: wait (a while) for files still being indexed."""
        deadline = time.monotonic() + self._settings.file_search_ready_timeout_s
        while self._count(scope, "in_progress") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for store_id in self._store_ids(scope):
            self._file_search.touch(store_id)

    def system_context(self, scope: ToolScope) -> str | None:
        inline = self._inline_files(scope)
        if inline:
            parts = ["The user provided these files. They are short, so their full text follows; answer from them "
                     "without searching. When you use a file, cite it by writing its marker (such as "
                     f"{inline_marker(0, inline[0][0].filename)}) right after the statement it supports."]
            parts += [f"{inline_marker(n, file.filename)}\n{text}" for n, (file, text) in enumerate(inline)]
            return "\n\n".join(parts)
        files = self._files(scope, limit=_LISTED_FILES)
        if not files:
            return None
        total = self._count(scope, "completed")
        names = ", ".join(f.filename for f in files[:_LISTED_FILES])
        more = f" and {total - _LISTED_FILES} more" if total > _LISTED_FILES else ""
        return (f"You can search the files the user provided ({names}{more}) with the {self.function_name} tool. "
                "Each result starts with a source marker such as 【0:1†file.pdf】; when you use a result, cite it "
                "by writing its marker right after the statement it supports.")

    async def execute(self, scope: ToolScope, call_id: str, arguments: str) -> FileSearchToolCall:
        queries = _queries(arguments)
        limit, ranker, threshold = self._options(scope)
        ranking = self._ranking(scope, threshold)
        index = self._file_search.index
        stores = self._store_ids(scope)
        allowed = self._allowed_files(scope, stores)
        hits = await asyncio.to_thread(index.search, stores, queries, limit, ranking,
                                       allowed.__getitem__) if queries and stores else []
        number = len(index.records.calls_of_run(scope.loop_id))
        names = self._names(list({hit.chunk.file_id for hit in hits}))
        results = []
        for rank, hit in enumerate(hits):
            filename = names.get(hit.chunk.file_id, hit.chunk.file_id)
            results.append({"file_id": hit.chunk.file_id, "file_name": filename, "score": round(hit.score, 6),
                            "text": hit.chunk.text, "page": hit.chunk.page,
                            "marker": search_marker(number, rank, filename),
                            "attributes": self._attributes(hit.vector_store_id, hit.chunk.file_id)})
        output = _output(queries, results)
        index.records.save_call(call_id, scope.loop_id, {"number": number, "arguments": arguments, "output": output,
                                                  "results": results})
        return FileSearchToolCall.model_validate({"id": call_id, "type": "file_search", "file_search": {
            "ranking_options": {"ranker": ranker, "score_threshold": threshold},
            "results": [{k: r[k] for k in ("file_id", "file_name", "score")} for r in results]}})

    def _attributes(self, store_id: str, file_id: str) -> dict[str, Any]:
        found = self._stores.vector_store_files.get_in(store_id, file_id)
        return dict(found.attributes or {}) if found is not None else {}

    def call_details(self, call_id: str) -> dict[str, Any]:
        """The call's queries, and its results with their text and the file's attributes."""
        record = self._file_search.index.records.call(call_id)
        if record is None:
            return {"queries": [], "results": []}
        results = [{"file_id": r["file_id"], "filename": r["file_name"], "score": r["score"], "text": r["text"],
                    "attributes": r.get("attributes", {})} for r in record["results"]]
        return {"queries": _queries(record["arguments"]), "results": results}

    def render(self, call: FileSearchToolCall) -> tuple[str, str]:
        record = self._file_search.index.records.call(call.id)
        if record is None:
            return json.dumps({"queries": []}), "No results."
        return record["arguments"] or "{}", record["output"]

    def annotate(self, scope: ToolScope, final: AnnotatedText) -> AnnotatedText:
        if "】" not in final.text:
            return self._cited_without_markers(scope, final)
        by_marker: dict[str, str] = {}
        by_name: dict[str, str] = {}
        for record in self._file_search.index.records.calls_of_run(scope.loop_id):
            for rank, result in enumerate(record["results"]):
                by_marker[f"{record['number']}:{rank}"] = result["file_id"]
                by_name.setdefault(result["file_name"], result["file_id"])
        searchable: dict[str, str] | None = None

        def resolve(ref: str, name: str) -> str | None:
            nonlocal searchable
            found = by_marker.get(ref) or by_name.get(name)
            if found is None and searchable is None:  # an inline file, or a name the model took from the prompt
                searchable = {}
                for file in self._files(scope):
                    searchable.setdefault(file.filename, file.file_id)
            return found or (searchable or {}).get(name)

        found = citations(final.text, resolve)
        if not found:
            return final
        return AnnotatedText(final.text, [*final.annotations, *found], final.attachments, final.leading_content)

    def _cited_without_markers(self, scope: ToolScope, final: AnnotatedText) -> AnnotatedText:
        """An answer without markers, annotated where it matches what the loop retrieved (the citation
        fallback aid for small models)."""
        if not aids.aids_for(self._settings.model_map, scope.model).citation_fallback or final.annotations:
            return final
        records = self._file_search.index.records.calls_of_run(scope.loop_id)
        sources = [(r["file_id"], r["text"]) for record in records for r in record["results"]]
        if not records:
            sources = [(file.file_id, text) for file, text in self._inline_files(scope) or []]
        found = aids.fallback_citations(final.text, sources)
        return AnnotatedText(final.text, found, final.attachments, final.leading_content) if found else final


def _queries(arguments: str) -> list[str]:
    """The call's queries; models sometimes send one `query` string instead of the `queries` list."""
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        return [arguments.strip()] if arguments.strip() else []
    if isinstance(parsed, str):
        parsed = {"query": parsed}
    if not isinstance(parsed, dict):
        return []
    raw = parsed.get("queries") or parsed.get("query") or []
    raw = [raw] if isinstance(raw, str) else raw
    return [q.strip() for q in raw if isinstance(q, str) and q.strip()][:5]


def _output(queries: list[str], results: list[dict]) -> str:
    """What the model reads back: each excerpt after its source marker."""
    if not results:
        return "No results found for: " + "; ".join(queries) if queries else "No query was given."
    parts = []
    for result in results:
        paged = result["file_name"].lower().endswith((".pdf", ".pptx"))
        where = f"page {result['page']}, " if paged else ""
        parts.append(f"{result['marker']} ({where}score {result['score']:.2f})\n{result['text']}")
    return "\n\n".join(parts)
