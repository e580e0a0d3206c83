"""Schemathesis against OpenAI's own OpenAPI spec, cut to the operations the emulator serves.

Every generated request, valid (`positive`) or not (`negative`), must get an answer that is not a 5xx,
and every answer must match the spec's response schema for its status; errors must be OpenAI's
`{"error": {...}}`. Stateless per operation first, with seeded ids: one real object of each kind is made
first, and its ids go into the generated paths and bodies (`assistant_id`, `file_ids`, ...), so cases
reach real objects rather than only 404s (deletes keep their random ids, so the objects stay). Then
stateful: schemathesis infers links from the response schemas and path parameters (create an assistant,
then use its id in a later path). Generation is derandomized, so a failure reproduces.

`EMULATOR_SCHEMATHESIS_EXAMPLES` sets the examples per operation (default 30) and
`EMULATOR_SCHEMATHESIS_STEPS` the stateful scenarios (default 20); CI runs the defaults (about a minute).
`EMULATOR_SCHEMATHESIS_COVERAGE=1` adds schemathesis's coverage phase (boundary values, wrong methods).
A deep run (150 examples, 60 scenarios, coverage on: 10,905 requests, 7 minutes) found no 5xx.
The spec is `../shared/openai-spec/openapi.nullable-fixed.json` beside the repository.

The spec's own mistakes, worked around here (`_fix_spec_mistakes`), each a place where OpenAI's real API
(which the emulator follows) differs from what the spec says:
- Empty lists: OpenAI answers `first_id: null, last_id: null`; the spec types both as strings.
- `ContainerResource` lists a `required` field twice (a schema validator rejects the schema itself).
- Raw file content: `GET /files/{id}/content` answers the file's bytes (`application/octet-stream`); the
  spec says a JSON string.
- Server-sent events: runs created or continued with `stream: true` answer `text/event-stream`; the spec
  lists only `application/json` (a media type without a schema, so the events are not schema-checked).
- Undocumented 4xx: most operations document only 200, yet OpenAI answers 400/404 with its error object;
  a `4XX` response with the spec's own `ErrorResponse` is added, so error bodies are checked too.
- `purpose: evals`: the upload's request enum has it, the File object's response enum does not.
- `attachments`: `required: [file_id, tools]` sits on the array rather than its items (the emulator's
  request validation fixes this the same way, see emulator/api/spec_fixes.py).
- The 404 of deleting or cancelling a response is typed as a bare `Error`; OpenAI answers its usual
  `{"error": {...}}` there as everywhere.
"""

from __future__ import annotations

import copy
import json
import os
from collections import Counter

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from emulator.api.spec_fixes import _move_array_required_to_items
from emulator.testing import EmulatorServer
from tests.helpers.hostile import World, make_world
from tests.helpers.paths import OPENAI_SPEC

EXAMPLES = int(os.environ.get("EMULATOR_SCHEMATHESIS_EXAMPLES", "30"))
STEPS = int(os.environ.get("EMULATOR_SCHEMATHESIS_STEPS", "20"))
SERVED_PREFIXES = ("/assistants", "/threads", "/files", "/vector_stores", "/responses", "/conversations",
                   "/containers")
NOT_SERVED = ("/responses/compact",)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
STREAMING = ("/threads/runs", "/threads/{thread_id}/runs", "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs")


def cut_spec() -> dict:
    """The spec with only the operations the emulator serves (all of theirs: 67), mistakes fixed."""
    if not OPENAI_SPEC.exists():
        raise FileNotFoundError(f"the OpenAPI spec is expected at {OPENAI_SPEC} (../shared beside the project)")
    spec = json.loads(OPENAI_SPEC.read_text())
    spec["paths"] = {path: ops for path, ops in spec["paths"].items()
                     if path.startswith(SERVED_PREFIXES) and "?" not in path and path not in NOT_SERVED}
    return _fix_spec_mistakes(spec)


