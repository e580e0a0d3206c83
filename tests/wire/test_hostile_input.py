"""Hostile JSON bodies on every POST endpoint get OpenAI's 400 and error shape, store nothing, and leave
the kept-alive connection usable (issue 9, item 4). Raw httpx, so the bytes on the wire are exactly these."""

from __future__ import annotations

import json

import httpx
import pytest

from emulator.testing import EmulatorServer
from tests.helpers.hostile import World, assert_connection_kept, error_of, make_world, snapshot

# name -> (path, a valid body for it); ids come from the World.
ENDPOINTS = {
    "assistants.create": ("/assistants", lambda w: {"model": "scripted/echo"}),
    "assistants.modify": ("/assistants/{assistant}", lambda w: {}),
    "threads.create": ("/threads", lambda w: {}),
    "threads.modify": ("/threads/{thread}", lambda w: {}),
    "threads.create_and_run": ("/threads/runs", lambda w: {"assistant_id": w.assistant}),
    "messages.create": ("/threads/{thread}/messages", lambda w: {"role": "user", "content": "x"}),
    "messages.modify": ("/threads/{thread}/messages/{message}", lambda w: {}),
    "runs.create": ("/threads/{thread}/runs", lambda w: {"assistant_id": w.assistant}),
    "runs.modify": ("/threads/{thread}/runs/{run}", lambda w: {}),
    "runs.submit_tool_outputs": ("/threads/{thread}/runs/{run}/submit_tool_outputs",
                                 lambda w: {"tool_outputs": []}),
    "vector_stores.create": ("/vector_stores", lambda w: {}),
    "vector_stores.modify": ("/vector_stores/{vector_store}", lambda w: {}),
    "vector_stores.search": ("/vector_stores/{vector_store}/search", lambda w: {"query": "garage"}),
    "vector_stores.files.create": ("/vector_stores/{vector_store}/files", lambda w: {"file_id": w.file}),
    "vector_stores.files.update": ("/vector_stores/{vector_store}/files/{file}", lambda w: {"attributes": {}}),
    "vector_stores.file_batches.create": ("/vector_stores/{vector_store}/file_batches",
                                          lambda w: {"file_ids": [w.file]}),
}
TOO_DEEP = "The JSON body of your request is nested too deeply"
BAD_JSON = "We could not parse the JSON body of your request."


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, scripts_dir):
    """A server of its own: the snapshots must not see other tests' objects change."""
    srv = EmulatorServer(tmp_path_factory.mktemp("hostile"), scripts_dir, {"EMULATOR_SANDBOX_POOL_SIZE": "0"}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def world(hostile_server) -> World:
    with httpx.Client(base_url=hostile_server.base_url, timeout=60) as http:
        return make_world(http)


@pytest.fixture
def http(hostile_server):
    with httpx.Client(base_url=hostile_server.base_url, timeout=60) as c:
        yield c


def rejected(http: httpx.Client, world: World, path: str, raw: bytes, status: int = 400) -> dict:
    """POST the raw body; the answer is an error of this status, nothing changed, the connection lives."""
    before = snapshot(http, world)
    response = http.post(world.path(path), content=raw, headers={"content-type": "application/json"})
    error = error_of(response, status)
    assert error["type"] == "invalid_request_error"
    assert_connection_kept(http, response)
    assert snapshot(http, world) == before, "rejected input changed what is stored"
    return error


def nested(depth: int) -> str:
    """An object nested `depth` deep, as JSON text (json.dumps itself gives up past ~1000 levels)."""
    return '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1)


def with_raw(body: dict, key: str, raw_value: str) -> bytes:
    """The body as JSON with one more member written verbatim (for what json.dumps will not write)."""
    text = json.dumps(body)
    return (text[:-1] + (", " if body else "") + f'"{key}": {raw_value}}}').encode()


# -- nesting --------------------------------------------------------------------------------------
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_100k_nested_arrays_are_400(http, world, endpoint):
    error = rejected(http, world, ENDPOINTS[endpoint][0], b"[" * 100_000 + b"]" * 100_000)
    assert error["message"].startswith(TOO_DEEP)


@pytest.mark.parametrize("depth", [100, 2000])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_deep_objects_in_metadata_are_400(http, world, endpoint, depth):
    path, body = ENDPOINTS[endpoint]
    error = rejected(http, world, path, with_raw(body(world), "metadata", nested(depth)))
    assert error["message"].startswith(TOO_DEEP)
    assert error["param"] in ("metadata", None)  # None: too deep for the parser even to finish


def test_nesting_up_to_the_limit_is_accepted(http, world):
    schema: dict = {"type": "string"}
    for _ in range(20):  # 20 schema levels: 44 JSON levels deep with the envelope
        schema = {"type": "object", "properties": {"x": schema}}
    tool = {"type": "function", "function": {"name": "deep", "parameters": schema}}
    response = http.post("/assistants", json={"model": "scripted/echo", "tools": [tool]})
    assert response.status_code == 200, response.text
    assert response.json()["tools"][0]["function"]["parameters"] == schema


# -- numbers that are not numbers ------------------------------------------------------------------
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("endpoint,key", [
    ("assistants.create", "temperature"), ("assistants.modify", "top_p"), ("runs.create", "temperature"),
    ("threads.create_and_run", "top_p"),
])
def test_non_finite_numbers_are_400(http, world, endpoint, key, constant):
    path, body = ENDPOINTS[endpoint]
    error = rejected(http, world, path, with_raw(body(world), key, constant))
    assert error["message"].startswith(BAD_JSON)


@pytest.mark.parametrize("endpoint,raw", [
    ("vector_stores.files.update", '{"attributes": {"n": NaN}}'),
    ("vector_stores.search", '{"query": "x", "ranking_options": {"score_threshold": NaN}}'),
])
def test_non_finite_numbers_nested_are_400(http, world, endpoint, raw):
    assert rejected(http, world, ENDPOINTS[endpoint][0], raw.encode())["message"].startswith(BAD_JSON)


@pytest.mark.parametrize("endpoint,extra,param", [
    ("vector_stores.search", {"max_num_results": 5.0}, "max_num_results"),
    ("runs.create", {"max_prompt_tokens": 300.0}, "max_prompt_tokens"),
    ("runs.create", {"truncation_strategy": {"type": "last_messages", "last_messages": 2.0}},
     "truncation_strategy.last_messages"),
    ("threads.create_and_run", {"max_completion_tokens": 300.0}, "max_completion_tokens"),
    ("vector_stores.create", {"expires_after": {"anchor": "last_active_at", "days": 2.0}}, "expires_after.days"),
    ("vector_stores.create", {"chunking_strategy": {"type": "static", "static": {
        "max_chunk_size_tokens": 800.0, "chunk_overlap_tokens": 400}}},
     "chunking_strategy.static.max_chunk_size_tokens"),
])
def test_a_decimal_where_an_integer_belongs_is_400(http, world, endpoint, extra, param):
    path, body = ENDPOINTS[endpoint]
    error = rejected(http, world, path, json.dumps({**body(world), **extra}).encode())
    assert (error["param"], error["code"]) == (param, "invalid_type")
    assert error["message"] == f"Invalid type for '{param}': expected an integer, but got a decimal number instead."


@pytest.mark.parametrize("hybrid,param,code", [
    ({"embedding_weight": "x"}, "ranking_options.hybrid_search.embedding_weight", "invalid_type"),
    ({"text_weight": [1]}, "ranking_options.hybrid_search.text_weight", "invalid_type"),
    ({"embedding_weight": -1}, "ranking_options.hybrid_search.embedding_weight", "integer_below_min_value"),
    ({"weight": 1}, "ranking_options.hybrid_search.weight", "unknown_parameter"),
    ("both", "ranking_options.hybrid_search", "invalid_type"),
])
def test_bad_hybrid_search_options_are_400(http, world, hybrid, param, code):
    body = {"query": "garage", "ranking_options": {"hybrid_search": hybrid}}
    error = rejected(http, world, ENDPOINTS["vector_stores.search"][0], json.dumps(body).encode())
    assert (error["param"], error["code"]) == (param, code)


def test_good_hybrid_search_options_still_work(http, world):
    body = {"query": "garage code", "ranking_options": {"hybrid_search": {"embedding_weight": 1, "text_weight": 0.5}}}
    response = http.post(world.path("/vector_stores/{vector_store}/search"), json=body)
    assert response.status_code == 200, response.text
    assert "4711" in response.json()["data"][0]["content"][0]["text"]


# -- lone surrogates -------------------------------------------------------------------------------
SURROGATE_CASES = [
    ("assistants.create", {"name": "a\udc80b"}, "name"),
    ("assistants.create", {"description": "\ud800"}, "description"),
    ("assistants.create", {"instructions": "x\udfff"}, "instructions"),
    ("assistants.create", {"metadata": {"k": "\udc80"}}, "metadata.k"),
    ("assistants.create", {"metadata": {"\udc80": "v"}}, "metadata"),
    ("assistants.create", {"tools": [{"type": "function", "function": {"name": "f", "description": "\udc80"}}]},
     "tools[0].function.description"),
    ("assistants.modify", {"name": "a\udc80b"}, "name"),
    ("threads.create", {"messages": [{"role": "user", "content": "\udc80"}]}, "messages[0].content"),
    ("threads.create", {"metadata": {"k": "\udc80"}}, "metadata.k"),
    ("threads.modify", {"metadata": {"k": "\udc80"}}, "metadata.k"),
    ("threads.create_and_run", {"instructions": "\udc80"}, "instructions"),
    ("threads.create_and_run", {"thread": {"messages": [{"role": "user", "content": "\udc80"}]}},
     "thread.messages[0].content"),
    ("messages.create", {"content": "hi \udc80"}, "content"),
    ("messages.create", {"content": [{"type": "text", "text": "\udc80"}]}, "content[0].text"),
    ("messages.modify", {"metadata": {"k": "\udc80"}}, "metadata.k"),
    ("runs.create", {"instructions": "\udc80"}, "instructions"),
    ("runs.create", {"additional_instructions": "\udc80"}, "additional_instructions"),
    ("runs.create", {"additional_messages": [{"role": "user", "content": "\udc80"}]},
     "additional_messages[0].content"),
    ("runs.create", {"model": "scripted/\udc80"}, "model"),
    ("runs.modify", {"metadata": {"k": "\udc80"}}, "metadata.k"),
    ("runs.submit_tool_outputs", {"tool_outputs": [{"tool_call_id": "call_1", "output": "\udc80"}]},
     "tool_outputs[0].output"),
    ("vector_stores.create", {"name": "\udc80"}, "name"),
    ("vector_stores.modify", {"name": "\udc80"}, "name"),
    ("vector_stores.search", {"query": "garage \udc80"}, "query"),
    ("vector_stores.search", {"query": ["ok", "\udc80"]}, "query[1]"),
    ("vector_stores.files.create", {"attributes": {"k": "\udc80"}}, "attributes.k"),
    ("vector_stores.files.update", {"attributes": {"k": "\udc80"}}, "attributes.k"),
    ("vector_stores.file_batches.create", {"attributes": {"k": "\udc80"}}, "attributes.k"),
]


@pytest.mark.parametrize("endpoint,extra,param", SURROGATE_CASES)
def test_lone_surrogates_are_400(http, world, endpoint, extra, param):
    path, body = ENDPOINTS[endpoint]
    raw = json.dumps({**body(world), **extra})  # ensure_ascii writes the surrogate as a \u escape
    assert "\\ud" in raw
    error = rejected(http, world, path, raw.encode())
    assert (error["param"], error["code"]) == (param, "invalid_value")
    assert "lone surrogate" in error["message"]


def test_surrogate_pairs_are_fine(http, world):
    response = http.post("/assistants", content=b'{"model": "scripted/echo", "name": "\\ud83d\\ude00"}',
                         headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "\U0001F600"


# -- shapes the spec lets through ------------------------------------------------------------------
ATTACHMENT = {"tools": [{"type": "file_search"}]}


@pytest.mark.parametrize("endpoint,extra,param", [
    ("messages.create", {"attachments": [ATTACHMENT]}, "attachments[0].file_id"),
    ("threads.create", {"messages": [{"role": "user", "content": "x", "attachments": [ATTACHMENT]}]},
     "messages[0].attachments[0].file_id"),
    ("threads.create_and_run", {"thread": {"messages": [{"role": "user", "content": "x", "attachments": [ATTACHMENT]}]}},
     "thread.messages[0].attachments[0].file_id"),
    ("runs.create", {"additional_messages": [{"role": "user", "content": "x", "attachments": [ATTACHMENT]}]},
     "additional_messages[0].attachments[0].file_id"),
])
def test_attachment_without_file_id_is_400(http, world, endpoint, extra, param):
    path, body = ENDPOINTS[endpoint]
    error = rejected(http, world, path, json.dumps({**body(world), **extra}).encode())
    assert (error["param"], error["code"]) == (param, "missing_required_parameter")
    assert error["message"] == f"Missing required parameter: '{param}'."


@pytest.mark.parametrize("url", ["", "not a url", "example.com/cat.png", " https://example.com/cat.png"])
@pytest.mark.parametrize("endpoint,wrap,param", [
    ("messages.create", lambda part: {"content": [part]}, "content[0].image_url.url"),
    ("threads.create", lambda part: {"messages": [{"role": "user", "content": [part]}]},
     "messages[0].content[0].image_url.url"),
])
def test_image_url_that_is_not_a_url_is_400(http, world, endpoint, wrap, param, url):
    path, body = ENDPOINTS[endpoint]
    part = {"type": "image_url", "image_url": {"url": url}}
    error = rejected(http, world, path, json.dumps({**body(world), **wrap(part)}).encode())
    assert (error["param"], error["code"]) == (param, "invalid_value")


@pytest.mark.parametrize("url", ["https://example.com/cat.png", "data:image/png;base64,iVBORw0KGgo="])
def test_image_urls_still_work(http, world, url):
    thread = http.post("/threads", json={}).json()["id"]
    content = [{"type": "image_url", "image_url": {"url": url}}]
    response = http.post(f"/threads/{thread}/messages", json={"role": "user", "content": content})
    assert response.status_code == 200, response.text
    assert response.json()["content"][0]["image_url"]["url"] == url
