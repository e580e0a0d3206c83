"""API errors in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`."""

from __future__ import annotations

from typing import Any


class APIError(Exception):
    """An error the API reports to the client with an HTTP status."""

    status_code = 400
    error_type = "invalid_request_error"
    headers: dict[str, str] = {}
    """Extra response headers (e.g. `Connection: close`)."""

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.error_type, "param": self.param, "code": self.code}}


class InvalidRequest(APIError):
    status_code = 400


class NotFound(APIError):
    status_code = 404

    @classmethod
    def object(cls, kind: str, object_id: str) -> "NotFound":
        return cls(f"No {kind} found with id '{object_id}'.")


class Unauthorized(APIError):
    status_code = 401


class MethodNotAllowed(APIError):
    status_code = 405


class RequestTooLarge(APIError):
    """A body over the server's size limit. The connection is closed: the rest of the body is not read."""

    status_code = 413
    headers = {"connection": "close"}


class ServerError(APIError):
    status_code = 500
    error_type = "server_error"

    @classmethod
    def unexpected(cls) -> "ServerError":
        """What OpenAI answers when something fails that should not have."""
        return cls("The server had an error while processing your request. Sorry about that!")
