"""Import litellm configured for offline use (no cost-map download, no telemetry)."""

from __future__ import annotations

import functools
import os
from typing import Any


@functools.cache
def litellm() -> Any:  # the litellm module, configured (callers read and set its attributes)
    # Without this, importing litellm tries to fetch its model cost map over the network.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    import logging

    import litellm as _litellm

    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
        logging.getLogger(name).setLevel(logging.WARNING)

    _litellm.telemetry = False
    _litellm.suppress_debug_info = True
    _litellm.drop_params = True
    return _litellm
