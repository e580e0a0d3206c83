"""Sandbox faults and lifecycle: runaway code ends with a clear tool error; the server keeps serving."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from tests.helpers.code_interpreter import ci_assistant, code_call, logs_of, run_code, step_calls

pytestmark = pytest.mark.usefixtures("sandbox_image")

# The container's memory limit is the code's memory plus /mnt/data's size (a tmpfs): keep both small here.
FAST_LIMITS = {"EMULATOR_SANDBOX_EXEC_TIMEOUT_S": "4", "EMULATOR_SANDBOX_MEMORY": "256m",
               "EMULATOR_SANDBOX_DATA_SIZE": "64m", "EMULATOR_SANDBOX_PIDS_LIMIT": "32"}


def containers(label: str) -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={label}"], capture_output=True, text=True)
    return out.stdout.split()


@pytest.fixture
def limited(make_server):
    return make_server(env=FAST_LIMITS)


def test_infinite_loop_is_interrupted_and_state_survives(limited, script):
    client = limited.client()
    started = time.monotonic()
    thread, logs = run_code(client, script, "kept = 'yes'", "while True:\n    pass", "print(kept)")
    assert "ExecutionTimeout: execution stopped after 4" in logs[1]
    assert logs[2] == "yes\n"
    assert time.monotonic() - started < 90  # interrupted, not run to the test timeout (a loose bound: CI is loaded)


def test_sleeping_code_is_interrupted_too(limited, script):
    _, logs = run_code(limited.client(), script, "import time\ntime.sleep(600)")
    assert "ExecutionTimeout" in logs[0]


def test_memory_bomb_kills_only_its_session_and_the_next_call_starts_fresh(limited, script):
    client = limited.client()
    thread, logs = run_code(client, script, "x = 1", "hog = bytearray(1024 ** 3)")
    assert "The Python kernel died (out of memory" in logs[1]
    # The model is told the state is gone, and the thread gets a working, fresh session.
    model = script({"when": {"contains": "recheck"}, **code_call("print('x' in globals())")},
                   {"when": {"contains": "new Python session"}, "text": "noticed"}, {"text": "missed it"})
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="recheck")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id,
                                                   assistant_id=ci_assistant(client, model).id)
    assert logs_of(step_calls(client, thread.id, run.id)[0]) == "False\n"
    assert client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value == "noticed"


def test_fork_bomb_is_contained(limited, script):
    client = limited.client()
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    results = {}

    def other_thread():  # another thread keeps working meanwhile
        results["other"] = run_code(client, script, "print(sum(range(10)))")[1]

    worker = threading.Thread(target=other_thread)
    worker.start()
    _, logs = run_code(client, script, bomb, "import os\nprint(len([p for p in os.listdir('/proc') if p.isdigit()]))")
    worker.join(60)
    assert "ExecutionTimeout" in logs[0] or "died" in logs[0] or "killed" in logs[0]
    assert results["other"] == ["45\n"]
    if "ExecutionTimeout" in logs[0]:
        assert logs[1] == "2\n"  # the kernel and the code's process: the bomb's processes did not outlive it


def test_idle_session_expires_and_model_is_told(make_server, script):
    srv = make_server(env={"EMULATOR_SANDBOX_IDLE_TIMEOUT_S": "2"})
    client = srv.client()
    thread, _ = run_code(client, script, "y = 5")
    owner = "assistants-emulator.owner"
    deadline = time.monotonic() + 20
    while any(containers(owner)) and time.monotonic() < deadline:
        if not [c for c in containers(owner) if _is_for(srv, c)]:
            break
        time.sleep(0.5)
    model = script({"when": {"contains": "recheck"}, **code_call("print('y' in globals())")},
                   {"when": {"contains": "new Python session"}, "text": "noticed"}, {"text": "missed it"})
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="recheck")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=ci_assistant(client, model).id)
    assert logs_of(step_calls(client, thread.id, run.id)[0]) == "False\n"
    assert client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value == "noticed"


def _is_for(srv, container_id: str) -> bool:
    out = subprocess.run(["docker", "inspect", "--format", '{{index .Config.Labels "assistants-emulator.data-dir"}}',
                          container_id], capture_output=True, text=True).stdout
    return out.strip() == str(srv.data_dir.resolve())


def test_containers_are_removed_on_shutdown_and_orphans_at_startup(make_server, script):
    srv = make_server(env={"EMULATOR_SANDBOX_POOL_SIZE": "1"})
    client = srv.client()
    run_code(client, script, "print(1)")
    mine = lambda: [c for c in containers("assistants-emulator.sandbox=1") if _is_for(srv, c)]  # noqa: E731
    deadline = time.monotonic() + 30
    while len(mine()) < 2 and time.monotonic() < deadline:  # the pool refills in the background
        time.sleep(0.5)
    assert len(mine()) >= 2  # the thread's session and a pooled one
    srv.stop(kill=True)  # a crash leaves them behind
    assert len(mine()) >= 2
    srv.start()
    deadline = time.monotonic() + 30
    while len(mine()) > 1 and time.monotonic() < deadline:  # only the new pooled one may remain
        time.sleep(0.5)
    assert len(mine()) <= 1
    srv.stop()
    assert mine() == []


def test_uninterruptible_code_gets_its_container_killed(limited, script):
    client = limited.client()
    stubborn = "sum(range(10 ** 13))  # one long C call: Python never gets to run a signal handler"
    thread, logs = run_code(client, script, "z = 1", stubborn)
    assert "even when interrupted; the sandbox was killed" in logs[1]
    # A fresh session serves the thread afterwards.
    _, logs = run_code(client, script, "print('z' in globals())", thread=thread)
    assert logs[-1] == "False\n"


def test_output_and_file_size_caps(make_server, script):
    srv = make_server(env={"EMULATOR_SANDBOX_MAX_OUTPUT_BYTES": "1000", "EMULATOR_SANDBOX_MAX_FILE_BYTES": "100000"})
    client = srv.client()
    code = ("print('a' * 5000)\n"
            "open('/mnt/data/small.txt', 'w').write('ok')\n"
            "open('/mnt/data/big.bin', 'wb').write(bytes(200000))")
    thread, logs = run_code(client, script, code)
    assert logs[0].startswith("a" * 1000) and "[output truncated: more than 1000 bytes]" in logs[0]
    outputs = [f.filename for f in client.files.list(purpose="assistants_output")]
    assert "small.txt" in outputs and "big.bin" not in outputs
