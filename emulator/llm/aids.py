"""Aids for small models: small, pure corrections of what a local model does, each a model-map option.

A 0.5B model calls the same tool again after getting its output, answers "compute the mean" from
thin air instead of running code, and rarely copies source markers into its answer. OpenAI's
models did the right thing on their own; these aids make a small model do it:

- `loop_guard`: a reply that only repeats tool calls already answered in this run is dropped, and
  the model is asked again with the tools withheld, so it answers from the outputs it has.
- `hosted_tool_first`: when the run has code_interpreter and the user asks for a computation or a
  file, the run's first model call is made with `tool_choice` set to code_interpreter.
- `tool_instructions`: short, concrete instructions for the hosted tools in the system prompt.
- `citation_fallback`: an answer that used file_search results but carries no source markers gets
  `file_citation` annotations on the sentences that really match a retrieved chunk.

Each is on by default for local model-map entries and off for hosted models (`emulator/settings.py`).
The first three change model calls, so they live in the model seam: `AidedModels` wraps the model
client (the assembly puts it around every model call). The citation fallback is file_search's, which
asks `aids_for` about the loop's model.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from emulator.llm.router import route_entry
from emulator.llm.types import ChatRequest, Finish, TextDelta, ToolCallDelta
from emulator.settings import ModelRoute

CODE_TOOL = "code_interpreter"


@dataclass(frozen=True)
class Aids:
    loop_guard: bool = False
    hosted_tool_first: bool = False
    tool_instructions: bool = False
    citation_fallback: bool = False


def aids_for(model_map: dict[str, ModelRoute], model: str) -> Aids:
    """The aids a run on `model` gets (none for a name the model map does not route)."""
    entry = route_entry(model_map, model)
    if entry is None:
        return Aids()
    return Aids(bool(entry.loop_guard), bool(entry.hosted_tool_first), bool(entry.tool_instructions),
                bool(entry.citation_fallback))


# -- loop guard ------------------------------------------------------------------------------------

def _call_key(name: str, arguments: str) -> tuple[str, str]:
    try:
        return name, json.dumps(json.loads(arguments or "{}"), sort_keys=True)
    except ValueError:
        return name, (arguments or "").strip()


def answered_calls(messages: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(name, arguments) of the tool calls since the last user message that have their output."""
    start = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=-1) + 1
    answered = {m.get("tool_call_id") for m in messages[start:] if m["role"] == "tool"}
    return {_call_key(c["function"]["name"], c["function"]["arguments"])
            for m in messages[start:] if m["role"] == "assistant"
            for c in m.get("tool_calls") or [] if c.get("id") in answered}


def repeats_answered_calls(messages: list[dict[str, Any]], calls: list[ToolCallDelta]) -> bool:
    """Whether every call of a reply was already made, with the same arguments, and answered."""
    answered = answered_calls(messages)
    return bool(calls) and bool(answered) and all(_call_key(c.name or "", c.arguments) in answered for c in calls)


_ANSWER_NOW = ("You already called that tool with these arguments and its output is above. Do not call it "
               "again: answer the user's question now, using that output.")


async def loop_guarded(stream: Callable[[ChatRequest], AsyncIterator[Any]], request: ChatRequest,
                       aids: Aids) -> AsyncIterator[TextDelta | ToolCallDelta | Finish]:
    """`stream(request)`, except that a reply repeating answered calls is replaced by an answer."""
    if not aids.loop_guard or not answered_calls(request.messages):
        async for item in stream(request):
            yield item
        return
    calls: dict[int, ToolCallDelta] = {}
    finish = Finish("stop", 0, 0)
    async for item in stream(request):
        if isinstance(item, ToolCallDelta):  # held until the reply is complete: it may be a repeat
            held = calls.setdefault(item.index, ToolCallDelta(item.index, item.id, item.name, ""))
            held.name = held.name or item.name
            held.arguments += item.arguments
        elif isinstance(item, Finish):
            finish = item
        else:
            yield item
    if not repeats_answered_calls(request.messages, list(calls.values())):
        for call in calls.values():
            yield call
        yield finish
        return
    retry = replace(request, tool_choice="none",
                    messages=[*request.messages, {"role": "user", "content": _ANSWER_NOW}])
    async for item in stream(retry):
        if isinstance(item, Finish):
            item = Finish(item.reason, item.prompt_tokens + finish.prompt_tokens,
                          item.completion_tokens + finish.completion_tokens)
        yield item


# -- hosted tools used, not imagined -----------------------------------------------------------------

_WANTS_CODE = re.compile(
    r"\b(calculat\w*|comput\w*|mean|average|median|sum|total|std|standard deviation|variance|correlat\w*|"
    r"statistic\w*|count|how many|solve|plot\w*|chart|graph|histogram|visuali[sz]\w*|draw|csv|xlsx|excel|"
    r"spreadsheet|dataset|data ?frame|column|rows?|file|download|save|export|generate|create|convert|"
    r"run|execute|code|python)\b", re.IGNORECASE)


def wants_code(text: str) -> bool:
    """Whether a user's message asks for a computation, a chart or a file."""
    return bool(_WANTS_CODE.search(text))


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if p.get("type") == "text")
            return content or ""
    return ""


