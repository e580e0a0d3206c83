"""Fixtures of every area: a real emulator server in a subprocess, driven over HTTP by the `openai` SDK.

Fixtures that only one area uses sit in that area's conftest.py, helpers that are not fixtures in
tests/helpers/."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml
from openai import OpenAI

from emulator.testing import EmulatorServer
from tests.helpers import documents
from tests.helpers.paths import FIXTURES
from tests.helpers.upstream import Upstream

pytest_plugins = ["pytester"]  # to run user-style test files against the emulator's pytest plugin


class Scripts:
    """Writes scripted-model scripts into the server's scripts dir; returns the model name to use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __call__(self, *turns: dict, name: str | None = None) -> str:
        name = name or f"t_{uuid.uuid4().hex[:10]}"
        (self.directory / f"{name}.yaml").write_text(yaml.safe_dump({"turns": list(turns)}))
        return f"scripted/{name}"


@pytest.fixture(scope="session")
def scripts_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("scripts")
    for path in (FIXTURES / "scripts").glob("*.yaml"):
        (directory / path.name).write_text(path.read_text())
    return directory


@pytest.fixture(scope="session")
def sandbox_image() -> str:
    """code_interpreter tests run real containers: Docker and the image must be there (never skipped)."""
    from emulator.settings import Settings
    from emulator.tools.code_interpreter.docker import DockerError
    from emulator.tools.code_interpreter.image import ensure_image

    try:
        return ensure_image(Settings())
    except (DockerError, OSError) as exc:
        pytest.fail(f"Docker is needed for the code_interpreter tests and is not usable: {exc} "
                    "(scripts/test.sh runs scripts/ensure_docker.sh and `assistants-emulator sandbox build`)")


@pytest.fixture(scope="session")
def server(tmp_path_factory, scripts_dir) -> EmulatorServer:
    srv = EmulatorServer(tmp_path_factory.mktemp("data"), scripts_dir, {"EMULATOR_SANDBOX_POOL_SIZE": "1"}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def controlled_server(tmp_path_factory, scripts_dir) -> EmulatorServer:
    """A server with test controls on: a test calls `reset(...)` for a blank state with other settings."""
    srv = EmulatorServer(tmp_path_factory.mktemp("controlled"), scripts_dir, {"EMULATOR_TEST_CONTROLS": "1"}).start()
    yield srv
    srv.stop()


@pytest.fixture
def make_server(tmp_path, scripts_dir):
    """A private server (for restarts, short timeouts, an API key)."""
    started: list[EmulatorServer] = []

    def make(env: dict[str, str] | None = None, args: list[str] | None = None) -> EmulatorServer:
        env = {"EMULATOR_SANDBOX_POOL_SIZE": "0", **(env or {})}
        srv = EmulatorServer(tmp_path / f"data{len(started)}", scripts_dir, env, args).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def client(server) -> OpenAI:
    return server.client()


@pytest.fixture
def script(scripts_dir) -> Scripts:
    return Scripts(scripts_dir)


@pytest.fixture
def upstream():
    """A stand-in OpenAI-compatible model server on loopback (see tests/helpers/upstream.py)."""
    srv = Upstream().start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def embedding_model() -> None:
    """Servers that ingest files (file_search, crash and shutdown tests) want the embedding model built."""
    documents.build_embedding_model()
