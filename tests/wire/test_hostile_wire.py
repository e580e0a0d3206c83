"""Hostile input around the JSON (issue 9, item 4): body sizes, file names, and what an unexpected
error does to a kept-alive connection."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response, StreamingResponse

from emulator.testing import EmulatorServer, free_port
from tests.helpers.hostile import assert_connection_kept, error_of, local_port

LIMIT = 100_000
UPLOAD_LIMIT = 300_000


@pytest.fixture(scope="module")
def small_server(tmp_path_factory, scripts_dir):
    """A server with small body limits, so going over them is cheap."""
    env = {"EMULATOR_SANDBOX_POOL_SIZE": "0", "EMULATOR_MAX_REQUEST_BYTES": str(LIMIT),
           "EMULATOR_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT)}
    srv = EmulatorServer(tmp_path_factory.mktemp("limits"), scripts_dir, env).start()
    yield srv
    srv.stop()


@pytest.fixture
def http(small_server):
    with httpx.Client(base_url=small_server.base_url, timeout=60) as c:
        yield c


def count(http: httpx.Client, path: str) -> int:
    return len(http.get(path).json()["data"])


# -- body size --------------------------------------------------------------------------------------
def test_json_body_over_the_limit_is_413_and_closes_cleanly(http):
    before = count(http, "/assistants?limit=100")
    body = {"model": "scripted/echo", "instructions": "x" * LIMIT}
    response = http.post("/assistants", json=body)
    error = error_of(response, 413)
    assert (error["type"], error["code"]) == ("invalid_request_error", "request_too_large")
    assert response.headers["connection"] == "close"  # said, so the client does not reuse the connection
    assert count(http, "/assistants?limit=100") == before


def test_chunked_json_body_over_the_limit_is_413(http):
    def chunks():
        yield b'{"model": "scripted/echo", "instructions": "'
        for _ in range(20):
            yield b"x" * 10_000
        yield b'"}'
    before = count(http, "/assistants?limit=100")
    response = http.post("/assistants", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert error_of(response, 413)["code"] == "request_too_large"
    assert count(http, "/assistants?limit=100") == before


def test_body_under_the_limit_is_fine(http):
    response = http.post("/assistants", json={"model": "scripted/echo", "instructions": "x" * (LIMIT // 2)})
    assert response.status_code == 200, response.text


def test_uploads_have_their_own_larger_limit(http):
    data = b"a" * (LIMIT * 2)  # over the JSON limit, under the upload limit
    response = http.post("/files", files={"file": ("big.txt", data)}, data={"purpose": "assistants"})
    assert response.status_code == 200, response.text
    assert http.get(f"/files/{response.json()['id']}/content").content == data
    before = count(http, "/files")
    response = http.post("/files", files={"file": ("huge.txt", b"a" * UPLOAD_LIMIT)}, data={"purpose": "assistants"})
    assert error_of(response, 413)["code"] == "request_too_large"
    assert count(http, "/files") == before


# -- file names ---------------------------------------------------------------------------------------
def raw_upload(http: httpx.Client, filename: bytes, data: bytes = b"data") -> httpx.Response:
    """An upload whose multipart headers carry the file name byte for byte (httpx would %-escape some)."""
    boundary = b"hostile-boundary"
    body = (b"--%s\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n"
            b"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
            b"Content-Type: text/plain\r\n\r\n%s\r\n--%s--\r\n") % (boundary, boundary, filename, data, boundary)
    return http.post("/files", content=body, headers={"content-type": f"multipart/form-data; boundary={boundary.decode()}"})


@pytest.mark.parametrize("name", [b"a\x00b.txt", b"\x01start.txt", b"esc\x1b.txt", b"tab\t.txt", b"del\x7f.txt"])
def test_upload_with_a_control_character_in_its_name_is_400(http, name):
    before = count(http, "/files")
    response = raw_upload(http, name)
    error = error_of(response, 400)
    assert (error["param"], error["code"]) == ("file", "invalid_value")
    assert_connection_kept(http, response)
    assert count(http, "/files") == before


@pytest.mark.parametrize("name,header", [
    ("plain.txt", 'attachment; filename="plain.txt"'),
    ("отчёт 2024.pdf", "attachment; filename=\"_____ 2024.pdf\"; "
                      "filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%202024.pdf"),
    ("日本.txt", "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"),
])
def test_download_names_any_file_per_rfc_6266(http, name, header):
    uploaded = http.post("/files", files={"file": (name, b"content")}, data={"purpose": "assistants"})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["filename"] == name
    response = http.get(f"/files/{uploaded.json()['id']}/content")
    assert response.status_code == 200 and response.content == b"content"
    assert response.headers["content-disposition"] == header
    assert_connection_kept(http, response)


def test_content_disposition_quotes_nothing_it_should_not():
    from emulator.api.files import content_disposition

    header = content_disposition('say "hi" \\ bye.txt')
    assert header == "attachment; filename=\"say _hi_ _ bye.txt\"; filename*=UTF-8''say%20%22hi%22%20%5C%20bye.txt"


def test_content_disposition_of_a_stored_name_with_control_characters():
    # Names stored before such uploads were refused still download: every byte is percent-encoded.
    from emulator.api.files import content_disposition

    header = content_disposition("a\x00b\r\n.txt")
    assert header == "attachment; filename=\"a_b__.txt\"; filename*=UTF-8''a%00b%0D%0A.txt"
    assert all(0x20 <= ord(c) < 0x7f for c in header)


def test_upload_with_purpose_evals_is_kept(http):
    response = http.post("/files", files={"file": ("set.jsonl", b"{}\n")}, data={"purpose": "evals"})
    assert response.status_code == 200, response.text
    file = response.json()
    assert file["purpose"] == "evals"
    assert http.get(f"/files/{file['id']}").json() == file
    assert file["id"] in [f["id"] for f in http.get("/files", params={"purpose": "evals"}).json()["data"]]


# -- unexpected errors --------------------------------------------------------------------------------
async def _boom(request):
    raise RuntimeError("a bug")


async def _bad_header(request):
    return Response("x", headers={"x-name": "a\x00b"})


async def _broken_stream(request):
    async def chunks():
        yield b"data: 1\n\n"
        raise RuntimeError("a bug mid-stream")
    return StreamingResponse(chunks(), media_type="text/event-stream")


async def _echo_size(request):
    return Response(str(len(await request.body())))


async def _unfit(request):
    """What a handler does with a body it did not expect: a missing key, a model that will not validate."""
    from openai.types.beta import Thread

    kind = request.query_params["kind"]
    if kind == "key":
        return {}["file_id"]
    Thread.model_validate({"id": 1})


@pytest.fixture(scope="module")
def guarded_app_url():
    """The emulator's edge middleware around routes that fail, served by uvicorn as the emulator is."""
    from emulator.api.routing import ApiRoute
    from emulator.api.wire import Edge

    app = Starlette(routes=[ApiRoute("/boom", _boom, methods=["GET"]),
                            ApiRoute("/bad-header", _bad_header, methods=["GET"]),
                            ApiRoute("/stream", _broken_stream, methods=["GET"]),
                            ApiRoute("/size", _echo_size, methods=["POST"]),
                            ApiRoute("/unfit", _unfit, methods=["GET", "POST"])])
    app.add_middleware(Edge, max_json_bytes=1000, max_upload_bytes=5000)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("path", ["/boom", "/bad-header"])
