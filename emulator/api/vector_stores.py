"""/v1/vector_stores and /v1/vector_stores/{id}/search"""

from starlette.requests import Request
from starlette.responses import Response

from emulator.api.http import ListParams, json_response, list_response, read_json, read_json_body, server, services
from emulator.api.routing import ApiRoute
from emulator.api.validation import validate_body
from emulator.tools.file_search.filters import check_filter


def poll_headers(request: Request) -> dict[str, str]:
    return {"openai-poll-after-ms": str(server(request).runtime.settings.poll_after_ms)}


async def wait_if_polled(request: Request, vector_store_id: str, still_running: bool) -> bool:
    """For the SDK's poll helpers: hold the answer briefly until ingestion moves on. True if it waited."""
    if still_running and request.headers.get("x-stainless-poll-helper") == "true":
        wait_s = server(request).runtime.settings.poll_wait_ms / 1000
        await services(request).vector_stores.files.wait_for_change(vector_store_id, wait_s)
        return True
    return False


async def create_vector_store(request: Request) -> Response:
    body = await read_json(request, "CreateVectorStoreRequest")
    return json_response(services(request).vector_stores.create(body))


async def list_vector_stores(request: Request) -> Response:
    return list_response(services(request).vector_stores.page(ListParams.parse(request)))


async def retrieve_vector_store(request: Request) -> Response:
    vector_stores, store_id = services(request).vector_stores, request.path_params["vector_store_id"]
    store = vector_stores.get(store_id)
    if await wait_if_polled(request, store_id, store.status == "in_progress"):
        store = vector_stores.get(store_id)
    return json_response(store, headers=poll_headers(request))


async def modify_vector_store(request: Request) -> Response:
    body = await read_json(request, "UpdateVectorStoreRequest")
    return json_response(services(request).vector_stores.update(request.path_params["vector_store_id"], body))


async def delete_vector_store(request: Request) -> Response:
    return json_response(services(request).vector_stores.delete(request.path_params["vector_store_id"]))


async def search_vector_store(request: Request) -> Response:
    body = await read_json_body(request)
    # `filters` are checked apart from the schema: compound filters refer to themselves in a way the
    # validator does not follow (see check_filter). `ranking_options.hybrid_search` is an emulator
    # extension the schema is given in emulator.api.spec_fixes.
    filters = body.pop("filters", None) if isinstance(body, dict) else None
    body = validate_body(body, "VectorStoreSearchRequest")
    if filters is not None:
        check_filter(filters)
        body["filters"] = filters
    hybrid = (body.get("ranking_options") or {}).get("hybrid_search")
    page = await services(request).vector_stores.search(request.path_params["vector_store_id"], body, hybrid)
    return json_response(page)


routes = [
    ApiRoute("/vector_stores", create_vector_store, methods=["POST"]),
    ApiRoute("/vector_stores", list_vector_stores, methods=["GET"]),
    ApiRoute("/vector_stores/{vector_store_id}", retrieve_vector_store, methods=["GET"]),
    ApiRoute("/vector_stores/{vector_store_id}", modify_vector_store, methods=["POST"]),
    ApiRoute("/vector_stores/{vector_store_id}", delete_vector_store, methods=["DELETE"]),
    ApiRoute("/vector_stores/{vector_store_id}/search", search_vector_store, methods=["POST"]),
]
