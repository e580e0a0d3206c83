"""pytest plugin: an Assistants API emulator per test, replaying cassettes, deterministic by default.

Installed with the package (entry point `pytest11`). Fixtures:

- `emulator_client`: a ready `openai.OpenAI` client; `emulator_async_client`: an `AsyncOpenAI`.
- `emulator`: the running server (`base_url`, `client()`, `advance_clock()`, `cassette`, `mode`).

While a test runs, `OPENAI_BASE_URL` points at its emulator, so code that builds its own
`OpenAI()` talks to it. Configure a test with the marker (or `indirect` parametrisation of
`emulator` with the same keys)::

    @pytest.mark.emulator(cassette="weather")        # replay fixtures/cassettes/weather.yaml
    @pytest.mark.emulator(script="math_tutor")       # every model answered by a script
    @pytest.mark.emulator(script={"turns": [{"text": "hi"}]})

`pytest --emulator-record` re-records the cassettes of the tests it runs, through the real
models (the model map comes from `emulator.toml`, `EMULATOR_MODEL_MAP` or the marker).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator, Literal

import pytest
import yaml
from openai import AsyncOpenAI, OpenAI

from emulator.llm.recording import MISS_LOG_NAME
from emulator.testing import EmulatorServer

_SESSION = pytest.StashKey["EmulatorSession"]()
_TEST_API_KEY = "sk-emulator-test"


@dataclass
class EmulatorOptions:
    """What the `emulator` marker accepts."""

    cassette: str | Path | bool | None = None
    """Cassette name (under `emulator_cassette_dir`, `.yaml` added) or path; True: one named after the test."""
    script: str | dict | None = None
    """Answer every model with this script: a name in the scripts dir, or the script itself (`{"turns": ...}`)."""
    scripts_dir: str | Path | None = None
    deterministic: bool = True
    seed: int = 0
    model_map: dict[str, Any] | None = None
    env: dict[str, str] = field(default_factory=dict)
    """More `EMULATOR_*` (or provider) variables for the server."""
    replay_tool_outputs: Literal["execute", "inject"] = "execute"


@dataclass
class EmulatorSession:
    """One test's emulator: the server, and the cassette it records or replays."""

    server: EmulatorServer
    mode: Literal["record", "replay"] | None
    cassette: Path | None

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def client(self, **kwargs: Any) -> OpenAI:
        return OpenAI(base_url=self.base_url, api_key=_TEST_API_KEY, max_retries=0, **kwargs)

    def async_client(self, **kwargs: Any) -> AsyncOpenAI:
        return AsyncOpenAI(base_url=self.base_url, api_key=_TEST_API_KEY, max_retries=0, **kwargs)

    def advance_clock(self, seconds: int) -> int:
        """Move the (deterministic) clock forward; runs whose deadline passed expire at once."""
        return self.server.advance_clock(seconds)

    def now(self) -> int:
        return self.server.now()

    def replay_misses(self) -> list[str]:
        """The messages of model requests (or hosted-tool calls) the cassette could not answer."""
        path = self.server.data_dir / MISS_LOG_NAME
        if not path.is_file():
            return []
        return [json.loads(line)["message"] for line in path.read_text().splitlines() if line.strip()]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("assistants-emulator")
    group.addoption("--emulator-record", action="store_true", default=False,
                    help="re-record the cassettes of the tests that run, through the real models")
    parser.addini("emulator_cassette_dir", "where cassette names resolve (relative to rootdir)",
                  default="fixtures/cassettes")
    parser.addini("emulator_scripts_dir", "the scripted model's scripts (relative to rootdir)",
                  default="fixtures/scripts")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "emulator(cassette=None, script=None, scripts_dir=None, deterministic=True, seed=0, "
                   "model_map=None, env={}, replay_tool_outputs='execute'): configure this test's Assistants "
                   "API emulator (assistants-emulator plugin)")