def test_unexpected_errors_are_openai_500s_on_a_usable_connection(guarded_app_url, path):
    with httpx.Client(base_url=guarded_app_url, timeout=10) as http:
        port = local_port(http.post("/size", content=b"{}"))
        response = http.get(path)
        error = error_of(response, 500)
        assert error == {"message": "The server had an error while processing your request. Sorry about that!",
                         "type": "server_error", "param": None, "code": None}
        assert "connection" not in response.headers
        assert local_port(response) == port
        follow = http.post("/size", content=b"{}")
        assert follow.text == "2" and local_port(follow) == port


def test_a_stream_that_fails_midway_ends_the_connection(guarded_app_url):
    # Nothing can be said cleanly once a response has started: the connection is closed, which the
    # client sees as a truncated stream (and a fresh connection serves the next request).
    with httpx.Client(base_url=guarded_app_url, timeout=10) as http:
        with pytest.raises(httpx.HTTPError):
            http.get("/stream").read()
        assert http.post("/size", content=b"{}").text == "2"


def test_edge_body_limits_by_content_type(guarded_app_url):
    with httpx.Client(base_url=guarded_app_url, timeout=10) as http:
        assert http.post("/size", content=b"x" * 1000).text == "1000"
        assert error_of(http.post("/size", content=b"x" * 1001), 413)["code"] == "request_too_large"
        multipart = {"content-type": "multipart/form-data; boundary=b"}
        assert http.post("/size", content=b"x" * 4000, headers=multipart).text == "4000"
        assert error_of(http.post("/size", content=b"x" * 5001, headers=multipart), 413)["code"] == \
            "request_too_large"


@pytest.mark.parametrize("kind,message,param", [
    ("key", "Missing required parameter: 'file_id'.", "file_id"),
    ("model", "Invalid 'id': Input should be a valid string.", "id"),
])
def test_a_body_a_handler_cannot_use_is_400_on_post_and_500_otherwise(guarded_app_url, kind, message, param):
    with httpx.Client(base_url=guarded_app_url, timeout=10) as http:
        error = error_of(http.post("/unfit", params={"kind": kind}, content=b"{}"), 400)
        assert (error["message"], error["param"], error["type"]) == (message, param, "invalid_request_error")
        assert error_of(http.get("/unfit", params={"kind": kind}), 500)["type"] == "server_error"
