"""Hostile code in the sandbox: it must not reach the host, disarm the kernel, fill the disk or flood the API.

Real Docker, a real server over HTTP, the openai SDK. Each test plays an attack from issue 9.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import threading
import time

import httpx
import pytest

from tests.helpers.code_interpreter import ci_assistant, code_call, logs_of, run_code, step_calls

pytestmark = pytest.mark.usefixtures("sandbox_image")
DATA_DIR_LABEL = "assistants-emulator.data-dir"  # a sandbox's server, as its container's label names it

# Every function of the process's main module and of the sandbox's own modules that looks like a
# guard (stopping strays, reaping, alarms) is replaced by a no-op; then a background process and a
# forked child are started. Neither may outlive the execution.
PATCH_AND_LEAVE_PROCESSES = """\
import os, subprocess, sys, time
patched = []
for module in list(sys.modules.values()):
    if module is not sys.modules['__main__'] and not str(getattr(module, '__file__', '')).startswith('/opt/sandbox'):
        continue
    for name, value in list(vars(module).items()):
        if callable(value) and any(word in name.lower() for word in ('kill', 'stray', 'reap', 'alarm', 'timeout')):
            setattr(module, name, lambda *a, **k: None)
            patched.append(name)
sleeper = subprocess.Popen(['sleep', '300'], start_new_session=True)
child = os.fork()
if child == 0:
    os.setsid()
    time.sleep(300)
    os._exit(0)
print(sleeper.pid, child, len(patched) > 0)
"""


def _run_turns(client, script, thread, *turns, content="recheck", attachments=None):
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content=content,
                                        attachments=attachments or [])
    assistant = ci_assistant(client, script(*turns))
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error
    return run


def _answer(client, thread) -> str:
    return client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value


def test_planted_symlink_does_not_redirect_a_later_attachment(client, script, tmp_path):
    target = tmp_path / "written-through-the-link.txt"
    thread, logs = run_code(client, script, f"import os\nos.symlink({str(target)!r}, '/mnt/data/report.txt')\n"
                                            "print(os.path.islink('/mnt/data/report.txt'))")
    assert logs == ["True\n"]
    report = client.files.create(file=("report.txt", b"QUARTERLY REPORT"), purpose="assistants")
    _run_turns(client, script, thread,
               {"when": {"contains": "recheck"}, **code_call(
                   "import os\nprint(os.path.islink('/mnt/data/report.txt'), open('/mnt/data/report.txt').read())")},
               {"when": {"role": "tool"}, "text": "done"},
               attachments=[{"file_id": report.id, "tools": [{"type": "code_interpreter"}]}])
    assert not target.exists()  # nothing was written on the host
    run = client.beta.threads.runs.list(thread_id=thread.id).data[0]
    assert logs_of(step_calls(client, thread.id, run.id)[0]) == "False QUARTERLY REPORT\n"


def test_swapping_files_for_links_and_pipes_during_collection_leaks_nothing(make_server, script, tmp_path):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("HOST-SECRET")
    srv = make_server(env={"EMULATOR_SANDBOX_EXEC_TIMEOUT_S": "20"})
    client = srv.client()
    # A thread of the code's own process (and, on an unguarded kernel, a process) keeps swapping 40 files
    # between a regular file, a link to the host's secret and a named pipe while the files are collected.
    swapper = f"""\
{PATCH_AND_LEAVE_PROCESSES}
import threading
def swap(i):
    path = f'/mnt/data/x{{i}}.txt'
    for n in range(200000):
        tmp = f'/mnt/data/.t{{i}}'
        try:
            if n % 3 == 0:
                open(tmp, 'w').write('plain ' + str(n))
            elif n % 3 == 1:
                os.symlink({str(secret)!r}, tmp)
            else:
                os.mkfifo(tmp)
            os.replace(tmp, path)
        except OSError:
            pass
for i in range(40):
    open(f'/mnt/data/x{{i}}.txt', 'w').write('plain')
    threading.Thread(target=swap, args=(i,), daemon=True).start()