def _options(request: pytest.FixtureRequest) -> EmulatorOptions:
    chosen: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("emulator"))):  # the closest marker wins
        chosen.update(marker.kwargs)
    chosen.update(getattr(request, "param", None) or {})  # indirect parametrisation of `emulator`
    unknown = set(chosen) - {f.name for f in fields(EmulatorOptions)}
    if unknown:
        raise pytest.UsageError(f"emulator marker: unknown option(s) {sorted(unknown)}")
    return EmulatorOptions(**chosen)


def _rooted(config: pytest.Config, value: str | Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else Path(config.rootpath) / path


def cassette_path(request: pytest.FixtureRequest, value: str | Path | bool | None) -> Path | None:
    """Where the test's cassette lives: a name under `emulator_cassette_dir` or a path."""
    if value is None or value is False:
        return None
    base = _rooted(request.config, request.config.getini("emulator_cassette_dir"))
    if value is True:
        module = Path(request.node.path).stem
        value = f"{module}/{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}"
    path = Path(value)
    if not path.suffix:
        path = path.with_suffix(".yaml")
    return path if path.is_absolute() else base / path


def _model_map(options: EmulatorOptions, scratch: Path) -> dict[str, Any] | None:
    routes: dict[str, Any] = {}
    if isinstance(options.script, dict):
        path = scratch / "inline_script.yaml"
        path.write_text(yaml.safe_dump(options.script))
        routes["*"] = {"model": f"scripted/{path}"}
    elif options.script:
        routes["*"] = {"model": f"scripted/{options.script}"}
    routes.update(options.model_map or {})
    return routes or None


def _server_for(request: pytest.FixtureRequest, options: EmulatorOptions, scratch: Path) -> EmulatorSession:
    config = request.config
    cassette = cassette_path(request, options.cassette)
    mode: Literal["record", "replay"] | None = None
    args: list[str] = []
    if cassette is not None:
        mode = "record" if config.getoption("emulator_record") else "replay"
        if mode == "replay" and not cassette.is_file():
            pytest.fail(f"emulator: cassette {cassette} does not exist; record it with "
                        f"`pytest --emulator-record`", pytrace=False)
        args = [f"--{mode}", str(cassette), "--replay-tool-outputs", options.replay_tool_outputs]
    env = {"EMULATOR_DETERMINISTIC": "1" if options.deterministic else "0", "EMULATOR_SEED": str(options.seed),
           "PYTHONHASHSEED": "0"}
    model_map = _model_map(options, scratch)
    if model_map is not None:
        env["EMULATOR_MODEL_MAP"] = json.dumps(model_map)
    env.update(options.env)
    scripts_dir = _rooted(config, options.scripts_dir or config.getini("emulator_scripts_dir"))
    server = EmulatorServer(scratch / "data", scripts_dir, env, args)
    return EmulatorSession(server, mode, cassette)


@pytest.fixture
def emulator(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorSession]:
    """A fresh emulator server for this test (its own port and data dir); `OPENAI_BASE_URL` points at it."""
    options = _options(request)
    session = _server_for(request, options, tmp_path_factory.mktemp("emulator"))
    # Started before the variables below change, so in record mode the server keeps the real provider keys.
    session.server.start()
    request.node.stash[_SESSION] = session
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("OPENAI_BASE_URL", session.base_url)
            env.setenv("OPENAI_API_KEY", _TEST_API_KEY)
            yield session
    finally:
        session.server.stop()
    misses = session.replay_misses()
    if misses:
        pytest.fail(f"emulator: {len(misses)} request(s) had no recording in {session.cassette}:\n\n"
                    + "\n\n".join(misses) + "\n\nRe-record with `pytest --emulator-record` if the change is "
                    "intended.", pytrace=False)


@pytest.fixture
def emulator_client(emulator: EmulatorSession) -> OpenAI:
    """An `openai.OpenAI` client of this test's emulator."""
    return emulator.client()


@pytest.fixture
def emulator_async_client(emulator: EmulatorSession) -> AsyncOpenAI:
    """An `openai.AsyncOpenAI` client of this test's emulator."""
    return emulator.async_client()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    session = item.stash.get(_SESSION, None)
    if session is not None and report.when == "call" and report.failed:
        log = session.server.log().strip()
        if log:
            report.sections.append(("emulator server log", log[-8000:]))
