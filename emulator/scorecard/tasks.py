"""The scorecard's tasks: the seed flows of the Assistants API, each judged the way a user would judge it.

A task drives the emulator through the openai SDK and returns whether the model got it done and, if
not, why. It adds the usage of every run it makes to `Context.tokens`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from openai import OpenAI
from openai.types.beta.threads import Run
from openai.types.beta.threads.run_submit_tool_outputs_params import ToolOutput

from emulator.scorecard import documents

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_current_weather", "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "The city, e.g. Paris"}}, "required": ["location"]}}}
WEATHER = {"paris": "18 C and sunny", "tokyo": "24 C and cloudy", "oslo": "-3 C and snowing"}


class TaskFailed(Exception):
    """The model did not get the task done; the message says why (one short line)."""


@dataclass
class Context:
    client: OpenAI
    model: str
    tokens: int = 0

    def count(self, run) -> None:
        if run.usage is not None:
            self.tokens += run.usage.total_tokens

    def assistant(self, **kwargs):
        return self.client.beta.assistants.create(model=self.model, temperature=0, **kwargs)

    def ask(self, assistant, thread_id: str, question: str):
        """Add a user message to the thread and run it to a stop; returns the run."""
        self.client.beta.threads.messages.create(thread_id=thread_id, role="user", content=question)
        run = self.client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=assistant.id)
        self.count(run)
        return run

    def answer(self, thread_id: str):
        """The newest assistant message's text block (raises TaskFailed when there is none)."""
        for message in self.client.beta.threads.messages.list(thread_id=thread_id, order="desc").data:
            if message.role == "assistant":
                texts = [c.text for c in message.content if c.type == "text"]
                if texts:
                    return texts[0]
            else:
                break
        raise TaskFailed("no answer")

    def upload(self, name: str, data: bytes) -> str:
        return self.client.files.create(file=(name, data), purpose="assistants").id


def completed(run) -> None:
    if run.status != "completed":
        error = f": {run.last_error.message[:120]}" if run.last_error else ""
        raise TaskFailed(f"run ended {run.status}{error}")


def _shown(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "...")


def require(condition: bool, why: str) -> None:
    if not condition:
        raise TaskFailed(why)


