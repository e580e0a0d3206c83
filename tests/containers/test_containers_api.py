"""The Containers API (`/v1/containers`) through the SDK: containers, their files, errors and expiry."""

from __future__ import annotations

import httpx
import openai
import pytest

CSV = b"state,failures\nIL,3\nFL,2\n"


def error_of(exc: openai.APIStatusError) -> dict:
    return exc.response.json()["error"]


def test_create_with_file_ids_retrieve_and_files(client):
    upload = client.files.create(file=("banks.csv", CSV), purpose="user_data")
    container = client.containers.create(name="analysis", file_ids=[upload.id])
    assert container.id.startswith("cntr_") and container.object == "container"
    assert container.status == "running" and container.name == "analysis"
    assert container.expires_after.anchor == "last_active_at" and container.expires_after.minutes == 20
    assert container.last_active_at == container.created_at and container.memory_limit == "1g"

    again = client.containers.retrieve(container.id)
    assert again.model_dump() == container.model_dump()

    (file,) = client.containers.files.list(container.id).data
    assert file.id.startswith("cfile_") and file.object == "container.file"
    assert (file.container_id, file.path, file.source, file.bytes) == (container.id, "/mnt/data/banks.csv", "user",
                                                                       len(CSV))
    assert client.containers.files.retrieve(file.id, container_id=container.id).model_dump() == file.model_dump()
    assert client.containers.files.content.retrieve(file.id, container_id=container.id).read() == CSV


def test_upload_then_content_is_the_exact_bytes(client):
    container = client.containers.create(name="uploads", expires_after={"anchor": "last_active_at", "minutes": 5})
    assert container.expires_after.minutes == 5
    data = bytes(range(256)) * 40 + b"\x00\r\n"
    file = client.containers.files.create(container.id, file=("blob.bin", data))
    assert (file.path, file.source, file.bytes) == ("/mnt/data/blob.bin", "user", len(data))
    response = client.containers.files.content.with_raw_response.retrieve(file.id, container_id=container.id)
    assert response.http_response.content == data
    assert response.http_response.headers["content-disposition"] == 'attachment; filename="blob.bin"'

    # The same name again gets a path of its own; a hostile name is made safe.
    second = client.containers.files.create(container.id, file=("blob.bin", b"other"))
    assert second.path == f"/mnt/data/blob-{second.id}.bin"
    odd = client.containers.files.create(container.id, file=("../../etc/pass wd?.txt", b"x"))
    assert odd.path == "/mnt/data/pass wd_.txt"


def test_create_file_from_an_uploaded_file(client):
    upload = client.files.create(file=("notes.md", b"# notes\n"), purpose="assistants")
    container = client.containers.create(name="from file")
    file = client.containers.files.create(container.id, file_id=upload.id)
    assert (file.path, file.source, file.bytes) == ("/mnt/data/notes.md", "user", 8)
    assert client.containers.files.content.retrieve(file.id, container_id=container.id).read() == b"# notes\n"
    # The copy is the container's: deleting the upload leaves it.
    client.files.delete(upload.id)
    assert client.containers.files.content.retrieve(file.id, container_id=container.id).read() == b"# notes\n"


def test_delete_file_and_container(client):
    container = client.containers.create(name="short-lived")
    kept = client.containers.files.create(container.id, file=("a.txt", b"a"))
    gone = client.containers.files.create(container.id, file=("b.txt", b"b"))
    raw = client.with_options(max_retries=0).containers.files.with_raw_response.delete(gone.id,
                                                                                       container_id=container.id)
    assert raw.http_response.json() == {"id": gone.id, "object": "container.file.deleted", "deleted": True}
    assert [f.id for f in client.containers.files.list(container.id).data] == [kept.id]
    with pytest.raises(openai.NotFoundError) as caught:
        client.containers.files.retrieve(gone.id, container_id=container.id)
    assert error_of(caught.value)["message"] == f"No container file found with id '{gone.id}'."

    raw = client.containers.with_raw_response.delete(container.id)
    assert raw.http_response.json() == {"id": container.id, "object": "container.deleted", "deleted": True}
    for call in (lambda: client.containers.retrieve(container.id),
                 lambda: client.containers.files.list(container.id),
                 lambda: client.containers.files.content.retrieve(kept.id, container_id=container.id)):
        with pytest.raises(openai.NotFoundError):
            call()


