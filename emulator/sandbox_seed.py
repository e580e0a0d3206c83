"""Fixed seeds for code_interpreter sandboxes in deterministic mode.

The sandbox (built by the code_interpreter work) starts its interpreter with
`sandbox_env(settings)` added to the environment and runs `sandbox_prelude(settings)`
before the model's first cell, so hash order, `random` and numpy give the same results
on every replay. Outside deterministic mode both are empty.
"""

from __future__ import annotations

from emulator.settings import Settings

_PRELUDE = """\
import random as _random
_random.seed({seed})
try:
    import numpy as _numpy
    _numpy.random.seed({seed})
except ImportError:
    pass
del _random
"""


def sandbox_env(settings: Settings) -> dict[str, str]:
    """Environment variables for the sandbox's interpreter (hash randomisation is fixed at startup)."""
    return {"PYTHONHASHSEED": str(settings.seed)} if settings.deterministic else {}


def sandbox_prelude(settings: Settings) -> str:
    """Python to run in the sandbox before the model's code: seeds `random` and numpy."""
    return _PRELUDE.format(seed=settings.seed) if settings.deterministic else ""
