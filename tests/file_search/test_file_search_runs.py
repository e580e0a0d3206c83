"""The file_search tool in runs: searching, citations, the inline path, thread vector stores, long chunks."""

from __future__ import annotations

import json

from tests.helpers import documents
from tests.helpers.documents import named

PAPER_FACT = ("Our model, the Spline Transformer, reaches a BLEU score of 41.7 on the WMT English-German "
              "benchmark by replacing softmax attention with cubic spline kernels.")


def search_then_answer(script, queries: list[str], answer: str) -> str:
    return script({"tool_calls": [{"name": "file_search", "arguments": {"queries": queries}}]},
                  {"when": {"role": "tool"}, "text": answer})


def test_retrieval_from_a_pdf_paper_with_citation(client, script):
    """The cookbook's retrieval example: an assistant with a PDF paper, answering with a citation."""
    paper = documents.pdf([documents.filler(15, 11), documents.filler(5, 12) + " " + PAPER_FACT,
                           documents.filler(15, 13)])
    store = client.vector_stores.create(name="papers")
    client.vector_stores.file_batches.upload_and_poll(
        vector_store_id=store.id, files=[named("spline.pdf", paper), named("garden.txt", documents.filler(60, 14).encode())])
    pdf_id = next(f.id for f in client.files.list() if f.filename == "spline.pdf")
    answer = "The paper replaces softmax attention with cubic spline kernels【0:0†spline.pdf】 and reaches 41.7 BLEU."
    model = search_then_answer(script, ["spline transformer BLEU score", "attention kernels"], answer)
    assistant = client.beta.assistants.create(
        model=model, instructions="You answer questions about papers.", tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "What does the paper achieve?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error

    text = client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text
    assert text.value == answer
    marker = "【0:0†spline.pdf】"
    (citation,) = text.annotations
    assert citation.type == "file_citation" and citation.file_citation.file_id == pdf_id
    assert citation.text == marker
    assert (citation.start_index, citation.end_index) == (answer.index(marker), answer.index(marker) + len(marker))
    assert text.value[citation.start_index:citation.end_index] == marker

    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc").data
    call = steps[0].step_details.tool_calls[0]
    assert call.type == "file_search"
    assert call.file_search.ranking_options.ranker == "default_2024_08_21"
    assert call.file_search.ranking_options.score_threshold == 0.0
    assert call.file_search.results[0].file_id == pdf_id and call.file_search.results[0].file_name == "spline.pdf"
    assert call.file_search.results[0].content is None  # only when asked for
    with_content = client.beta.threads.runs.steps.retrieve(
        step_id=steps[0].id, thread_id=thread.id, run_id=run.id,
        include=["step_details.tool_calls[*].file_search.results[*].content"])
    first = with_content.step_details.tool_calls[0].file_search.results[0]
    assert "cubic spline kernels" in first.content[0].text and first.content[0].type == "text"


def test_search_results_reach_the_model_with_markers(client, script):
    store = client.vector_stores.create(name="markers")
    client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("report.docx", documents.docx(
            [documents.filler(400, 21), "The Kestrel project budget for 2025 is 3.1 million dollars."])))
    # The model answers "saw it" only if the tool output it reads holds the marker and the excerpt.
    model = script({"tool_calls": [{"name": "file_search", "arguments": {"queries": ["Kestrel budget"]}}]},
                   {"when": {"role": "tool", "contains": "【0:0†report.docx】"}, "text": "saw it"},
                   {"text": "no marker"})
    assistant = client.beta.assistants.create(model=model, tools=[{"type": "file_search", "file_search": {
        "max_num_results": 2, "ranking_options": {"ranker": "auto", "score_threshold": 0.0}}}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Budget?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error
    assert client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value == "saw it"
    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc").data
    call = steps[0].step_details.tool_calls[0].file_search
    assert len(call.results) == 2 and call.ranking_options.ranker == "auto"  # of ~12 chunks
    assert call.results[0].score > call.results[1].score
    # Too long to go inline: the system prompt names the file and the tool instead.
    inspect = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, model="scripted/inspect",
        additional_messages=[{"role": "user", "content": "what did you get?"}])
    request = json.loads(client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value)
    assert inspect.status == "completed" and "file_search" in request["tools"]
    system = request["messages"][0]["content"]
    assert "report.docx" in system and "file_search" in system and "Kestrel" not in system


def test_inline_path_for_short_files_only(client, script):
    short = client.files.create(file=("memo.txt", b"Memo: the office closes early on Friday at 3pm."),
                                purpose="assistants")
    long = client.files.create(file=("manual.txt", documents.filler(600, 31).encode()), purpose="assistants")
    assistant = client.beta.assistants.create(model="scripted/inspect", tools=[{"type": "file_search"}])

    def system_prompt(file_id: str) -> str:
        thread = client.beta.threads.create(messages=[{
            "role": "user", "content": "When does the office close?",
            "attachments": [{"file_id": file_id, "tools": [{"type": "file_search"}]}]}])
        run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
        assert run.status == "completed", run.last_error
        request = json.loads(client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value)
        return request["messages"][0]["content"]

    inline = system_prompt(short.id)
    assert "the office closes early on Friday at 3pm" in inline and "【0†memo.txt】" in inline
    searched = system_prompt(long.id)
    assert "manual.txt" in searched and documents.filler(600, 31)[:200] not in searched


def test_attachments_make_the_thread_vector_store_and_cite_inline_files(client, script):
    memo = client.files.create(file=("memo.txt", b"The parking garage code is 4471."), purpose="assistants")
    answer = "The code is 4471 【0†memo.txt】."
    assistant = client.beta.assistants.create(model=script({"text": answer}), tools=[{"type": "file_search"}])
    thread = client.beta.threads.create(messages=[{
        "role": "user", "content": "Garage code?", "attachments": [{"file_id": memo.id, "tools": [{"type": "file_search"}]}]}])
    store_ids = thread.tool_resources.file_search.vector_store_ids
    assert len(store_ids) == 1
    store = client.vector_stores.retrieve(store_ids[0])
    assert store.expires_after.anchor == "last_active_at" and store.expires_after.days == 7
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error
    assert client.vector_stores.retrieve(store.id).file_counts.completed == 1
    text = client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text
    (citation,) = text.annotations
    assert citation.file_citation.file_id == memo.id and text.value[citation.start_index:citation.end_index] == "【0†memo.txt】"
    # A later message's attachment goes into the same store.
    other = client.files.create(file=("more.txt", b"The bike room is on level -2."), purpose="assistants")
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="and this",
                                        attachments=[{"file_id": other.id, "tools": [{"type": "file_search"}]}])
    assert client.beta.threads.retrieve(thread.id).tool_resources.file_search.vector_store_ids == store_ids
    assert client.vector_stores.retrieve(store.id).file_counts.total == 2