def hosted_tool_first(request: ChatRequest, aids: Aids) -> ChatRequest:
    """The run's first request, with code_interpreter forced when the user asks for what it does."""
    names = {t["function"]["name"] for t in request.tools}
    if not aids.hosted_tool_first or CODE_TOOL not in names or request.tool_choice not in (None, "auto"):
        return request
    if not wants_code(_last_user_text(request.messages)):
        return request
    return replace(request, tool_choice={"type": "function", "function": {"name": CODE_TOOL}})


_SEVERAL_CALLS = ("When a question needs several tool calls (one per city, say), write all of them in one reply, "
                  "one <tool_call> block each.")
_INSTRUCTIONS = {
    CODE_TOOL: (
        "To compute anything, call code_interpreter with Python code; never guess a number. The user's files are "
        "under /mnt/data/ (their paths are listed above). print() every result you need, for example "
        "print(df['price'].mean()). Show charts with plt.show(). Save files the user asks for under /mnt/data/, "
        "for example df.to_csv('/mnt/data/result.csv'). When the output comes back, answer with it in one or two "
        "sentences, and link a saved file as sandbox:/mnt/data/<name>."),
    "file_search": (
        "Answer questions about the user's files from their text only, quoting the sentence that holds the "
        "answer."),
}


def with_tool_instructions(request: ChatRequest, aids: Aids) -> ChatRequest:
    """The request with short instructions for its hosted tools added to the system message."""
    names = {t["function"]["name"] for t in request.tools}
    extra = [text for name, text in _INSTRUCTIONS.items() if name in names]
    if names - set(_INSTRUCTIONS):  # function tools: small models call one at a time unless told
        extra.append(_SEVERAL_CALLS)
    if not aids.tool_instructions or not extra:
        return request
    messages = list(request.messages)
    block = "\n".join(extra)
    if messages and messages[0]["role"] == "system" and isinstance(messages[0].get("content"), str):
        messages[0] = {**messages[0], "content": f"{messages[0]['content']}\n\n{block}"}
    else:
        messages.insert(0, {"role": "system", "content": block})
    return replace(request, messages=messages)


# -- citation fallback -----------------------------------------------------------------------------

_STOPWORDS = frozenset(
    "the and for are but not you your with this that from have has had was were will would can could should "
    "what which who whom when where why how all any each its it's they them their there then than also into "
    "about over under some such only own same very just does did done our out yes".split())
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_WORD = re.compile(r"\w+")
MIN_MATCHED_WORDS = 3
MIN_COVERAGE = 0.6


def _content_words(text: str) -> list[str]:
    words = (w.lower() for w in _WORD.findall(text))
    return [w for w in words if (len(w) >= 3 or w.isdigit()) and w not in _STOPWORDS]


def fallback_citations(answer: str, sources: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """`file_citation` annotations on sentences of `answer` that match a retrieved chunk.

    `sources` are (file_id, chunk text). A sentence is cited when at least `MIN_MATCHED_WORDS` of its
    content words, and `MIN_COVERAGE` of them, occur in one chunk: a real match, not a shared word or two.
    The annotation covers the sentence's exact characters (`start_index`/`end_index` into `answer`).
    """
    vocabularies = [(file_id, set(_content_words(text))) for file_id, text in sources]
    found = []
    for match in _SENTENCE.finditer(answer):
        span = match.group(0)
        start = match.start() + len(span) - len(span.lstrip())
        end = match.end() - (len(span) - len(span.rstrip()))
        words = set(_content_words(answer[start:end]))
        if len(words) < MIN_MATCHED_WORDS:
            continue
        best_file, best = None, 0
        for file_id, vocabulary in vocabularies:
            matched = len(words & vocabulary)
            if matched > best:
                best_file, best = file_id, matched
        if best_file is not None and best >= MIN_MATCHED_WORDS and best / len(words) >= MIN_COVERAGE:
            found.append({"type": "file_citation", "text": answer[start:end], "start_index": start,
                          "end_index": end, "file_citation": {"file_id": best_file}})
    return found


# -- in the model seam ---------------------------------------------------------------------------------

class _Streaming(Protocol):
    def stream(self, request: ChatRequest) -> AsyncIterator[Any]: ...


def _first_of_loop(request: ChatRequest) -> bool:
    """No tool round since the user's last message: the agent loop's first model call."""
    start = max((i for i, m in enumerate(request.messages) if m["role"] == "user"), default=-1) + 1
    return not any(m["role"] == "tool" or m.get("tool_calls") for m in request.messages[start:])


class AidedModels:
    """A model client whose calls get the aids their model's map entry turns on."""

    def __init__(self, inner: Any, model_map: dict[str, ModelRoute]) -> None:
        self._inner = inner
        self._model_map = model_map

    async def warm_up(self) -> None:
        await self._inner.warm_up()

    async def stream(self, request: ChatRequest) -> AsyncIterator[Any]:
        aids = aids_for(self._model_map, request.model)
        request = with_tool_instructions(request, aids)
        if _first_of_loop(request):
            request = hosted_tool_first(request, aids)
        async for item in loop_guarded(self._inner.stream, request, aids):
            yield item
