"""The code_interpreter tests' common parts: the failed-banks example, scripted code calls, reading steps."""

from __future__ import annotations

BANKS_CSV = (
    "Bank Name,City,State,Closing Date\n"
    "First Bank,Chicago,IL,2023-05-01\n"
    "Second Bank,Springfield,IL,2023-06-02\n"
    "Harbor Trust,Miami,FL,2022-01-14\n"
    "Lone Star Savings,Austin,TX,2021-03-30\n"
    "Prairie Bank,Peoria,IL,2020-11-11\n"
    "Gulf Bank,Tampa,FL,2019-07-04\n"
)
ANALYSIS = """\
import pandas as pd
import matplotlib.pyplot as plt
df = pd.read_csv('/mnt/data/banks.csv')
by_state = df.groupby('State').size().rename('failures').sort_values(ascending=False)
by_state.to_csv('/mnt/data/failures_by_state.csv')
by_state.plot(kind='bar', title='Bank failures by state')
plt.show()
print(by_state.to_dict())
"""
ANSWER = "Illinois had the most failures. Download the table: [failures_by_state.csv](sandbox:/mnt/data/failures_by_state.csv)"


def code_call(code: str) -> dict:
    return {"tool_calls": [{"name": "code_interpreter", "arguments": {"code": code}}]}


def ci_assistant(client, model, **kwargs):
    return client.beta.assistants.create(model=model, tools=[{"type": "code_interpreter"}], **kwargs)


def step_calls(client, thread_id, run_id):
    steps = client.beta.threads.runs.steps.list(thread_id=thread_id, run_id=run_id, order="asc").data
    return [c for s in steps if s.type == "tool_calls" for c in s.step_details.tool_calls]


def logs_of(call) -> str:
    return "".join(o.logs for o in call.code_interpreter.outputs if o.type == "logs")


def run_code(client, script, *codes, thread=None):
    """One run executing `codes` in turn; on an existing thread, a single code."""
    if thread is None:
        turns = [code_call(c) for c in codes] + [{"text": "done"}]
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "go"}])
    else:  # the thread's history shifts sequential turns: answer by `when` instead
        (code,) = codes
        turns = [{"when": {"contains": "recheck"}, **code_call(code)}, {"when": {"role": "tool"}, "text": "done"}]
        client.beta.threads.messages.create(thread_id=thread.id, role="user", content="recheck")
    assistant = ci_assistant(client, script(*turns))
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error
    return thread, [logs_of(c) for c in step_calls(client, thread.id, run.id)]


# A container's worth of work for the Responses API: a CSV in, its mean printed, a chart shown, a file written.
WEATHER_CSV = b"city,temp\nOslo,-3\nParis,18\nRome,21\n"
WEATHER_CODE = ("import pandas as pd, matplotlib.pyplot as plt\n"
                "df = pd.read_csv('/mnt/data/weather.csv')\n"
                "print(df['temp'].mean())\n"
                "df.plot.bar(x='city', y='temp'); plt.show()\n"
                "df.sort_values('temp').to_csv('/mnt/data/sorted.csv', index=False)")
