"""Response bodies checked against the official OpenAPI spec's schemas (../shared beside the project)."""

from __future__ import annotations

import functools
import json

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.helpers.paths import OPENAI_SPEC


@functools.cache
def spec() -> dict:
    if not OPENAI_SPEC.exists():
        pytest.fail(f"the OpenAPI spec is expected at {OPENAI_SPEC} (../shared beside the project)")
    return json.loads(OPENAI_SPEC.read_text())


def assert_matches(schema_name: str, body: dict) -> None:
    schema = {**spec(), "$ref": f"#/components/schemas/{schema_name}"}
    if body.get("object") == "list" and not body["data"]:
        # The spec types first_id/last_id as strings; an empty list has none (see shared/README.md).
        body = {**body, "first_id": body["first_id"] or "", "last_id": body["last_id"] or ""}
    errors = sorted(Draft202012Validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"{schema_name}: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


class Raw:
    """Raw HTTP to a server: each call asserts a 200 whose body matches the named schema, and returns it."""

    def __init__(self, server):
        self.http = httpx.Client(base_url=server.base_url, timeout=30, headers={"Authorization": "Bearer k"})

    def __call__(self, method: str, path: str, schema: str, **kwargs) -> dict:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert_matches(schema, body)
        return body
