"""The file_search hosted tool: what the model sees, what a call does, and the citations it leaves.

A run searches the vector stores of its assistant and of its thread. When all
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

from openai.types.beta.threads import Run
from openai.types.beta.threads.runs import FileSearchToolCall

from emulator import aids
from emulator.tools import AnnotatedText
from emulator.tools.file_search.citations import citations, inline_marker, search_marker
from emulator.tools.file_search.index import Ranking

if TYPE_CHECKING:
    from emulator.runtime import Runtime

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


class FileSearchTool:
    type = "file_search"
    function_name = "file_search"

    def __init__(self, rt: "Runtime") -> None:
        self._rt = rt

    # -- what the run can search ------------------------------------------------------------
    def _store_ids(self, run: Run) -> list[str]:
        ids: list[str] = []
        for owner in (self._rt.stores.assistants.get(run.assistant_id), self._rt.stores.threads.get(run.thread_id)):
            resources = getattr(owner, "tool_resources", None)
            if resources is not None and resources.file_search is not None:
                ids.extend(resources.file_search.vector_store_ids or [])
        stores = [self._rt.stores.vector_stores.get(i) for i in dict.fromkeys(ids)]
        return [s.id for s in stores if s is not None and s.status != "expired"]

    def _files(self, run: Run, limit: int = 1000) -> list[ScopeFile]:
        """The run's searchable files (the first `limit` of each store)."""
        found = []
        for store_id in self._store_ids(run):
            page = self._rt.stores.vector_store_files.page(limit=limit, order="asc", vector_store_id=store_id,
                                                           status="completed")
            names = self._names(page.ids)
            found.extend(ScopeFile(store_id, file_id, names.get(file_id, file_id)) for file_id in page.ids)
        return found

    def _names(self, file_ids: list[str]) -> dict[str, str]:
        return {f.id: f.filename for f in self._rt.stores.files.find_in("id", file_ids)} if file_ids else {}

    def _count(self, run: Run, status: str) -> int:
        files = self._rt.stores.vector_store_files
        return sum(files.status_counts(vector_store_id=s, status=status).get(status, 0) for s in self._store_ids(run))

    def _options(self, run: Run) -> tuple[int, str, float]:
        """max_num_results, ranker and score_threshold of the run's file_search tool."""
        for tool in run.tools:
            if tool.type == "file_search" and getattr(tool, "file_search", None) is not None:
                settings = tool.file_search
                ranking = settings.ranking_options
                return (settings.max_num_results or DEFAULT_MAX_RESULTS,
                        ranking.ranker if ranking and ranking.ranker else DEFAULT_RANKER,
                        ranking.score_threshold if ranking else 0.0)
        return DEFAULT_MAX_RESULTS, DEFAULT_RANKER, 0.0

    def _inline_files(self, run: Run) -> list[tuple[ScopeFile, str]] | None:
        """The files in full when they all fit the inline budget (and none is still being indexed)."""
        budget = self._rt.settings.file_search_inline_tokens
        if budget <= 0 or self._count(run, "in_progress"):
            return None
        index = self._rt.file_search.index
        counts = {store_id: index.token_counts(store_id) for store_id in self._store_ids(run)}
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
    def definition(self, run: Run) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.function_name, "description": _DESCRIPTION,
            "parameters": {"type": "object", "properties": {"queries": {
                "type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 5,
                "description": "Search queries, each a few words or a short question."}},
                "required": ["queries"]},
        }}

    async def prepare(self, run: Run) -> None:
        """Before the run's first model call: wait (a while) for files still being indexed."""
        deadline = time.monotonic() + self._rt.settings.file_search_ready_timeout_s
        while self._count(run, "in_progress") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for store_id in self._store_ids(run):
            self._rt.file_search.touch(store_id)

    def system_context(self, run: Run) -> str | None:
        inline = self._inline_files(run)
        if inline:
            parts = ["The user provided these files. They are short, so their full text follows; answer from them "
                     "without searching. When you use a file, cite it by writing its marker (such as "
                     f"{inline_marker(0, inline[0][0].filename)}) right after the statement it supports."]
            parts += [f"{inline_marker(n, file.filename)}\n{text}" for n, (file, text) in enumerate(inline)]
            return "\n\n".join(parts)
        files = self._files(run, limit=_LISTED_FILES)
        if not files:
            return None
        total = self._count(run, "completed")
        names = ", ".join(f.filename for f in files[:_LISTED_FILES])
        more = f" and {total - _LISTED_FILES} more" if total > _LISTED_FILES else ""
        return (f"You can search the files the user provided ({names}{more}) with the {self.function_name} tool. "
                "Each result starts with a source marker such as 【0:1†file.pdf】; when you use a result, cite it "
                "by writing its marker right after the statement it supports.")

    async def execute(self, run: Run, call_id: str, arguments: str) -> FileSearchToolCall:
        queries = _queries(arguments)
        limit, ranker, threshold = self._options(run)
        settings = self._rt.settings
        ranking = Ranking(settings.file_search_embedding_weight, settings.file_search_text_weight, threshold)
        index = self._rt.file_search.index
        stores = self._store_ids(run)
        hits = await asyncio.to_thread(index.search, stores, queries, limit, ranking) if queries and stores else []
        number = len(index.records.calls_of_run(run.id))
        names = self._names(list({hit.chunk.file_id for hit in hits}))
        results = []
        for rank, hit in enumerate(hits):
            filename = names.get(hit.chunk.file_id, hit.chunk.file_id)
            results.append({"file_id": hit.chunk.file_id, "file_name": filename, "score": round(hit.score, 6),
                            "text": hit.chunk.text, "page": hit.chunk.page,
                            "marker": search_marker(number, rank, filename)})
        output = _output(queries, results)
        index.records.save_call(call_id, run.id, {"number": number, "arguments": arguments, "output": output,
                                                  "results": results})
        return FileSearchToolCall.model_validate({"id": call_id, "type": "file_search", "file_search": {
            "ranking_options": {"ranker": ranker, "score_threshold": threshold},
            "results": [{k: r[k] for k in ("file_id", "file_name", "score")} for r in results]}})

    def render(self, call: FileSearchToolCall) -> tuple[str, str]:
        record = self._rt.file_search.index.records.call(call.id)
        if record is None:
            return json.dumps({"queries": []}), "No results."
        return record["arguments"] or "{}", record["output"]

    def annotate(self, run: Run, final: AnnotatedText) -> AnnotatedText:
        if "】" not in final.text:
            return self._cited_without_markers(run, final)  # aid: citation_fallback
        by_marker: dict[str, str] = {}
        by_name: dict[str, str] = {}
        for record in self._rt.file_search.index.records.calls_of_run(run.id):
            for rank, result in enumerate(record["results"]):
                by_marker[f"{record['number']}:{rank}"] = result["file_id"]
                by_name.setdefault(result["file_name"], result["file_id"])
        scope: dict[str, str] | None = None

        def resolve(ref: str, name: str) -> str | None:
            nonlocal scope
            found = by_marker.get(ref) or by_name.get(name)
            if found is None and scope is None:  # an inline file, or a name the model took from the prompt
                scope = {}
                for file in self._files(run):
                    scope.setdefault(file.filename, file.file_id)
            return found or (scope or {}).get(name)

        found = citations(final.text, resolve)
        if not found:
            return final
        return AnnotatedText(final.text, [*final.annotations, *found], final.attachments, final.leading_content)

    def _cited_without_markers(self, run: Run, final: AnnotatedText) -> AnnotatedText:
        """An answer without markers, annotated where it matches what the run retrieved (small models)."""
        if not aids.aids_for(self._rt.settings.model_map, run.model).citation_fallback or final.annotations:
            return final
        records = self._rt.file_search.index.records.calls_of_run(run.id)
        sources = [(r["file_id"], r["text"]) for record in records for r in record["results"]]
        if not records:
            sources = [(file.file_id, text) for file, text in self._inline_files(run) or []]
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