time.sleep(0.5)
"""
    started = time.monotonic()
    thread, _ = run_code(client, script, swapper)
    assert time.monotonic() - started < 60  # a named pipe never blocks collection
    for file in client.files.list(purpose="assistants_output"):
        assert b"HOST-SECRET" not in client.files.content(file.id).read()
    _, logs = run_code(client, script, "print('still usable')", thread=thread)
    assert logs[-1] == "still usable\n"


def test_user_code_cannot_disable_the_kernel_guards(client, script):
    thread, logs = run_code(client, script, PATCH_AND_LEAVE_PROCESSES)
    sleeper, child, patched = logs[0].split()
    # Dead children of the code's process that it no longer collects (it patched that too) stay zombies: dead.
    check = ("import os\ndef alive(pid):\n    try:\n"
             "        return open(f'/proc/{pid}/stat').read().rpartition(')')[2].split()[0] not in ('Z', 'X')\n"
             "    except OSError:\n        return False\n"
             f"print([alive(p) for p in ({sleeper}, {child})], "
             "[p for p in os.listdir('/proc') if p.isdigit() and p != '1' and alive(p)] == [str(os.getpid())])")
    _, logs = run_code(client, script, check, thread=thread)
    assert logs[-1] == "[False, False] True\n"  # only the kernel (PID 1) and the worker are left


def test_user_code_cannot_signal_trace_or_read_the_kernel(client, script):
    probe = """\
import ctypes, os, signal
x = 'kept'
results = {}
for name in ('SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGINT'):
    try:
        os.kill(1, getattr(signal, name))
        results[name] = 'sent'
    except PermissionError:
        results[name] = 'denied'
libc = ctypes.CDLL(None, use_errno=True)
results['ptrace'] = 'denied' if libc.ptrace(16, 1, 0, 0) == -1 else 'attached'
for path in ('/proc/1/mem', '/proc/1/environ', '/proc/1/fd/0'):
    try:
        open(path, 'rb').read(1)
        results[path] = 'read'
    except OSError:
        results[path] = 'denied'
