"""Copy the request-body schemas the emulator validates against out of OpenAI's OpenAPI spec.

Run from the repository root when the spec changes:

    python scripts/vendor_openapi_schemas.py ../shared/openai-spec/openapi.nullable-fixed.json

Writes `emulator/api/openapi_requests.json`: the named request schemas and every
component they reference, without descriptions and examples. (The spec is MIT.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REQUESTS = [
    "CreateAssistantRequest", "ModifyAssistantRequest",
    "CreateThreadRequest", "ModifyThreadRequest",
    "CreateMessageRequest", "ModifyMessageRequest",
    "CreateRunRequest", "CreateThreadAndRunRequest", "ModifyRunRequest", "SubmitToolOutputsRunRequest",
    "CreateVectorStoreRequest", "UpdateVectorStoreRequest", "CreateVectorStoreFileRequest",
    "CreateVectorStoreFileBatchRequest", "UpdateVectorStoreFileAttributesRequest", "VectorStoreSearchRequest",
    "CreateResponse", "TokenCountsBody", "CreateConversationBody", "UpdateConversationBody", "InputItem",
    "CreateContainerBody", "CreateContainerFileBody",
]
_DROP = {"description", "example", "examples", "x-oaiMeta", "x-oaiTypeLabel", "x-oaiExpandable", "title", "deprecated"}


def _strip(node, *, names: bool = False):
    """Drop documentation keys; `names` marks a `properties` map, whose keys are field names."""
    if isinstance(node, dict):
        return {k: _strip(v, names=(k == "properties" and not names)) for k, v in node.items()
                if names or k not in _DROP}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def main(spec_path: str) -> None:
    schemas = json.loads(Path(spec_path).read_text())["components"]["schemas"]
    wanted, todo = set(), [n for n in REQUESTS if n in schemas]
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        found: set[str] = set()
        _refs(schemas[name], found)
        todo.extend(found - wanted)
    out = {"components": {"schemas": {n: _strip(schemas[n]) for n in sorted(wanted)}}}
    target = Path(__file__).resolve().parent.parent / "emulator" / "api" / "openapi_requests.json"
    target.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(wanted)} schemas to {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/openai-spec/openapi.nullable-fixed.json")