def test_thread_vector_store_helper_and_scope(client, script):
    """`tool_resources.file_search.vector_stores` on thread create makes a store; runs search it and the
    assistant's store together."""
    asst_file = client.files.create(file=("policy.txt", documents.filler(300, 41).encode() +
                                          b" Refunds are accepted within 30 days of purchase."), purpose="assistants")
    thread_file = client.files.create(file=("order.txt", documents.filler(300, 42).encode() +
                                            b" Order 5531 shipped on March 3rd by courier."), purpose="assistants")
    asst_store = client.vector_stores.create(name="policies")
    batch = client.vector_stores.file_batches.create_and_poll(vector_store_id=asst_store.id, file_ids=[asst_file.id])
    assert batch.file_counts.completed == 1
    model = search_then_answer(script, ["refund window", "order 5531 shipping date"], "Done.")
    assistant = client.beta.assistants.create(model=model, tools=[{"type": "file_search"}],
                                              tool_resources={"file_search": {"vector_store_ids": [asst_store.id]}})
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "Refund and shipping?"}],
        tool_resources={"file_search": {"vector_stores": [{"file_ids": [thread_file.id]}]}})
    (thread_store,) = thread.tool_resources.file_search.vector_store_ids
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error
    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc").data
    found = {r.file_id for r in steps[0].step_details.tool_calls[0].file_search.results}
    assert {asst_file.id, thread_file.id} <= found
    assert client.vector_stores.retrieve(thread_store).file_counts.completed == 1


def test_text_at_the_end_of_a_long_chunk_is_findable(client):
    """MiniLM reads at most 256 word pieces; an 800-token chunk holds ~1,000. Chunks are embedded as windows,
    so the last paragraph of a full chunk is found by meaning alone (dense-only ranking)."""
    pad = documents.filler(48, 51)  # ~690 tokens of gardening word salad
    answer = ("The archive vault is in the basement of the old library. It opens with the passphrase amber falcon, "
              "which only the head archivist knows.")
    store = client.vector_stores.create(name="long chunks")
    files = [named("vault.txt", f"{pad} {answer}".encode())]
    files += [named(f"other{i}.txt", f"{pad} {documents.filler(2, 60 + i)}".encode()) for i in range(4)]
    client.vector_stores.file_batches.upload_and_poll(vector_store_id=store.id, files=files)
    vault = next(f for f in client.files.list() if f.filename == "vault.txt")
    results = client.post(f"/vector_stores/{store.id}/search", cast_to=object, body={
        "query": "how do I open the archive vault?", "max_num_results": 5,
        "ranking_options": {"hybrid_search": {"embedding_weight": 1, "text_weight": 0}}})["data"]
    assert results[0]["file_id"] == vault.id
    text = results[0]["content"][0]["text"]
    assert text.startswith(pad[:50]) and text.rstrip().endswith("head archivist knows.")  # one chunk: the whole file
    assert results[0]["score"] > results[1]["score"] + 0.1


def test_streamed_run_with_file_search(client, script):
    store = client.vector_stores.create(name="stream")
    client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=named(
        "ferry.txt", documents.filler(400, 71).encode() + b" The last ferry to Osmund leaves at 21:40."))
    answer = "At 21:40 【0:0†ferry.txt】."
    model = search_then_answer(script, ["last ferry Osmund"], answer)
    assistant = client.beta.assistants.create(model=model, tools=[{"type": "file_search"}],
                                              tool_resources={"file_search": {"vector_store_ids": [store.id]}})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Last ferry?"}])
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        events = list(stream)
        (message,) = stream.get_final_messages()
        run = stream.get_final_run()
    assert run.status == "completed"
    searched = [e.data for e in events if e.event == "thread.run.step.completed" and e.data.type == "tool_calls"]
    assert searched[0].step_details.tool_calls[0].file_search.results[0].file_name == "ferry.txt"
    text = message.content[0].text
    assert text.value == answer and text.annotations[0].text == "【0:0†ferry.txt】"
    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc").data
    assert steps[0].step_details.tool_calls[0].type == "file_search"
