"""/assistants/{id}/files and /threads/{t}/messages/{m}/files: endpoints of Assistants API v1 only.

To a request not in the v1 dialect these URLs do not exist (404), as at OpenAI after v1.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from emulator.api.assistants_v1.dialect import is_v1
from emulator.api.http import ListParams, json_response, list_response, read_json_body, services
from emulator.api.routing import ApiRoute
from emulator.errors import InvalidRequest


class V1Route(ApiRoute):
    """A route that only requests marked `OpenAI-Beta: assistants=v1` can match."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not is_v1(scope):
            return Match.NONE, {}
        return super().matches(scope)


async def list_assistant_files(request: Request) -> Response:
    params = ListParams.parse(request)
    s = services(request)
    assistant = s.assistants.get(request.path_params["assistant_id"])
    return list_response(s.v1_files.assistant_files_page(assistant, params))


async def retrieve_assistant_file(request: Request) -> Response:
    s, p = services(request), request.path_params
    return json_response(s.v1_files.assistant_file(s.assistants.get(p["assistant_id"]), p["file_id"]))


async def attach_assistant_file(request: Request) -> Response:
    s = services(request)
    assistant = s.assistants.get(request.path_params["assistant_id"])
    body = await read_json_body(request)
    file_id = body.get("file_id") if isinstance(body, dict) else None
    if not isinstance(file_id, str) or not file_id:
        raise InvalidRequest("Missing required parameter: 'file_id'.", param="file_id",
                             code="missing_required_parameter")
    return json_response(s.v1_files.attach(assistant, file_id))


async def detach_assistant_file(request: Request) -> Response:
    s, p = services(request), request.path_params
    return json_response(s.v1_files.detach(s.assistants.get(p["assistant_id"]), p["file_id"]))


async def list_message_files(request: Request) -> Response:
    params = ListParams.parse(request)
    s, p = services(request), request.path_params
    return list_response(s.v1_files.message_files_page(s.messages.get(p["thread_id"], p["message_id"]), params))


async def retrieve_message_file(request: Request) -> Response:
    s, p = services(request), request.path_params
    return json_response(s.v1_files.message_file(s.messages.get(p["thread_id"], p["message_id"]), p["file_id"]))


_ASSISTANT_FILES = "/assistants/{assistant_id}/files"
_MESSAGE_FILES = "/threads/{thread_id}/messages/{message_id}/files"
routes = [
    V1Route(_ASSISTANT_FILES, list_assistant_files, methods=["GET"]),
    V1Route(_ASSISTANT_FILES, attach_assistant_file, methods=["POST"]),
    V1Route(_ASSISTANT_FILES + "/{file_id}", retrieve_assistant_file, methods=["GET"]),
    V1Route(_ASSISTANT_FILES + "/{file_id}", detach_assistant_file, methods=["DELETE"]),
    V1Route(_MESSAGE_FILES, list_message_files, methods=["GET"]),
    V1Route(_MESSAGE_FILES + "/{file_id}", retrieve_message_file, methods=["GET"]),
]
