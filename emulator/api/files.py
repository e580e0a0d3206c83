"""/v1/files"""

import re
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from emulator.api.http import ListParams, json_response, list_response, services
from emulator.api.routing import ApiRoute
from emulator.errors import InvalidRequest


async def upload_file(request: Request) -> Response:
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
        filename = check_filename(upload.filename or "upload")
        data = await upload.read()
        return json_response(services(request).files.create(filename, data, str(purpose)))
    finally:
        await form.close()


async def list_files(request: Request) -> Response:
    params = ListParams.parse(request, default_limit=10000, max_limit=10000)
    return list_response(services(request).files.page(params, request.query_params.get("purpose")))


async def retrieve_file(request: Request) -> Response:
    return json_response(services(request).files.get(request.path_params["file_id"]))


async def delete_file(request: Request) -> Response:
    return json_response(services(request).files.delete(request.path_params["file_id"]))


async def file_content(request: Request) -> Response:
    file, data = services(request).files.content(request.path_params["file_id"])
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": content_disposition(file.filename)})


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_PLAIN = re.compile(r'[^\x20-\x7e]|["\\]')


def check_filename(filename: str) -> str:
    """An uploaded file's name, refused if it holds a control character: a NUL or line break cannot go back
    out in a Content-Disposition header, and no file system takes a NUL (refused rather than stored unusable)."""
    if _CONTROL.search(filename):
        raise InvalidRequest("Invalid 'file': the filename contains a control character.", param="file",
                             code="invalid_value")
    return filename


def content_disposition(filename: str) -> str:
    """`attachment` with the name as RFC 6266 gives it: a plain-ASCII `filename` for old clients (other
    characters become `_`), and, when that is not the name itself, `filename*` with the UTF-8 name."""
    fallback = _NOT_PLAIN.sub("_", filename)
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    # Control characters (in a name stored before they were refused) are percent-encoded like any byte;
    # errors="replace" covers a name that is not valid Unicode (from a file system, via surrogateescape).
    encoded = quote(filename.encode("utf-8", errors="replace"), safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


routes = [
    ApiRoute("/files", upload_file, methods=["POST"]),
    ApiRoute("/files", list_files, methods=["GET"]),
    ApiRoute("/files/{file_id}", retrieve_file, methods=["GET"]),
    ApiRoute("/files/{file_id}", delete_file, methods=["DELETE"]),
    ApiRoute("/files/{file_id}/content", file_content, methods=["GET"]),
]
