"""/v1/files"""

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from emulator.api.http import ListParams, json_response, list_response, services
from emulator.errors import InvalidRequest


async def upload_file(request):
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidRequest("Expected a multipart/form-data body with 'file' and 'purpose'.", param="file")
    form = await request.form()
    try:
        upload, purpose = form.get("file"), form.get("purpose")
        if not isinstance(upload, UploadFile):
            raise InvalidRequest("Missing required parameter: 'file'.", param="file", code="missing_required_parameter")
        if not purpose:
            raise InvalidRequest("Missing required parameter: 'purpose'.", param="purpose",
                                 code="missing_required_parameter")
        data = await upload.read()
        return json_response(services(request).files.create(upload.filename or "upload", data, str(purpose)))
    finally:
        await form.close()


async def list_files(request):
    params = ListParams.parse(request, default_limit=10000, max_limit=10000)
    return list_response(services(request).files.page(params, request.query_params.get("purpose")))


async def retrieve_file(request):
    return json_response(services(request).files.get(request.path_params["file_id"]))


async def delete_file(request):
    return json_response(services(request).files.delete(request.path_params["file_id"]))


async def file_content(request):
    file, data = services(request).files.content(request.path_params["file_id"])
    disposition = f'attachment; filename="{file.filename}"'
    return Response(data, media_type="application/octet-stream", headers={"Content-Disposition": disposition})


routes = [
    Route("/files", upload_file, methods=["POST"]),
    Route("/files", list_files, methods=["GET"]),
    Route("/files/{file_id}", retrieve_file, methods=["GET"]),
    Route("/files/{file_id}", delete_file, methods=["DELETE"]),
    Route("/files/{file_id}/content", file_content, methods=["GET"]),
]
