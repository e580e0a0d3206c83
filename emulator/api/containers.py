"""/v1/containers and /v1/containers/{id}/files"""

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from emulator.api.files import check_filename, content_disposition
from emulator.api.http import ListParams, json_response, list_response, query_params, read_json, services
from emulator.api.routing import ApiRoute
from emulator.errors import InvalidRequest


async def create_container(request: Request) -> Response:
    body = await read_json(request, "CreateContainerBody")
    # `skills` are accepted and not used: the sandbox has no skills to load.
    container = services(request).containers.create(
        body["name"], body.get("file_ids") or (), body.get("expires_after"), body.get("memory_limit"),
        body.get("network_policy"))
    return json_response(container)


async def list_containers(request: Request) -> Response:
    params = ListParams.parse(request)
    return list_response(services(request).containers.page(params, query_params(request).get("name")))


async def retrieve_container(request: Request) -> Response:
    return json_response(services(request).containers.retrieve(request.path_params["container_id"]))


async def delete_container(request: Request) -> Response:
    return json_response(await services(request).containers.delete(request.path_params["container_id"]))


async def create_container_file(request: Request) -> Response:
    """A multipart upload (`file`), or a JSON body naming an uploaded File (`file_id`)."""
    containers, container_id = services(request).containers, request.path_params["container_id"]
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        body = await read_json(request, "CreateContainerFileBody")
        if not isinstance(body.get("file_id"), str):
            raise InvalidRequest("Missing required parameter: 'file_id'.", param="file_id",
                                 code="missing_required_parameter")
        return json_response(containers.add_from_file(container_id, body["file_id"]))
    form = await request.form()
    try:
        upload, file_id = form.get("file"), form.get("file_id")
        if isinstance(file_id, str) and file_id and upload is None:
            return json_response(containers.add_from_file(container_id, file_id))
        if not isinstance(upload, UploadFile):
            raise InvalidRequest("Missing required parameter: 'file'.", param="file", code="missing_required_parameter")
        filename = check_filename(upload.filename or "upload")
        data = await upload.read()
        return json_response(containers.add_upload(container_id, filename, data))
    finally:
        await form.close()


async def list_container_files(request: Request) -> Response:
    params = ListParams.parse(request)
    return list_response(services(request).containers.files_page(request.path_params["container_id"], params))


async def retrieve_container_file(request: Request) -> Response:
    path = request.path_params
    return json_response(services(request).containers.retrieve_file(path["container_id"], path["file_id"]))


async def delete_container_file(request: Request) -> Response:
    path = request.path_params
    return json_response(services(request).containers.delete_file(path["container_id"], path["file_id"]))


async def container_file_content(request: Request) -> Response:
    path = request.path_params
    file, data = services(request).containers.file_content(path["container_id"], path["file_id"])
    name = file.path.rsplit("/", 1)[-1]
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": content_disposition(name)})


routes = [
    ApiRoute("/containers", create_container, methods=["POST"]),
    ApiRoute("/containers", list_containers, methods=["GET"]),
    ApiRoute("/containers/{container_id}", retrieve_container, methods=["GET"]),
    ApiRoute("/containers/{container_id}", delete_container, methods=["DELETE"]),
    ApiRoute("/containers/{container_id}/files", create_container_file, methods=["POST"]),
    ApiRoute("/containers/{container_id}/files", list_container_files, methods=["GET"]),
    ApiRoute("/containers/{container_id}/files/{file_id}", retrieve_container_file, methods=["GET"]),
    ApiRoute("/containers/{container_id}/files/{file_id}", delete_container_file, methods=["DELETE"]),
    ApiRoute("/containers/{container_id}/files/{file_id}/content", container_file_content, methods=["GET"]),
]
