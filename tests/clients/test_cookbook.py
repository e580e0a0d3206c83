"""The OpenAI cookbook's Assistants flows (seeds 002 and 004) against the emulator."""

from __future__ import annotations

import json
import time

MATH = "scripted/math_tutor"
INSTRUCTIONS = "You are a personal math tutor. Answer questions briefly, in a sentence or less."


def wait_on_run(client, run, thread):
    # The cookbook's own polling loop.
    deadline = time.monotonic() + 20
    while run.status in ("queued", "in_progress"):
        assert time.monotonic() < deadline, "run did not finish"
        run = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
        time.sleep(0.05)
    return run


def test_math_tutor_single_thread(client):
    assistant = client.beta.assistants.create(name="Math Tutor", instructions=INSTRUCTIONS, model=MATH)
    assert assistant.object == "assistant"
    assert assistant.id.startswith("asst_")
    assert (assistant.name, assistant.model, assistant.tools, assistant.metadata) == ("Math Tutor", MATH, [], {})

    thread = client.beta.threads.create()
    assert thread.id.startswith("thread_") and thread.object == "thread" and thread.metadata == {}

    message = client.beta.threads.messages.create(
        thread_id=thread.id, role="user", content="I need to solve the equation `3x + 11 = 14`. Can you help me?"
    )
    assert message.role == "user" and message.thread_id == thread.id
    assert message.content[0].type == "text"
    assert message.content[0].text.value.startswith("I need to solve")
    assert message.content[0].text.annotations == []
    assert (message.assistant_id, message.run_id) == (None, None)

    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "queued" and run.object == "thread.run"
    assert run.instructions == INSTRUCTIONS and run.model == MATH
    run = wait_on_run(client, run, thread)
    assert run.status == "completed"
    assert run.started_at is not None and run.completed_at is not None and run.expires_at is None
    assert run.usage.total_tokens == run.usage.prompt_tokens + run.usage.completion_tokens > 0

    messages = client.beta.threads.messages.list(thread_id=thread.id)
    assert [m.role for m in messages.data] == ["assistant", "user"]  # reverse-chronological by default
    answer = messages.data[0]
    assert answer.content[0].text.value.startswith("Sure! Subtract 11")
    assert (answer.assistant_id, answer.run_id, answer.status) == (assistant.id, run.id, "completed")

    # "Let's ask our Assistant to explain the result a bit further!"
    message = client.beta.threads.messages.create(thread_id=thread.id, role="user",
                                                  content="Could you explain this to me?")
    run = wait_on_run(client, client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id), thread)
    assert run.status == "completed"
    after = client.beta.threads.messages.list(thread_id=thread.id, order="asc", after=message.id)
    assert [m.role for m in after.data] == ["assistant"]
    assert after.data[0].content[0].text.value.startswith("To isolate x")

    ordered = client.beta.threads.messages.list(thread_id=thread.id, order="asc")
    assert [m.role for m in ordered.data] == ["user", "assistant", "user", "assistant"]


def test_create_thread_and_run_several_threads(client):
    assistant = client.beta.assistants.create(name="Math Tutor", instructions=INSTRUCTIONS, model=MATH)

    def create_thread_and_run(user_input):
        thread = client.beta.threads.create()
        client.beta.threads.messages.create(thread_id=thread.id, role="user", content=user_input)
        run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
        return thread, run

    thread1, run1 = create_thread_and_run("I need to solve the equation `3x + 11 = 14`. Can you help me?")
    thread2, run2 = create_thread_and_run("Could you explain linear algebra to me?")
    thread3, run3 = create_thread_and_run("I don't like math. What can I do?")
    answers = {}
    for thread, run in ((thread1, run1), (thread2, run2), (thread3, run3)):
        assert wait_on_run(client, run, thread).status == "completed"
        answers[thread.id] = client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value
    assert answers[thread1.id].startswith("Sure! Subtract 11")
    assert answers[thread2.id].startswith("Linear algebra is")
    assert answers[thread3.id].startswith("Try to find real-life")

    # The compound endpoint does the same in one call.
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Could you explain linear algebra to me?"}],
                "metadata": {"source": "cookbook"}},
    )
    assert run.status == "completed"
    thread = client.beta.threads.retrieve(run.thread_id)
    assert thread.metadata == {"source": "cookbook"}
    messages = client.beta.threads.messages.list(thread_id=thread.id, order="asc").data
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].content[0].text.value.startswith("Linear algebra is")


QUIZ_FUNCTION = {
    "name": "display_quiz",
    "description": "Displays a quiz to the student, and returns the student's response.",
    "parameters": {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "questions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "question_text": {"type": "string"},
                        "question_type": {"type": "string", "enum": ["MULTIPLE_CHOICE", "FREE_RESPONSE"]},
                        "choices": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["question_text"],
                },
            },
        },
        "required": ["title", "questions"],
    },
}


def test_display_quiz_function_calling(client):
    assistant = client.beta.assistants.create(
        name="Math Tutor", instructions=INSTRUCTIONS, model=MATH,
        tools=[{"type": "function", "function": QUIZ_FUNCTION}],
    )
    assert assistant.tools[0].function.name == "display_quiz"
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(
        thread_id=thread.id, role="user",
        content="Make a quiz with 2 questions: One open ended, one multiple choice. Then, give me feedback for the responses.",
    )
    run = wait_on_run(client, client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id), thread)
    assert run.status == "requires_action"
    assert run.required_action.type == "submit_tool_outputs"
    assert run.expires_at is not None and run.expires_at > run.created_at
    tool_call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert tool_call.type == "function" and tool_call.id.startswith("call_")
    name = tool_call.function.name
    arguments = json.loads(tool_call.function.arguments)
    assert name == "display_quiz"
    assert arguments["title"] == "Mathematics Quiz" and len(arguments["questions"]) == 2

    responses = ["I don't know.", "a"]
    run = client.beta.threads.runs.submit_tool_outputs(
        thread_id=thread.id, run_id=run.id,
        tool_outputs=[{"tool_call_id": tool_call.id, "output": json.dumps(responses)}],
    )
    assert run.status == "queued" and run.required_action is None
    run = wait_on_run(client, run, thread)
    assert run.status == "completed"
    final = client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert "your choice of \"a\" was correct" in final.content[0].text.value

    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    call = steps[0].step_details.tool_calls[0]
    assert (call.id, call.function.name, call.function.output) == (tool_call.id, "display_quiz", json.dumps(responses))
    assert json.loads(call.function.arguments) == arguments
    assert steps[1].step_details.message_creation.message_id == final.id
    assert all(s.status == "completed" and s.run_id == run.id for s in steps)
    assert steps[0].usage is not None and steps[1].usage is not None
