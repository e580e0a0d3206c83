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
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest

if TYPE_CHECKING:  # imported when a test first uses the emulator: pytest starts faster for everyone else
    from openai import AsyncOpenAI, OpenAI

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
    log_offset: int = 0
    """Where this test's part of the server log starts."""

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def client(self, **kwargs: Any) -> OpenAI:
        from openai import OpenAI

        return OpenAI(base_url=self.base_url, api_key=_TEST_API_KEY, max_retries=0, **kwargs)

    def async_client(self, **kwargs: Any) -> AsyncOpenAI:
        from openai import AsyncOpenAI

        return AsyncOpenAI(base_url=self.base_url, api_key=_TEST_API_KEY, max_retries=0, **kwargs)

    def advance_clock(self, seconds: int) -> int:
        """Move the (deterministic) clock forward; runs whose deadline passed expire at once."""
        return self.server.advance_clock(seconds)

    def now(self) -> int:
        return self.server.now()

    def replay_misses(self) -> list[str]:
        """The messages of model requests (or hosted-tool calls) the cassette could not answer."""
        from emulator.recording.tape import MISS_LOG_NAME

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
        import yaml

        path = scratch / "inline_script.yaml"
        path.write_text(yaml.safe_dump(options.script))
        routes["*"] = {"model": f"scripted/{path}"}
    elif options.script:
        routes["*"] = {"model": f"scripted/{options.script}"}
    routes.update(options.model_map or {})
    return routes or None


def _settings_for(request: pytest.FixtureRequest, options: EmulatorOptions,
                  scratch: Path) -> tuple[dict[str, Any], Literal["record", "replay"] | None, Path | None]:
    """The server settings a test asks for, with its cassette mode and path."""
    config = request.config
    cassette = cassette_path(request, options.cassette)
    mode: Literal["record", "replay"] | None = None
    if cassette is not None:
        mode = "record" if config.getoption("emulator_record") else "replay"
        if mode == "replay" and not cassette.is_file():
            pytest.fail(f"emulator: cassette {cassette} does not exist; record it with "
                        f"`pytest --emulator-record`", pytrace=False)
    settings: dict[str, Any] = {
        "record": str(cassette) if mode == "record" else None,
        "replay": str(cassette) if mode == "replay" else None,
        "replay_tool_outputs": options.replay_tool_outputs, "deterministic": options.deterministic,
        "seed": options.seed,
        "scripts_dir": str(_rooted(config, options.scripts_dir or config.getini("emulator_scripts_dir"))),
    }
    model_map = _model_map(options, scratch)
    if model_map is not None:
        settings["model_map"] = model_map
    return settings, mode, cassette


def _env_of(settings: dict[str, Any]) -> dict[str, str]:
    """Settings as the `EMULATOR_*` variables of a server process."""
    env = {"PYTHONHASHSEED": "0"}
    for name, value in settings.items():
        if value is not None:
            env[f"EMULATOR_{name.upper()}"] = json.dumps(value) if isinstance(value, (dict, bool)) else str(value)
    return env


@pytest.fixture(scope="session")
def _emulator_shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """One server process for the session: each test resets it to a blank state (a new process costs seconds)."""
    from emulator.testing import EmulatorServer

    scratch = tmp_path_factory.mktemp("emulator-shared")
    server = EmulatorServer(scratch / "data", scratch / "scripts",
                            {"EMULATOR_TEST_CONTROLS": "1", "PYTHONHASHSEED": "0"})
    # Started on first use, before any test changes OPENAI_API_KEY: in record mode the server
    # calls real providers with the keys of the environment pytest was started in.
    yield server
    server.stop()


@pytest.fixture
def emulator(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             _emulator_shared_server: EmulatorServer) -> Iterator[EmulatorSession]:
    """A blank emulator for this test, replaying (or recording) its cassette; `OPENAI_BASE_URL` points at it."""
    options = _options(request)
    scratch = tmp_path_factory.mktemp("emulator")
    settings, mode, cassette = _settings_for(request, options, scratch)
    if options.env:  # variables only a process reads: this test gets a server of its own
        from emulator.testing import EmulatorServer

        server = EmulatorServer(scratch / "data", Path(settings["scripts_dir"]),
                                {**_env_of(settings), **options.env}).start()
    else:
        server = _emulator_shared_server
        if server.process is None:
            server.start()
        server.reset(**settings)
    session = EmulatorSession(server, mode, cassette, log_offset=len(server.log()))
    request.node.stash[_SESSION] = session
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("OPENAI_BASE_URL", session.base_url)
            env.setenv("OPENAI_API_KEY", _TEST_API_KEY)
            yield session
        misses = session.replay_misses()
    finally:
        if server is not _emulator_shared_server:
            server.stop()
    if misses:
        pytest.fail(f"emulator: {len(misses)} request(s) had no recording in {session.cassette}:\n\n"
                    + "\n\n".join(misses) + "\n\nRe-record with `pytest --emulator-record` if the change is "
                    "intended.", pytrace=False)


@pytest.fixture(autouse=True)
def _emulator_for_marked_tests(request: pytest.FixtureRequest) -> None:
    """A test with the `emulator` marker gets its emulator even when it asks for no fixture of it."""
    if "emulator" not in request.fixturenames and request.node.get_closest_marker("emulator") is not None:
        request.getfixturevalue("emulator")


@pytest.fixture
def emulator_client(emulator: EmulatorSession) -> OpenAI:
    """An `openai.OpenAI` client of this test's emulator."""
    return emulator.client()


@pytest.fixture
def emulator_async_client(emulator: EmulatorSession) -> AsyncOpenAI:
    """An `openai.AsyncOpenAI` client of this test's emulator."""
    return emulator.async_client()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed test that used the emulator shows the server's log of that test."""
    report = yield
    session = item.stash.get(_SESSION, None)
    if session is not None and report.when == "call" and report.failed:
        log = session.server.log()[session.log_offset:].strip()
        if log:
            report.sections.append(("emulator server log", log[-8000:]))
    return report
