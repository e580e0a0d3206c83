"""The cassette format, canonical request keys, hosted-tool recording, seeded ids and the clock (in-process)."""

from __future__ import annotations

import asyncio
import json

import pytest
from openai.types.beta.threads.runs import CodeInterpreterToolCall

from emulator.ids import Clock, IdFactory, id_scope
from emulator.llm.types import ChatRequest, Finish, ModelError, TextDelta, ToolCallDelta
from emulator.recording.cassette import (
    Cassette,
    CassetteError,
    Interaction,
    RecordedResponse,
    canonical_request,
    key_of,
    nearest_diff,
)
from emulator.recording.hosted_tools import RecordedHostedTool
from emulator.recording.tape import ReplayMiss, Tape
from emulator.store import BlobStore
from emulator.tools import HostedTool


def chat(*messages: dict, **options) -> ChatRequest:
    return ChatRequest(model="gpt-4o", messages=list(messages), **options)


def tool_round(call_id: str) -> list[dict]:
    return [
        {"role": "user", "content": "2 + 3?"},
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": call_id, "type": "function", "function": {"name": "add", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": call_id, "content": "5"},
    ]


def test_key_ignores_tool_call_ids_but_not_meaning():
    first = canonical_request(chat(*tool_round("call_abc")))
    second = canonical_request(chat(*tool_round("call_XYZ")))
    assert first == second and key_of(first) == key_of(second)
    assert first["messages"][2]["tool_call_id"] == "call#1"
    assert key_of(canonical_request(chat(*tool_round("c"), temperature=0.2))) != key_of(first)
    changed = tool_round("c")
    changed[2]["content"] = "6"
    assert key_of(canonical_request(chat(*changed))) != key_of(first)


def test_key_covers_tools_only_when_sent_and_hashes_inline_images():
    plain = canonical_request(chat({"role": "user", "content": "hi"}, tool_choice="auto"))
    assert "tool_choice" not in plain  # not sent to the model without tools
    image = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}
    stored = canonical_request(chat(image))["messages"][0]["content"][0]["image_url"]["url"]
    assert stored.startswith("data:image/png;sha256,") and "AAAA" not in stored


TRICKY = ["line one\nline two\n", "trailing space \nx", "yes", "null", "  leading", "tab\there", "ünïcödé ✓",
          "", "1.0", "multi\n\n\nblank lines", "ends with newlines\n\n", "- not a list", "# not a comment",
          "windows\r\nline", "nul\x00byte", "emoji 🎉", "\ttab first\nline", "trailing spaces  \n  \n", "\u2028sep"]


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_save_load_round_trip_keeps_keys(tmp_path, suffix):
    items = [TextDelta("Hel"), TextDelta("lo"),
             ToolCallDelta(0, "call_1", "add", ""), ToolCallDelta(0, None, None, '{"a": 1}'),
             Finish("tool_calls", 11, 7)]
    cassette = Cassette()
    for text in TRICKY:
        canonical = canonical_request(chat({"role": "user", "content": text}, temperature=0.3, max_tokens=5))
        cassette.interactions.append(Interaction(key=key_of(canonical), request=canonical,
                                                 response=RecordedResponse.from_stream(items)))
    path = tmp_path / f"c{suffix}"
    cassette.save(path)
    loaded = Cassette.load(path)
    assert [i.key for i in loaded.interactions] == [i.key for i in cassette.interactions]
    assert loaded.interactions[0].response.stream() == items
    if suffix == ".yaml":
        assert path.read_text().startswith("# assistants-emulator cassette")


def test_hand_edited_text_is_replayed_word_by_word(tmp_path):
    response = RecordedResponse.from_stream([TextDelta("Hi"), TextDelta(" there"), Finish("stop", 1, 2)])
    response.text = "Edited by hand"
    assert response.stream()[:3] == [TextDelta("Edited"), TextDelta(" by"), TextDelta(" hand")]


def test_a_failed_call_is_recorded_with_what_streamed_before_it():
    response = RecordedResponse.from_stream([TextDelta("par")], ModelError("rate_limit_exceeded", "slow down"))
    assert response.stream() == [TextDelta("par")]
    assert (response.error.code, response.error.message) == ("rate_limit_exceeded", "slow down")


