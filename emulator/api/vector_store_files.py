"""/v1/vector_stores/{id}/files and /v1/vector_stores/{id}/file_batches"""

from typing import Any

from openai.types import VectorStore
from starlette.requests import Request
from starlette.responses import Response

from emulator.api.http import ListParams, json_response, list_response, read_json, services
from emulator.api.routing import ApiRoute
from emulator.api.vector_stores import poll_headers, wait_if_polled
from emulator.services.vector_store_files import VectorStoreFileService


def _files(request: Request) -> VectorStoreFileService:
    return services(request).vector_stores.files


def _store(request: Request) -> VectorStore:
    """The path's vector store (404 when there is none)."""
    return services(request).vector_stores.get(request.path_params["vector_store_id"])


async def create_file(request: Request) -> Response:
    store = _store(request)
    body = await read_json(request, "CreateVectorStoreFileRequest")
    entry: dict[str, Any] = {k: body[k] for k in ("file_id", "chunking_strategy", "attributes") if k in body}
    return json_response(_files(request).add_files(store, [entry])[0], headers=poll_headers(request))


async def list_files(request: Request) -> Response:
    store = _store(request)
    status = request.query_params.get("filter")
    return list_response(_files(request).page(store.id, ListParams.parse(request), status))


async def retrieve_file(request: Request) -> Response:
    store, file_id = _store(request), request.path_params["file_id"]
    file = _files(request).get(store.id, file_id)
    if await wait_if_polled(request, store.id, file.status == "in_progress"):
        file = _files(request).get(store.id, file_id)
    return json_response(file, headers=poll_headers(request))


async def update_file(request: Request) -> Response:
    store = _store(request)
    body = await read_json(request, "UpdateVectorStoreFileAttributesRequest")
    return json_response(_files(request).update_attributes(store.id, request.path_params["file_id"],
                                                           body.get("attributes")))


async def delete_file(request: Request) -> Response:
    store = _store(request)
    return json_response(_files(request).delete(store.id, request.path_params["file_id"]))


async def file_content(request: Request) -> Response:
    store = _store(request)
    return json_response(_files(request).content(store.id, request.path_params["file_id"]))


async def create_batch(request: Request) -> Response:
    store = _store(request)
    body = await read_json(request, "CreateVectorStoreFileBatchRequest")
    return json_response(_files(request).create_batch(store, body), headers=poll_headers(request))


async def retrieve_batch(request: Request) -> Response:
    store, batch_id = _store(request), request.path_params["batch_id"]
    batch = _files(request).get_batch(store.id, batch_id)
    if await wait_if_polled(request, store.id, batch.file_counts.in_progress > 0):
        batch = _files(request).get_batch(store.id, batch_id)
    return json_response(batch, headers=poll_headers(request))


async def cancel_batch(request: Request) -> Response:
    store = _store(request)
    return json_response(_files(request).cancel_batch(store.id, request.path_params["batch_id"]),
                         headers=poll_headers(request))


async def list_batch_files(request: Request) -> Response:
    store = _store(request)
    batch = _files(request).get_batch(store.id, request.path_params["batch_id"])
    status = request.query_params.get("filter")
    return list_response(_files(request).page(store.id, ListParams.parse(request), status, batch.id))


_FILE = "/vector_stores/{vector_store_id}/files/{file_id}"
_BATCH = "/vector_stores/{vector_store_id}/file_batches/{batch_id}"
routes = [
    ApiRoute("/vector_stores/{vector_store_id}/files", create_file, methods=["POST"]),
    ApiRoute("/vector_stores/{vector_store_id}/files", list_files, methods=["GET"]),
    ApiRoute(_FILE, retrieve_file, methods=["GET"]),
    ApiRoute(_FILE, update_file, methods=["POST"]),
    ApiRoute(_FILE, delete_file, methods=["DELETE"]),
    ApiRoute(_FILE + "/content", file_content, methods=["GET"]),
    ApiRoute("/vector_stores/{vector_store_id}/file_batches", create_batch, methods=["POST"]),
    ApiRoute(_BATCH, retrieve_batch, methods=["GET"]),
    ApiRoute(_BATCH + "/cancel", cancel_batch, methods=["POST"]),
    ApiRoute(_BATCH + "/files", list_batch_files, methods=["GET"]),
]
