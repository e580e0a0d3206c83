"""The Assistants API's face on the agent loop: runs executed in the background, their steps,
messages and `thread.*` stream events.

`runner.py` keeps each run's loop as a task (cancel, expiry, recovery at start); `requests.py`
turns a run into the loop's request; `prompt.py` gives the loop the thread as chat messages;
`projection.py` writes what the loop does as steps and messages and publishes the events, in
the order OpenAI sends them; `lifecycle.py` moves a run through its statuses.
"""

from emulator.engine.runner import RunEngine

__all__ = ["RunEngine"]
