"""Object ids in OpenAI's formats (`asst_…`, `thread_…`, `file-…`) and the clock that stamps them."""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import secrets
import string
import time
from collections import defaultdict
from collections.abc import Iterator

_ALPHABET = string.ascii_letters + string.digits
_BODY_LENGTH = 24

# The run whose execution is creating objects. Set inside a run's task, so ids made
# there (steps, assistant messages, tool calls, hosted tools' files) count within the
# run and do not depend on how the task interleaves with other requests.
_scope: contextvars.ContextVar[str] = contextvars.ContextVar("id_scope", default="")


@contextlib.contextmanager
def id_scope(scope: str) -> Iterator[None]:
    """Ids made inside this block (in this task) are numbered within `scope`."""
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)


def current_scope() -> str:
    """The scope `id_scope` set for this task ("" outside one): the run being executed."""
    return _scope.get()


class IdFactory:
    """Makes ids like OpenAI's: a prefix and 24 letters and digits.

    Without a seed they are random. With a seed (deterministic mode) the n-th id of a
    prefix within a scope is a hash of (seed, salt, scope, prefix, n): the same
    requests give the same ids, whatever the timing of concurrent runs.
    """

    def __init__(self, seed: int | None = None, salt: str = "") -> None:
        self._seed = seed
        self._salt = salt
        self._counters: dict[tuple[str, str], int] = defaultdict(int)

    def new(self, prefix: str) -> str:
        if self._seed is None:
            return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(_BODY_LENGTH))
        scope = _scope.get()
        n = self._counters[(scope, prefix)]
        self._counters[(scope, prefix)] = n + 1
        digest = hashlib.sha256(f"{self._seed}:{self._salt}:{scope}:{prefix}:{n}".encode()).digest()
        return prefix + _base62(int.from_bytes(digest, "big"))


def _base62(number: int) -> str:
    chars = []
    for _ in range(_BODY_LENGTH):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


class Clock:
    """Unix seconds, as the API reports them.

    A fixed start makes it controllable: time then stands still until `advance` moves
    it, so timestamps repeat exactly and `expires_at` deadlines pass only when a test
    says so (see `POST /_emulator/clock`).
    """

    def __init__(self, start: int | None = None) -> None:
        self._fixed = start

    @property
    def controllable(self) -> bool:
        return self._fixed is not None

    def now(self) -> int:
        return self._fixed if self._fixed is not None else int(time.time())

    def advance(self, seconds: int) -> int:
        if self._fixed is None:
            raise RuntimeError("only a fixed clock can be advanced")
        self._fixed += seconds
        return self._fixed
