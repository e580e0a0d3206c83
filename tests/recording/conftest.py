"""Fixtures of the recording area (record and replay, deterministic mode, the pytest plugin)."""

from __future__ import annotations

import pytest

from emulator.testing import EmulatorServer


@pytest.fixture(scope="session")
def controlled_server(tmp_path_factory, scripts_dir) -> EmulatorServer:
    """A server with test controls on: a test calls `reset(...)` for a blank state with other settings."""
    srv = EmulatorServer(tmp_path_factory.mktemp("controlled"), scripts_dir, {"EMULATOR_TEST_CONTROLS": "1"}).start()
    yield srv
    srv.stop()