def _fix_spec_mistakes(spec: dict) -> dict:
    schemas = spec["components"]["schemas"]
    for name, schema in schemas.items():
        if (name.startswith("List") and name.endswith("Response")) or name.endswith("ListResource"):
            for key in ("first_id", "last_id"):
                if key in schema.get("properties", {}):
                    schema["properties"][key] = {"type": ["string", "null"]}
    schemas["OpenAIFile"]["properties"]["purpose"]["enum"].append("evals")
    for name in ("ContainerResource", "ContainerFileResource"):
        schemas[name]["required"] = list(dict.fromkeys(schemas[name].get("required", [])))
    _move_array_required_to_items(schemas["CreateMessageRequest"])
    content = spec["paths"]["/files/{file_id}/content"]["get"]["responses"]["200"]
    content["content"] = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    for path, method in (("/responses/{response_id}", "delete"), ("/responses/{response_id}/cancel", "post")):
        spec["paths"][path][method]["responses"].pop("404", None)
    for path in STREAMING:
        spec["paths"][path]["post"]["responses"]["200"]["content"]["text/event-stream"] = {}
    error = {"description": "An error", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}
    for operations in spec["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("4XX", copy.deepcopy(error))
    return spec


class Tally:
    """Requests sent and 5xx answers seen, over the whole module, and statuses by operation."""

    requests = 0
    server_errors = 0
    statuses: Counter = Counter()

    @classmethod
    def count(cls, case, response) -> None:
        cls.requests += 1
        cls.server_errors += response.status_code >= 500
        cls.statuses[(case.operation.label, response.status_code)] += 1

    @classmethod
    def summary(cls) -> str:
        lines = [f"schemathesis: {cls.requests} requests, {cls.server_errors} answered 5xx"]
        by_operation: dict[str, list[str]] = {}
        for (label, status), n in sorted(cls.statuses.items()):
            by_operation.setdefault(label, []).append(f"{status}x{n}")
        lines += [f"  {label}: {' '.join(counts)}" for label, counts in by_operation.items()]
        return "\n".join(lines)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, scripts_dir):
    # Every model name answers with the echo script, so generated runs finish at once, offline.
    env = {"EMULATOR_SANDBOX_POOL_SIZE": "0", "EMULATOR_MODEL_MAP": json.dumps({"*": {"model": "scripted/echo"}}),
           "EMULATOR_LOG_LEVEL": "error"}
    srv = EmulatorServer(tmp_path_factory.mktemp("schemathesis"), scripts_dir, env).start()
    yield srv
    srv.stop()
    print("\n" + Tally.summary())


class Seeds:
    """Ids of real objects (one of each), put into the stateless cases so that they reach past the 404s:
    seeded ids. Off in the stateful test, where links carry the ids from one call to the next."""

    world: World | None = None
    PATH = {"assistant_id": "assistant", "thread_id": "thread", "message_id": "message", "run_id": "run",
            "vector_store_id": "vector_store", "file_id": "file", "batch_id": "batch"}

    @classmethod
    def apply(cls, case):
        world = cls.world
        if world is None or case.method.upper() == "DELETE":  # deletes keep random ids: the world stays
            return case
        for name, attribute in cls.PATH.items():
            if name in (case.path_parameters or {}):
                case.path_parameters[name] = getattr(world, attribute)
        if isinstance(case.body, dict):
            if isinstance(case.body.get("assistant_id"), str):
                case.body["assistant_id"] = world.assistant
            if isinstance(case.body.get("file_id"), str):
                case.body["file_id"] = world.file
            if isinstance(case.body.get("file_ids"), list) and case.body["file_ids"]:
                case.body["file_ids"] = [world.file]
        return case


# Loaded when the module is collected (schemathesis parametrizes from it); the base URL comes at call time.
schema = schemathesis.openapi.from_dict(cut_spec(), config=schemathesis.Config.from_dict({
    "generation": {"mode": "all", "max-examples": EXAMPLES},
    "phases": {"coverage": {"enabled": os.environ.get("EMULATOR_SCHEMATHESIS_COVERAGE") == "1"}},
}))


@schema.hook
def map_case(context, case):
    return Seeds.apply(case)


@pytest.fixture(scope="module")
def seeded(fuzz_server):
    with httpx.Client(base_url=fuzz_server.base_url, timeout=60) as http:
        Seeds.world = make_world(http)
    yield Seeds.world
    Seeds.world = None


SETTINGS = dict(derandomize=True, deadline=None, database=None, suppress_health_check=list(hypothesis.HealthCheck))


@schema.parametrize()
@hypothesis.settings(max_examples=EXAMPLES, **SETTINGS)
def test_no_operation_answers_5xx_or_off_spec(case, fuzz_server, seeded):
    response = case.call(base_url=fuzz_server.base_url, timeout=60)
    Tally.count(case, response)
    case.validate_response(response, checks=CHECKS)


def test_stateful_chains_answer_no_5xx_and_match_the_spec(fuzz_server):
    Seeds.world = None
    class Machine(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": fuzz_server.base_url, "timeout": 60}

        def call(self, case, **kwargs):
            response = case.call(**kwargs)
            Tally.count(case, response)
            return response

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Machine.run(settings=hypothesis.settings(max_examples=STEPS, stateful_step_count=8, **SETTINGS))


def test_no_request_was_answered_with_a_5xx():
    assert Tally.requests > 0
    assert Tally.server_errors == 0