def numbers_in(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*(?:\.\d+)?", text)]


# -- the tasks -------------------------------------------------------------------------------------

def math_tutor(ctx: Context) -> None:
    assistant = ctx.assistant(name="Math Tutor", instructions="You are a personal math tutor. Answer questions "
                              "briefly, in a sentence or less.")
    thread = ctx.client.beta.threads.create()
    run = ctx.ask(assistant, thread.id, "I need to solve the equation `3x + 11 = 14`. Can you help me?")
    completed(run)
    text = ctx.answer(thread.id).value
    require(re.search(r"x\s*(=|is|equals)\s*1\b", text) is not None, f"no x = 1 in {_shown(text)}")


def create_thread_and_run(ctx: Context) -> None:
    assistant = ctx.assistant(instructions="You answer geography questions in one short sentence.")
    run = ctx.client.beta.threads.create_and_run_poll(assistant_id=assistant.id, thread={
        "messages": [{"role": "user", "content": "What is the capital of France?"}]})
    ctx.count(run)
    completed(run)
    text = ctx.answer(run.thread_id).value
    require("paris" in text.lower(), f"no Paris in {_shown(text)}")


def _weather_rounds(ctx: Context, question: str, max_rounds: int) -> tuple[Run, list[str]]:
    """Run the weather assistant, answering its calls, until it stops; returns the run and the cities asked."""
    assistant = ctx.assistant(instructions="You tell people the weather. Use the get_current_weather tool.",
                              tools=[WEATHER_TOOL])
    thread = ctx.client.beta.threads.create()
    run = ctx.ask(assistant, thread.id, question)
    cities: list[str] = []
    rounds = 0
    while run.status == "requires_action":
        rounds += 1
        require(rounds <= max_rounds, f"still calling tools after {max_rounds} rounds ({', '.join(cities)})")
        outputs: list[ToolOutput] = []
        for call in run.required_action.submit_tool_outputs.tool_calls:
            require(call.function.name == "get_current_weather", f"called {call.function.name!r}")
            try:
                location = str(json.loads(call.function.arguments).get("location", ""))
            except (ValueError, AttributeError):
                raise TaskFailed(f"arguments are not JSON: {_shown(call.function.arguments)}") from None
            city = next((c for c in WEATHER if c in location.lower()), location.lower())
            cities.append(city)
            outputs.append({"tool_call_id": call.id, "output": WEATHER.get(city, "unknown city")})
        run = ctx.client.beta.threads.runs.submit_tool_outputs_and_poll(
            thread_id=thread.id, run_id=run.id, tool_outputs=outputs)
        ctx.count(run)
    completed(run)
    return run, cities


def function_call(ctx: Context) -> None:
    run, cities = _weather_rounds(ctx, "What's the weather like in Paris right now?", max_rounds=1)
    require(cities == ["paris"], f"expected one call for Paris, got {cities or 'none'}")
    text = ctx.answer(run.thread_id).value
    require("18" in text, f"the answer does not use the returned value: {_shown(text)}")


def parallel_calls(ctx: Context) -> None:
    run, cities = _weather_rounds(ctx, "What's the weather in Paris and in Tokyo?", max_rounds=2)
    require({"paris", "tokyo"} <= set(cities), f"cities asked: {cities or 'none'}")
    text = ctx.answer(run.thread_id).value
    require("18" in text and "24" in text, f"the answer misses a returned value: {_shown(text)}")


def _code_steps(ctx: Context, run) -> list:
    steps = ctx.client.beta.threads.runs.steps.list(thread_id=run.thread_id, run_id=run.id).data
    return [call for step in steps if step.step_details.type == "tool_calls"
            for call in step.step_details.tool_calls if call.type == "code_interpreter"]


def _analyst(ctx: Context, name: str, data: bytes):
    file_id = ctx.upload(name, data)
    return ctx.assistant(instructions="You are a data analyst. Use code to answer questions about data.",
                         tools=[{"type": "code_interpreter"}],
                         tool_resources={"code_interpreter": {"file_ids": [file_id]}})


def csv_statistic(ctx: Context) -> None:
    assistant = _analyst(ctx, "prices.csv", documents.PRICES_CSV.encode())
    thread = ctx.client.beta.threads.create()
    run = ctx.ask(assistant, thread.id, "What is the mean of the price column in prices.csv?")
    completed(run)
    require(bool(_code_steps(ctx, run)), "answered without running code")
    text = ctx.answer(thread.id).value
    require(any(abs(n - documents.PRICES_MEAN) < 0.01 for n in numbers_in(text)),
            f"no {documents.PRICES_MEAN} in {_shown(text)}")


def chart(ctx: Context) -> None:
    assistant = _analyst(ctx, "sales.csv", documents.SALES_CSV.encode())
    thread = ctx.client.beta.threads.create()
    run = ctx.ask(assistant, thread.id, "Plot a bar chart of the sales by month in sales.csv.")
    completed(run)
    calls = _code_steps(ctx, run)
    require(bool(calls), "answered without running code")
    images = [o for call in calls for o in call.code_interpreter.outputs if o.type == "image"]
    message = ctx.client.beta.threads.messages.list(thread_id=thread.id).data[0]
    shown = [c for c in message.content if c.type == "image_file"]
    require(bool(images or shown), "the code made no image")


def file_download(ctx: Context) -> None:
    assistant = ctx.assistant(instructions="You are a helpful assistant that writes files with code.",
                              tools=[{"type": "code_interpreter"}])
    thread = ctx.client.beta.threads.create()
    run = ctx.ask(assistant, thread.id, "Create a CSV file named squares.csv with the numbers 1 to 5 and their "
                  "squares, and give me a link to download it.")
    completed(run)
    require(bool(_code_steps(ctx, run)), "answered without running code")
    text = ctx.answer(thread.id)
    paths = [a for a in text.annotations if a.type == "file_path"]
    require(bool(paths), f"no file_path annotation in {_shown(text.value)}")
    content = ctx.client.files.content(paths[0].file_path.file_id).text
    require("25" in content, f"the file does not hold the squares: {_shown(content)}")


def _file_search(ctx: Context, name: str, data: bytes, question: str, expected: str) -> None:
    file_id = ctx.upload(name, data)
    store = ctx.client.vector_stores.create(name="scorecard", file_ids=[file_id])
    deadline = time.monotonic() + 120
    while store.file_counts.in_progress and time.monotonic() < deadline:
        time.sleep(0.5)
        store = ctx.client.vector_stores.retrieve(store.id)
    require(store.file_counts.completed == 1, f"the {name} was not indexed")
    assistant = ctx.assistant(instructions="You answer questions from the user's documents, briefly.",
                              tools=[{"type": "file_search"}],
                              tool_resources={"file_search": {"vector_store_ids": [store.id]}})
    thread = ctx.client.beta.threads.create()
    run = ctx.ask(assistant, thread.id, question)
    completed(run)
    text = ctx.answer(thread.id)
    require(expected in text.value, f"no {expected} in {_shown(text.value)}")
    cited = [a for a in text.annotations if a.type == "file_citation" and a.file_citation.file_id == file_id]
    require(bool(cited), "right answer, but no citation of the file")


def file_search_pdf(ctx: Context) -> None:
    _file_search(ctx, "zephyr-9.pdf", documents.pdf(documents.PDF_LINES),
                 "How long can the Zephyr-9 drone fly on one battery?", "47")


def file_search_docx(ctx: Context) -> None:
    _file_search(ctx, "handbook.docx", documents.docx(documents.DOCX_PARAGRAPHS),
                 "What time does the Lund office open on weekdays?", "7:30")


def follow_up(ctx: Context) -> None:
    assistant = ctx.assistant(instructions="You are a friendly assistant. Keep answers short.")
    thread = ctx.client.beta.threads.create()
    completed(ctx.ask(assistant, thread.id, "Hi! My name is Ada and my favourite number is 42."))
    run = ctx.ask(assistant, thread.id, "What is my favourite number?")
    completed(run)
    text = ctx.answer(thread.id).value
    require("42" in text, f"no 42 in {_shown(text)}")


TASKS: dict[str, Callable[[Context], None]] = {
    "math_tutor": math_tutor,
    "create_thread_and_run": create_thread_and_run,
    "function_call": function_call,
    "parallel_calls": parallel_calls,
    "csv_statistic": csv_statistic,
    "chart": chart,
    "file_download": file_download,
    "file_search_pdf": file_search_pdf,
    "file_search_docx": file_search_docx,
    "follow_up": follow_up,
}
