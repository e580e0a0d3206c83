"""file_search benchmark on a BEIR-format dataset, entirely through the API.

Every document becomes a file in one vector store (uploaded with the SDK, added
in file batches of up to 2,000); then every query of the chosen qrels split is
searched with `vector_stores.search` three ways: hybrid (the default ranking),
dense-only and keyword-only (`ranking_options.hybrid_search` weights 1/0 and 0/1).
Reported: nDCG@10 and recall@10 per ranker, ingestion throughput in chunks/s (the
corpus's chunks under the `auto` strategy, from batch creation until every file is
indexed), upload time, and hybrid search latency p50/p95 (client-side, one query
at a time).

    .venv/bin/python bench/file_search.py                      # SciFact test split
    .venv/bin/python bench/file_search.py --split train        # the split to tune on
    .venv/bin/python bench/file_search.py --max-docs 500       # a quick look

Results are ranked by chunk; a document's rank is that of its best chunk (20
results are asked for, so that 10 distinct documents remain).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.testing import EmulatorServer  # noqa: E402
from emulator.tools.file_search.chunking import AUTO_MAX_TOKENS, AUTO_OVERLAP_TOKENS, chunk_text  # noqa: E402

RANKERS = {"hybrid": None, "dense": {"embedding_weight": 1, "text_weight": 0},
           "keyword": {"embedding_weight": 0, "text_weight": 1}}
BATCH_LIMIT = 2000


def load(data_dir: Path, split: str, max_docs: int | None):
    corpus = [json.loads(line) for line in (data_dir / "corpus.jsonl").open()]
    if max_docs:
        corpus = corpus[:max_docs]
    queries = {q["_id"]: q["text"] for q in map(json.loads, (data_dir / "queries.jsonl").open())}
    qrels: dict[str, dict[str, int]] = {}
    with (data_dir / "qrels" / f"{split}.tsv").open() as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    kept = {d["_id"] for d in corpus}
    qrels = {q: {d: s for d, s in rel.items() if d in kept} for q, rel in qrels.items()}
    return corpus, queries, {q: rel for q, rel in qrels.items() if rel}


def document_text(doc: dict) -> str:
    return f"{doc.get('title', '')}\n\n{doc['text']}".strip()


def ndcg_recall_at_10(ranked: list[str], relevant: dict[str, int]) -> tuple[float, float]:
    top = ranked[:10]
    dcg = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(top))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum((2 ** s - 1) / math.log2(i + 2) for i, s in enumerate(ideal))
    hits = sum(1 for d in top if relevant.get(d, 0) > 0)
    return dcg / idcg if idcg else 0.0, hits / sum(1 for s in relevant.values() if s > 0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux), to tell the work done from a busy machine's share."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest(client, corpus: list[dict], pid: int) -> tuple[str, dict[str, str], float, float, float]:
    store = client.vector_stores.create(name="bench")
    started = time.perf_counter()

    def upload(doc: dict) -> tuple[str, str]:
        uploaded = client.files.create(file=(f"{doc['_id']}.txt", document_text(doc).encode()), purpose="assistants")
        return uploaded.id, doc["_id"]

    with ThreadPoolExecutor(8) as pool:
        doc_of_file = dict(pool.map(upload, corpus))
    upload_s = time.perf_counter() - started
    file_ids = list(doc_of_file)
    started, cpu_before = time.perf_counter(), cpu_seconds(pid)
    batches = [client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=file_ids[i:i + BATCH_LIMIT])
               for i in range(0, len(file_ids), BATCH_LIMIT)]
    for batch in batches:
        finished = client.vector_stores.file_batches.poll(batch.id, vector_store_id=store.id)
        if finished.file_counts.failed:
            print(f"warning: {finished.file_counts.failed} files failed", file=sys.stderr)
    return store.id, doc_of_file, upload_s, time.perf_counter() - started, cpu_seconds(pid) - cpu_before


def search_all(client, store_id: str, queries: dict[str, str], qrels, doc_of_file, hybrid):
    scores, latencies = [], []
    for query_id, relevant in qrels.items():
        body = {"query": queries[query_id], "max_num_results": 20}
        if hybrid is not None:
            body["ranking_options"] = {"hybrid_search": hybrid}
        started = time.perf_counter()
        page = client.post(f"/vector_stores/{store_id}/search", cast_to=object, body=body)
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = list(dict.fromkeys(doc_of_file[r["file_id"]] for r in page["data"]))
        scores.append(ndcg_recall_at_10(ranked, relevant))
    ndcg = statistics.fmean(s[0] for s in scores)
    recall = statistics.fmean(s[1] for s in scores)
    return ndcg, recall, latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "bench-data" / "scifact")
    parser.add_argument("--split", default="test", help="qrels split to report (tune on train, report test)")
    parser.add_argument("--max-docs", type=int, default=None, help="only the first N documents (quick runs)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    corpus, queries, qrels = load(args.data, args.split, args.max_docs)
    chunks = sum(len(chunk_text(document_text(d), AUTO_MAX_TOKENS, AUTO_OVERLAP_TOKENS)) for d in corpus)
    with tempfile.TemporaryDirectory() as tmp:
        scripts = Path(tmp) / "scripts"
        scripts.mkdir()
        server = EmulatorServer(Path(tmp) / "data", scripts, env={"EMULATOR_LOG_LEVEL": "warning"}).start()
        try:
            client = server.client(timeout=600)
            store_id, doc_of_file, upload_s, ingest_s, ingest_cpu_s = ingest(client, corpus, server.process.pid)
            figures = {"dataset": args.data.name, "split": args.split, "documents": len(corpus), "chunks": chunks,
                       "queries": len(qrels), "upload_s": round(upload_s, 1), "ingest_s": round(ingest_s, 1),
                       "chunks_per_s": round(chunks / ingest_s, 1), "ingest_cpu_s": round(ingest_cpu_s, 1),
                       "chunks_per_cpu_s": round(chunks / ingest_cpu_s, 1), "load_average": os.getloadavg()[0]}
            for name, hybrid in RANKERS.items():
                ndcg, recall, latencies = search_all(client, store_id, queries, qrels, doc_of_file, hybrid)
                figures[name] = {"ndcg@10": round(ndcg, 4), "recall@10": round(recall, 4),
                                 "p50_ms": round(percentile(latencies, 0.5), 1),
                                 "p95_ms": round(percentile(latencies, 0.95), 1)}
        finally:
            server.stop()
    print(f"{figures['dataset']} ({figures['split']} qrels, {figures['queries']} queries, "
          f"{figures['documents']} documents, {chunks} chunks)")
    print(f"ingestion: {figures['chunks_per_s']} chunks/s ({figures['ingest_s']} s; upload {figures['upload_s']} s); "
          f"server CPU {figures['ingest_cpu_s']} s = {figures['chunks_per_cpu_s']} chunks per CPU-second; "
          f"load average {figures['load_average']:.1f}")
    print(f"{'ranker':<8} {'nDCG@10':>8} {'recall@10':>10} {'p50 ms':>8} {'p95 ms':>8}")
    for name in RANKERS:
        row = figures[name]
        print(f"{name:<8} {row['ndcg@10']:>8.4f} {row['recall@10']:>10.4f} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