status = dict(line.split(':\\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)
results['caps'] = {k: status[k].strip() for k in ('CapInh', 'CapPrm', 'CapEff', 'CapAmb')}
print(results, os.getpid() != 1)
"""
    thread, logs = run_code(client, script, probe)
    results = eval(logs[0].rsplit(" ", 1)[0])  # noqa: S307 - our own probe's dict
    assert {k: v for k, v in results.items() if k != "caps"} == {
        "SIGKILL": "denied", "SIGTERM": "denied", "SIGSTOP": "denied", "SIGINT": "denied", "ptrace": "denied",
        "/proc/1/mem": "denied", "/proc/1/environ": "denied", "/proc/1/fd/0": "denied"}
    assert set(results["caps"].values()) == {"0000000000000000"}
    assert logs[0].endswith("True\n")
    _, logs = run_code(client, script, "print(x)", thread=thread)
    assert logs[-1] == "kept\n"


def test_hard_links_are_collected_as_the_files_they_are(client, script):
    code = ("import os\nopen('/mnt/data/hl_a.txt', 'w').write('same bytes')\n"
            "os.link('/mnt/data/hl_a.txt', '/mnt/data/hl_b.txt')\n"
            "for source in ('/etc/passwd', '/tmp/.kernel/out'):  # another filesystem; the kernel's own dir\n"
            "    try:\n        os.link(source, '/mnt/data/hl_stolen')\n    except OSError as exc:\n"
            "        print(type(exc).__name__)")
    _, logs = run_code(client, script, code)
    assert logs == ["OSError\nPermissionError\n"]
    names = {f.filename: client.files.content(f.id).read() for f in client.files.list(purpose="assistants_output")
             if f.filename.startswith("hl_")}
    assert names == {"hl_a.txt": b"same bytes", "hl_b.txt": b"same bytes"}


def test_named_pipe_in_mnt_data_is_skipped_and_the_model_told(client, script):
    code = "import os\nos.mkfifo('/mnt/data/pipe')\nopen('/mnt/data/real.txt', 'w').write('ok')"
    model = script(code_call(code), {"when": {"contains": "/mnt/data/pipe was not collected: it is a named pipe"},
                                     "text": "told"}, {"text": "not told"})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "go"}])
    started = time.monotonic()
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=ci_assistant(client, model).id)
    assert run.status == "completed" and time.monotonic() - started < 30
    assert _answer(client, thread) == "told"


def test_filling_mnt_data_hits_its_limit_not_the_host_disk(make_server, script):
    srv = make_server(env={"EMULATOR_SANDBOX_DATA_SIZE": "64m"})
    client = srv.client()
    fill = ("chunk = b'x' * (1 << 20)\nwith open('/mnt/data/big.bin', 'wb') as out:\n"
            "    for _ in range(512):\n        out.write(chunk)")
    model = script(code_call(fill), {"when": {"contains": "/mnt/data is limited to 64 MiB"}, "text": "told"},
                   {"text": "not told"})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "go"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=ci_assistant(client, model).id)
    assert run.status == "completed", run.last_error
    assert "No space left on device" in logs_of(step_calls(client, thread.id, run.id)[0])
    assert _answer(client, thread) == "told"
    # 512 MiB were written: none of it went to the server's data dir or to the container's own layer.
    assert sum(f.stat().st_size for f in srv.data_dir.rglob("*") if f.is_file()) < 20 * 2**20
    sizes = subprocess.run(["docker", "ps", "-as", "--filter", f"label={DATA_DIR_LABEL}={srv.data_dir.resolve()}",
                            "--format", "{{.Size}}"], capture_output=True, text=True, check=True).stdout.split("\n")
    assert [s.split()[0] for s in sizes if s] == ["0B"]
    _, logs = run_code(client, script, "import os\nos.remove('/mnt/data/big.bin')\n"
                                       "open('/mnt/data/after.txt', 'w').write('fits again')\nprint('ok')",
                       thread=thread)
    assert logs[-1] == "ok\n"


def test_ten_thousand_files_are_capped_and_the_api_stays_responsive(make_server, script):
    srv = make_server()
    client = srv.client()
    code = ("for i in range(10000):\n"
            "    open(f'/mnt/data/f{i:05d}.txt', 'w').write(str(i))")
    model = script(code_call(code), {"when": {"contains": "9900 more files were not collected"}, "text": "told"},
                   {"text": "not told"})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "go"}])
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(timeout=30) as http:
            # The connection's first request (and the route's first use) is not what is measured.
            http.get(f"{srv.base_url}/assistants?limit=1", headers={"Authorization": "Bearer k"})
            while not done.is_set():
                started = time.monotonic()
                http.get(f"{srv.base_url}/assistants?limit=1", headers={"Authorization": "Bearer k"})
                latencies.append(time.monotonic() - started)
                time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        run = client.beta.threads.runs.create_and_poll(thread_id=thread.id,
                                                       assistant_id=ci_assistant(client, model).id)
    finally:
        done.set()
        prober.join()
    assert run.status == "completed", run.last_error
    assert _answer(client, thread) == "told"
    outputs = client.files.list(purpose="assistants_output", limit=100)
    assert len(outputs.data) == 100 and not outputs.has_more
    assert sorted(f.filename for f in outputs.data)[:2] == ["f00000.txt", "f00001.txt"]
    assert statistics.median(latencies) < 0.2 and max(latencies) < 2.0, (statistics.median(latencies),
                                                                         max(latencies))


def test_the_image_has_no_setuid_or_setgid_programs(client, script):
    code = """\
import os, stat
found = []
for root, dirs, files in os.walk('/'):
    if root == '/':
        dirs[:] = [d for d in dirs if d not in ('proc', 'sys', 'dev')]
    for name in files:
        try:
            mode = os.lstat(os.path.join(root, name)).st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode) and mode & (stat.S_ISUID | stat.S_ISGID):
            found.append(os.path.join(root, name))
print(found)
"""
    _, logs = run_code(client, script, code)
    assert logs == ["[]\n"]


def test_caps_on_files_bytes_and_images_tell_the_model_what_was_left_out(make_server, upstream):
    srv = make_server(env={"EMULATOR_SANDBOX_MAX_OUTPUT_FILES": "2", "EMULATOR_SANDBOX_MAX_OUTPUT_FILES_BYTES": "1000",
                           "EMULATOR_MODEL_MAP": json.dumps({"*": {"model": "openai/stand-in",
                                                                  "api_base": upstream.base_url}})})
    client = srv.client()
    code = ("from PIL import Image\n"
            "for name, size in (('f1', 600), ('f2', 600), ('f3', 10), ('f4', 10)):\n"
            "    open(f'/mnt/data/{name}.bin', 'wb').write(bytes(size))\n"
            "for _ in range(3):\n    display(Image.new('RGB', (4, 4)))")
    upstream.replies = [{"tool_calls": [{"name": "code_interpreter", "arguments": {"code": code}}]}, {"text": "ok"}]
    run = client.beta.threads.create_and_run_poll(assistant_id=ci_assistant(client, "gpt-4o").id,
                                                  thread={"messages": [{"role": "user", "content": "go"}]})
    assert run.status == "completed", run.last_error
    told = upstream.requests[-1]["messages"][-1]["content"]
    assert "Wrote /mnt/data/f1.bin" in told and "Wrote /mnt/data/f3.bin" in told
    assert "1 more files were not collected, because one execution gives the user at most 2 files: " \
           "/mnt/data/f4.bin" in told
    assert "1 more files were not collected, because one execution gives the user at most 1000 bytes of files: " \
           "/mnt/data/f2.bin" in told
    assert "1 more images were not shown, because one execution shows the user at most 2 images" in told
    (call,) = step_calls(client, run.thread_id, run.id)
    assert [o.type for o in call.code_interpreter.outputs] == ["image", "image"]
    assert sorted(f.filename for f in client.files.list(purpose="assistants_output") if f.filename.endswith(".bin")) \
        == ["f1.bin", "f3.bin"]
