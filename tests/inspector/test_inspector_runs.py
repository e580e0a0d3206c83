"""The inspector in headless Chromium: runs with code_interpreter (a real sandbox) and file_search, seen as
a chat and as a timeline, and a streamed run followed live."""

from __future__ import annotations

import threading

import pytest

from tests.helpers import documents
from tests.helpers.code_interpreter import ANALYSIS, ANSWER, BANKS_CSV, ci_assistant, code_call
from tests.helpers.documents import named

PAPER_FACT = "The Spline Transformer reaches a BLEU score of 41.7 by replacing softmax attention with cubic spline kernels."


@pytest.mark.usefixtures("sandbox_image")
def test_code_interpreter_run_shows_code_logs_and_image(client, script, server, inspector):
    banks = client.files.create(file=("banks.csv", BANKS_CSV.encode()), purpose="assistants")
    model = script(code_call(ANALYSIS), {"text": ANSWER})
    assistant = ci_assistant(client, model, tool_resources={"code_interpreter": {"file_ids": [banks.id]}})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Which states had the most failures?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error

    page = inspector(server).open(f"threads/{thread.id}")
    page.text_of(".message.role-assistant", "Illinois had the most failures")
    page.image_loaded(".message img[data-file-id]")  # the chart, from the message's image_file
    link = page.text_of(".message a.file-link", "failures_by_state.csv")  # the file_path annotation
    run_link = page.find(f".message.role-assistant a.run-link[href$='{run.id}']")
    page.screenshot("code-interpreter-thread")
    link.click()
    page.text_of("#toast", "Downloaded failures_by_state.csv")

    run_link.click()
    page.wait_loaded()
    page.text_of(".tool-code_interpreter pre.code", "df.groupby('State')")
    page.text_of(".tool-code_interpreter pre.logs", "{'IL': 3, 'FL': 2, 'TX': 1}")
    page.image_loaded(".tool-code_interpreter img.ci-image")
    page.text_of("#timeline", "in_progress")
    assert len(page.all("#model-calls .model-call")) == 2
    page.text_of("#model-calls .model-call", "prompt +")
    page.full_screenshot("code-interpreter-run")


def test_file_search_run_shows_scores_and_a_citation_to_its_file(client, script, server, inspector, embedding_model):
    paper = documents.pdf([documents.filler(10, 31), PAPER_FACT, documents.filler(10, 32)])
    store = client.vector_stores.create(name="papers")
    client.vector_stores.file_batches.upload_and_poll(
        vector_store_id=store.id, files=[named("spline.pdf", paper), named("garden.txt", documents.filler(60, 33).encode())])
    pdf_id = next(f.id for f in client.files.list() if f.filename == "spline.pdf")
    answer = "It replaces softmax attention with cubic spline kernels【0:0†spline.pdf】 and reaches 41.7 BLEU."
    model = script({"tool_calls": [{"name": "file_search", "arguments": {"queries": ["spline transformer BLEU"]}}]},
                   {"when": {"role": "tool"}, "text": answer})
    assistant = client.beta.assistants.create(model=model, tools=[{"type": "file_search"}],
                                              tool_resources={"file_search": {"vector_store_ids": [store.id]}})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "What does the paper achieve?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error

    page = inspector(server).open(f"threads/{thread.id}/runs/{run.id}")
    page.text_of(".tool-file_search code.query", "spline transformer BLEU")
    scores = [float(e.text) for e in page.all(".tool-file_search .search-result .score")]
    assert scores and scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1
    page.text_of(".tool-file_search .search-result", "cubic spline kernels", folded=True)  # the chunk text
    citation = page.find(f"#run-messages a.citation[data-file-id='{pdf_id}']")
    assert citation.text == "[1]"
    page.full_screenshot("file-search-run")
    citation.click()
    page.text_of("#toast", "Downloaded spline.pdf")

    page.open(f"vector_stores/{store.id}")
    row = page.text_of("#vs-files tr.vs-file", "spline.pdf")
    assert int(row.find_element("css selector", ".chunks").text) >= 1
    assert "null" not in page.find("#main").text.split()
    page.find("#search-query").send_keys("cubic spline kernels")
    page.find("#search-form button").click()
    first = page.text_of("#search-results .search-result", "spline.pdf")
    page.text_of("#search-results .search-result", "cubic spline kernels", folded=True)
    assert 0 < float(first.find_element("css selector", ".score").text) <= 1
    page.screenshot("vector-store-search")


def test_a_streamed_run_updates_live(client, script, server, inspector):
    words = " ".join(f"word{i}" for i in range(30))
    model = script({"text": words, "delay_ms": 150})
    assistant = client.beta.assistants.create(model=model)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "talk slowly"}])

    def stream() -> None:
        with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as events:
            events.until_done()

    streaming = threading.Thread(target=stream)
    streaming.start()
    try:
        page = inspector(server)
        page.wait(lambda _d: client.beta.threads.runs.list(thread_id=thread.id).data, timeout=10)
        run_id = client.beta.threads.runs.list(thread_id=thread.id).data[0].id
        page.open(f"threads/{thread.id}/runs/{run_id}")
        page.driver.execute_script("""
            window.__sameDocument = true;
            window.__seen = [];  // the live text's length at each change
            const text = document.getElementById("live-text");
            new MutationObserver(() => window.__seen.push(text.textContent.length))
              .observe(text, {childList: true, characterData: true, subtree: true});""")
        page.text_of("#run-status", "in_progress")
        page.wait(lambda d: len(d.execute_script("return window.__seen")) >= 3)
        assert "word29" not in page.find("#live-text").text
        page.screenshot("live-run-in-progress")
        page.text_of("#run-status", "completed", timeout=30)
        page.text_of("#run-messages .message", "word29")
        seen = page.driver.execute_script("return window.__seen")
        assert len(seen) >= 5 and seen == sorted(seen)  # it grew bit by bit, as the words streamed
        assert page.find("#live-text").text.endswith("word29")
        assert page.driver.execute_script("return window.__sameDocument") is True  # no reload
        page.screenshot("live-run-completed")
    finally:
        streaming.join(timeout=30)