def test_list_pagination_and_name_filter(client):
    name = f"page-{id(client)}"
    made = [client.containers.create(name=name).id for _ in range(5)]
    other = client.containers.create(name=f"{name}-other").id
    page = client.containers.list(name=name, limit=2, order="asc")
    assert [c.id for c in page.data] == made[:2] and page.has_more
    assert [c.id for c in client.containers.list(name=name, limit=2, order="asc")] == made  # auto-paging
    newest = client.containers.list(limit=1)
    assert [c.id for c in newest.data] == [other]
    following = client.containers.list(name=name, after=made[1], limit=10, order="asc")
    assert [c.id for c in following.data] == made[2:] and not following.has_more

    container = made[0]
    files = [client.containers.files.create(container, file=(f"f{i}.txt", b"x")).id for i in range(3)]
    first = client.containers.files.list(container, limit=2)
    assert [f.id for f in first.data] == files[::-1][:2] and first.has_more
    assert [f.id for f in client.containers.files.list(container, limit=2, after=files[1])] == [files[0]]


def test_unknown_ids_and_bad_bodies(server, client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.containers.retrieve("cntr_nope")
    assert caught.value.response.json() == {"error": {
        "message": "No container found with id 'cntr_nope'.", "type": "invalid_request_error", "param": None,
        "code": None}}
    container = client.containers.create(name="errors")
    with pytest.raises(openai.NotFoundError) as caught:
        client.containers.files.content.retrieve("cfile_nope", container_id=container.id)
    assert error_of(caught.value)["message"] == "No container file found with id 'cfile_nope'."
    with pytest.raises(openai.NotFoundError) as caught:
        client.containers.files.create(container.id, file_id="file-nope")
    assert error_of(caught.value)["message"] == "No file found with id 'file-nope'."
    with pytest.raises(openai.NotFoundError):
        client.containers.create(name="x", file_ids=["file-nope"])
    with pytest.raises(openai.NotFoundError):
        client.containers.delete("cntr_nope")
    # A file of another container is not this one's.
    other = client.containers.create(name="other")
    theirs = client.containers.files.create(other.id, file=("t.txt", b"t"))
    with pytest.raises(openai.NotFoundError):
        client.containers.files.retrieve(theirs.id, container_id=container.id)

    base = server.base_url
    for body, param in (({}, "name"), ({"name": 5}, "name"), ({"name": "x", "bogus": 1}, "bogus"),
                        ({"name": "x", "expires_after": {"anchor": "created_at", "minutes": 5}}, None),
                        ({"name": "x", "expires_after": {"anchor": "last_active_at", "minutes": 0}}, None),
                        ({"name": "x", "memory_limit": "2g"}, None)):
        response = httpx.post(f"{base}/containers", json=body)
        assert response.status_code == 400, body
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error"
        if param:
            assert error["param"] == param
    response = httpx.post(f"{base}/containers/{container.id}/files", json={})
    assert response.status_code == 400 and response.json()["error"]["param"] == "file_id"
    response = httpx.post(f"{base}/containers/{container.id}/files", files={"other": ("a", b"a")})
    assert response.status_code == 400 and response.json()["error"]["param"] == "file"
    response = httpx.post(f"{base}/containers", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    response = httpx.get(f"{base}/containers?limit=0")
    assert response.status_code == 400 and response.json()["error"]["param"] == "limit"


def test_idle_containers_expire(make_server):
    # Deterministic mode: the clock stands still until the test moves it; the sweep runs every 50 ms.
    srv = make_server({"EMULATOR_DETERMINISTIC": "1", "EMULATOR_CONTAINER_EXPIRY_SWEEP_INTERVAL_S": "0.05"})
    client = srv.client()
    short = client.containers.create(name="short", expires_after={"anchor": "last_active_at", "minutes": 1})
    file = client.containers.files.create(short.id, file=("a.txt", b"a"))
    lasting = client.containers.create(name="default")
    srv.advance_clock(59)
    assert client.containers.retrieve(short.id).status == "running"
    srv.advance_clock(1)
    assert client.containers.retrieve(short.id).status == "expired"
    assert client.containers.retrieve(lasting.id).status == "running"

    for call in (lambda: client.containers.files.list(short.id),
                 lambda: client.containers.files.retrieve(file.id, container_id=short.id),
                 lambda: client.containers.files.content.retrieve(file.id, container_id=short.id),
                 lambda: client.containers.files.create(short.id, file=("b.txt", b"b"))):
        with pytest.raises(openai.BadRequestError) as caught:
            call()
        assert caught.value.response.json() == {"error": {"message": "Container is expired.",
                                                          "type": "invalid_request_error", "param": None,
                                                          "code": None}}

    # Uploading marks a container active: its expiry counts from then.
    srv.advance_clock(18 * 60)  # 19 minutes in all
    client.containers.files.create(lasting.id, file=("keep.txt", b"k"))
    srv.advance_clock(19 * 60)
    statuses = {c.id: c.status for c in client.containers.list()}
    assert statuses == {short.id: "expired", lasting.id: "running"}
    srv.advance_clock(60)
    deadline_statuses = {c.id: c.status for c in client.containers.list()}
    assert deadline_statuses[lasting.id] == "expired"
    client.containers.delete(short.id)  # an expired container can be deleted
    assert [c.id for c in client.containers.list()] == [lasting.id]
