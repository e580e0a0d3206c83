"""Object ids in OpenAI's formats (`asst_…`, `thread_…`, `file-…`) and the clock that stamps them."""

from __future__ import annotations

import random
import secrets
import string
import time

_ALPHABET = string.ascii_letters + string.digits


class IdFactory:
    """Makes ids like OpenAI's: a prefix and 24 random letters and digits.

    With a seed the sequence is reproducible (deterministic test mode).
    """

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed) if seed is not None else None

    def new(self, prefix: str) -> str:
        if self._rng is None:
            body = "".join(secrets.choice(_ALPHABET) for _ in range(24))
        else:
            body = "".join(self._rng.choice(_ALPHABET) for _ in range(24))
        return prefix + body


class Clock:
    """Unix seconds, as the API reports them. A fixed start makes it controllable."""

    def __init__(self, start: int | None = None) -> None:
        self._fixed = start

    def now(self) -> int:
        return self._fixed if self._fixed is not None else int(time.time())

    def advance(self, seconds: int) -> None:
        if self._fixed is None:
            raise RuntimeError("only a fixed clock can be advanced")
        self._fixed += seconds