def test_invalid_cassettes_are_reported(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("interactions: [{request: {}, response: {bogus: 1}}]")
    with pytest.raises(CassetteError, match="bad.yaml is invalid"):
        Cassette.load(path)
    with pytest.raises(CassetteError, match="cannot read"):
        Cassette.load(tmp_path / "missing.yaml")


def test_nearest_diff_names_the_closest_recording():
    requests = [canonical_request(chat({"role": "user", "content": text})) for text in ("weather in Oslo?", "a joke")]
    recorded = [Interaction(request=r, response=RecordedResponse()) for r in requests]
    index, diff = nearest_diff(recorded, canonical_request(chat({"role": "user", "content": "weather in Bergen?"})))
    assert index == 0
    assert '-      "content": "weather in Oslo?",' in diff and '+      "content": "weather in Bergen?",' in diff


def test_identical_requests_replay_in_recorded_order(tmp_path):
    tape = Tape("record", tmp_path / "c.yaml", Cassette())
    request = chat({"role": "user", "content": "roll a die"})
    for face in ("4", "2"):
        tape.record_call(request, "openai/x", [TextDelta(face), Finish("stop", 1, 1)])
    replay = Tape("replay", tape.path, Cassette.load(tape.path), miss_log=tmp_path / "misses.jsonl")
    assert [replay.replay_call(request).text for _ in range(2)] == ["4", "2"]
    with pytest.raises(ReplayMiss, match="recorded this model request 2 time"):
        replay.replay_call(request)
    assert "recorded this model request 2 time" in (tmp_path / "misses.jsonl").read_text()
    repeating = Tape("replay", tape.path, Cassette.load(tape.path), repeats=True)
    assert [repeating.replay_call(request).text for _ in range(3)] == ["4", "2", "2"]


# -- hosted tools ----------------------------------------------------------------------------
class FakeInterpreter(HostedTool):
    """A hosted tool standing in for code_interpreter: 'runs' code, writes an output file."""

    type = "code_interpreter"
    function_name = "python"

    def __init__(self, blobs: BlobStore, output: str = "4") -> None:
        self.blobs = blobs
        self.output = output
        self.executed = 0

    def render(self, call):
        return call.code_interpreter.input, self.output

    async def execute(self, run, call_id: str, arguments: str):
        self.executed += 1
        self.blobs.write("file-plot", f"png of {self.output}".encode())
        return CodeInterpreterToolCall.model_validate({
            "id": call_id, "type": "code_interpreter", "code_interpreter": {
                "input": json.loads(arguments)["code"],
                "outputs": [{"type": "logs", "logs": self.output}, {"type": "image", "image": {"file_id": "file-plot"}}],
            }})


def run_tool(tool, call_id: str = "call_1", code: str = "print(2 + 2)"):
    return asyncio.run(tool.execute(None, call_id, json.dumps({"code": code})))


def test_hosted_tool_recorded_then_replayed_by_execution_and_by_injection(tmp_path):
    blobs = BlobStore(tmp_path / "files")
    path = tmp_path / "tools.yaml"
    recorder = RecordedHostedTool(FakeInterpreter(blobs), Tape("record", path, Cassette()), blobs)
    assert recorder.function_name == "python"  # the rest of the protocol is the tool's own
    run_tool(recorder)
    (tool_run,) = Cassette.load(path).tool_runs
    assert tool_run.tool == "code_interpreter" and tool_run.file_hashes["file-plot"].startswith("sha256:")

    same = FakeInterpreter(blobs)
    replayed = run_tool(RecordedHostedTool(same, Tape("replay", path, Cassette.load(path)), blobs), "call_2")
    assert same.executed == 1 and replayed.id == "call_2"

    injected_tool = FakeInterpreter(blobs)
    tape = Tape("replay", path, Cassette.load(path), tool_outputs="inject")
    injected = run_tool(RecordedHostedTool(injected_tool, tape, blobs), "call_3")
    assert injected_tool.executed == 0
    assert injected.id == "call_3" and injected.code_interpreter.outputs[0].logs == "4"


def test_hosted_tool_output_change_is_reported(tmp_path):
    blobs = BlobStore(tmp_path / "files")
    path = tmp_path / "tools.yaml"
    run_tool(RecordedHostedTool(FakeInterpreter(blobs), Tape("record", path, Cassette()), blobs))
    changed = RecordedHostedTool(FakeInterpreter(blobs, output="5"), Tape("replay", path, Cassette.load(path)), blobs)
    with pytest.raises(ReplayMiss) as caught:
        run_tool(changed)
    message = caught.value.message
    assert "code_interpreter produced a different output than cassette" in message and str(path) in message
    assert '-        "logs": "4",' in message and '+        "logs": "5",' in message
    assert '-          "file_id": "sha256:' in message  # the produced file changed too
    other_code = RecordedHostedTool(FakeInterpreter(blobs), Tape("replay", path, Cassette.load(path)), blobs)
    with pytest.raises(ReplayMiss, match="no recorded code_interpreter call"):
        run_tool(other_code, code="print(3)")


# -- ids and clock -------------------------------------------------------------------------
def test_seeded_ids_repeat_and_do_not_depend_on_interleaving():
    def make(order: list[str]) -> dict[str, list[str]]:
        ids, made = IdFactory(seed=7), {}
        for scope in order:
            with id_scope(scope):
                made.setdefault(scope, []).append(ids.new("step_"))
        return made

    one, two = make(["run_a", "run_b", "run_a"]), make(["run_b", "run_a", "run_a"])
    assert one == two and len(set(one["run_a"] + one["run_b"])) == 3
    assert len(one["run_a"][0]) == len("step_") + 24
    assert IdFactory(seed=7).new("asst_") != IdFactory(seed=8).new("asst_")
    assert IdFactory(seed=7).new("asst_") != IdFactory(seed=7, salt="12").new("asst_")
    assert IdFactory().new("asst_") != IdFactory().new("asst_")


def test_fixed_clock_moves_only_when_told():
    clock = Clock(1000)
    assert clock.now() == 1000 and clock.controllable
    assert clock.advance(600) == 1600 and clock.now() == 1600
    with pytest.raises(RuntimeError):
        Clock().advance(1)


def test_sandbox_seeds_only_in_deterministic_mode():
    import random

    from emulator.sandbox_seed import sandbox_env, sandbox_prelude
    from emulator.settings import Settings

    seeded = Settings(deterministic=True, seed=5)
    assert sandbox_env(seeded) == {"PYTHONHASHSEED": "5"}
    exec(sandbox_prelude(seeded), {})
    first = random.random()
    exec(sandbox_prelude(seeded), {})
    assert random.random() == first
    assert sandbox_env(Settings()) == {} and sandbox_prelude(Settings()) == ""
