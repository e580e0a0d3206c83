"""Scripts for the scripted model: what it answers, turn by turn.

A script is YAML or JSON::

    turns:
      - text: "x = 1."                       # a plain answer
      - tool_calls:                          # or function calls
          - name: display_quiz
            arguments: {title: "Quiz", questions: []}
      - when: {contains: "linear algebra"}   # answers any request whose last
        text: "Vectors and matrices."        # message contains this text
      - error: {code: rate_limit_exceeded, message: "Slow down"}

Turn selection is stateless, so it is the same for every run and every thread:
a turn with `when` that matches the request's last message wins; otherwise the
N-th turn without `when` answers, N being the number of assistant messages
already in the request (0 for a thread's first run, 1 after one tool round...).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ScriptError(Exception):
    """A script cannot be found, parsed, or has no turn for a request."""


class When(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contains: str | None = None
    role: Literal["user", "tool", "assistant", "system"] | None = None

    def matches(self, message: dict[str, Any]) -> bool:
        if self.role and message.get("role") != self.role:
            return False
        return self.contains is None or self.contains.lower() in message_text(message).lower()


class ScriptedToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    arguments: dict[str, Any] | list[Any] | str = Field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


class ScriptedError(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Literal["server_error", "rate_limit_exceeded", "invalid_prompt"] = "server_error"
    message: str = "The scripted model failed."


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: When | None = None
    text: str | None = None
    tool_calls: list[ScriptedToolCall] = Field(default_factory=list)
    error: ScriptedError | None = None
    delay_ms: float = 0
    """Pause before each streamed chunk (to test cancellation and streaming)."""


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")
    turns: list[Turn]

    def turn_for(self, messages: list[dict[str, Any]], name: str) -> Turn:
        last = messages[-1] if messages else {}
        for turn in self.turns:
            if turn.when is not None and turn.when.matches(last):
                return turn
        sequential = [t for t in self.turns if t.when is None]
        index = sum(1 for m in messages if m.get("role") == "assistant")
        if index >= len(sequential):
            raise ScriptError(
                f"script '{name}' has {len(sequential)} sequential turn(s) and no matching 'when' turn; "
                f"this request needs turn {index + 1} (it already holds {index} assistant message(s))"
            )
        return sequential[index]


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


_NAME = re.compile(r"^[A-Za-z0-9_.\-/]+$")


def load_script(name: str, scripts_dir: Path) -> Script:
    """Load `<scripts_dir>/<name>.yaml|.yml|.json`, or `name` itself when it is a file path."""
    direct = Path(name)
    candidates = [direct] if direct.suffix and direct.is_absolute() else []
    if _NAME.match(name) and ".." not in name.split("/"):
        candidates += [scripts_dir / f"{name}{ext}" for ext in (".yaml", ".yml", ".json")]
    for path in candidates:
        if path.is_file():
            try:
                return Script.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
            except (yaml.YAMLError, ValidationError) as exc:
                raise ScriptError(f"script {path} is invalid: {exc}") from exc
    raise ScriptError(f"no script named '{name}' in {scripts_dir.resolve()} (looked for .yaml, .yml, .json)")
