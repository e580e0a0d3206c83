"""The sandbox kernel: executes Python sent by the emulator, keeping state between executions.

Protocol: one JSON object per line. The emulator writes requests to stdin:

    {"id": 1, "code": "print(1)", "timeout": 30, "max_output": 65536}
    {"interrupt": true}

and the kernel answers each execution on its own channel (the original stdout):

    {"id": 1, "stdout": "1\\n", "stderr": "", "error": null, "images": ["<base64 PNG>"], "timed_out": false}

While code runs, file descriptors 1 and 2 point at capture files, so output from C code and
subprocesses is captured too and can never corrupt the protocol channel.
"""

import ast
import base64
import importlib.abc
import importlib.machinery
import io
import json
import linecache
import os
import shutil
import signal
import sys
import threading
import time
import traceback

PROTOCOL = os.fdopen(os.dup(1), "w", buffering=1)
MPL_PREBUILT = "/opt/sandbox/mpl"
CAPTURE_DIR = "/tmp/.kernel"
NAMESPACE = {"__name__": "__main__", "__builtins__": __builtins__}
PENDING_IMAGES = []
_busy = threading.Event()
KERNEL_PID = os.getpid()


class ExecutionTimeout(BaseException):
    """Raised in user code when its time is up (BaseException: `except Exception` won't swallow it)."""


def _png_of_figure(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode()


def _flush_figures() -> None:
    """Render every open matplotlib figure as an image output, then close them (like Jupyter inline)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    for number in pyplot.get_fignums():
        PENDING_IMAGES.append(_png_of_figure(pyplot.figure(number)))
    pyplot.close("all")


def display(*objects) -> None:
    """Show objects like a notebook: figures and images become image outputs, the rest is printed."""
    for obj in objects:
        if hasattr(obj, "savefig"):
            PENDING_IMAGES.append(_png_of_figure(obj))
        elif hasattr(obj, "_repr_png_") and obj._repr_png_() is not None:
            PENDING_IMAGES.append(base64.b64encode(obj._repr_png_()).decode())
        elif obj.__class__.__module__.startswith("PIL.") and hasattr(obj, "save"):
            buffer = io.BytesIO()
            obj.save(buffer, format="PNG")
            PENDING_IMAGES.append(base64.b64encode(buffer.getvalue()).decode())
        else:
            print(repr(obj))


class _ShowHook(importlib.abc.MetaPathFinder):
    """Makes `plt.show()` render figures as image outputs, patching pyplot when it is first imported."""

    def find_spec(self, name, path=None, target=None):
        if name != "matplotlib.pyplot":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _PatchingLoader(spec.loader)
        return spec


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, original) -> None:
        self._original = original

    def create_module(self, spec):
        return self._original.create_module(spec)

    def exec_module(self, module) -> None:
        self._original.exec_module(module)
        module.show = lambda *args, **kwargs: _flush_figures()


def _run(code: str) -> None:
    linecache.cache["<code>"] = (len(code), None, code.splitlines(True), "<code>")  # source in tracebacks
    tree = ast.parse(code, "<code>", "exec")
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):  # show the value of a trailing expression, as a notebook does
        tree.body.pop()
        exec(compile(tree, "<code>", "exec"), NAMESPACE)
        value = eval(compile(ast.Expression(last.value), "<code>", "eval"), NAMESPACE)
        if value is not None:
            if hasattr(value, "savefig") or hasattr(value, "_repr_png_"):
                display(value)
            else:
                print(repr(value))
    else:
        exec(compile(tree, "<code>", "exec"), NAMESPACE)


def _user_traceback() -> str:
    kind, value, tb = sys.exc_info()
    frames = [f for f in traceback.extract_tb(tb) if f.filename == "<code>"]
    lines = traceback.format_list(frames) if frames else []
    detail = "".join(traceback.format_exception_only(kind, value))
    return "Traceback (most recent call last):\n" + "".join(lines) + detail if lines else detail


def _on_alarm(_signum, _frame):
    raise ExecutionTimeout()


def _kill_strays() -> None:
    """Stop every other process in the sandbox and collect them."""
    me, deadline = os.getpid(), time.monotonic() + 5
    while time.monotonic() < deadline:
        others = [int(e) for e in os.listdir("/proc") if e.isdigit() and int(e) != me]
        if not others:
            return
        for sig in (signal.SIGSTOP, signal.SIGKILL):  # freeze first, so nothing forks while we kill
            for pid in others:
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
        _reap_children()
        time.sleep(0.005)


def _reap_children() -> None:
    # As PID 1 of its container, the kernel must collect exited children, or they stay zombies.
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _read_capped(path: str, limit: int) -> str:
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    text = data[:limit].decode("utf-8", errors="replace")
    if len(data) > limit:
        text += f"\n[output truncated: more than {limit} bytes]"
    return text


def execute(request: dict) -> dict:
    limit = int(request.get("max_output", 65536))
    out_path, err_path = f"{CAPTURE_DIR}/out", f"{CAPTURE_DIR}/err"
    saved = os.dup(1), os.dup(2)
    with open(out_path, "wb") as out_file, open(err_path, "wb") as err_file:
        os.dup2(out_file.fileno(), 1)
        os.dup2(err_file.fileno(), 2)
    sys.stdout = io.TextIOWrapper(os.fdopen(os.dup(1), "wb"), line_buffering=True, errors="replace")
    sys.stderr = io.TextIOWrapper(os.fdopen(os.dup(2), "wb"), line_buffering=True, errors="replace")
    error, timed_out = None, False
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(request.get("timeout", 60)))
    _busy.set()
    try:
        _run(request["code"])
        _flush_figures()
    except ExecutionTimeout:
        timed_out = True
        error = f"ExecutionTimeout: execution stopped after {request.get('timeout', 60)} seconds"
    except KeyboardInterrupt:
        timed_out = True
        error = "KeyboardInterrupt: execution interrupted"
    except BaseException:  # the user's exception (SystemExit included) is output, not a kernel failure
        error = _user_traceback()
    finally:
        if os.getpid() != KERNEL_PID:  # a process the user's code forked must never answer
            os._exit(1)
        signal.setitimer(signal.ITIMER_REAL, 0)
        _busy.clear()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
                stream.close()
            except Exception:
                pass
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
    try:
        _flush_figures()
    except Exception:
        pass
    # Processes the code started do not outlive it: a sandbox has no background jobs (and no fork bombs).
    _kill_strays()
    images, PENDING_IMAGES[:] = list(PENDING_IMAGES), []
    return {"id": request.get("id"), "stdout": _read_capped(out_path, limit), "stderr": _read_capped(err_path, limit),
            "error": error, "images": images, "timed_out": timed_out}


def _requests():
    """Execution requests from stdin; interrupts are handled here, as they arrive."""
    queue, ready = [], threading.Condition()

    def reader() -> None:
        for line in sys.stdin:
            message = json.loads(line)
            if message.get("interrupt"):
                if _busy.is_set():
                    os.kill(os.getpid(), signal.SIGINT)
                continue
            with ready:
                queue.append(message)
                ready.notify()
        with ready:
            queue.append(None)
            ready.notify()

    threading.Thread(target=reader, daemon=True).start()
    while True:
        with ready:
            while not queue:
                ready.wait()
            message = queue.pop(0)
        if message is None:
            return
        yield message


def _prepare_matplotlib() -> None:
    """Matplotlib's config and font cache, built into the image, copied where it may write."""
    target = os.environ.get("MPLCONFIGDIR")
    if target and os.path.isdir(MPL_PREBUILT) and not os.path.exists(target):
        shutil.copytree(MPL_PREBUILT, target)


def main() -> None:
    os.makedirs(CAPTURE_DIR, exist_ok=True)
    _prepare_matplotlib()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # stray writes between executions go nowhere, never into the protocol
    sys.meta_path.insert(0, _ShowHook())
    NAMESPACE["display"] = display
    signal.signal(signal.SIGINT, signal.default_int_handler)
    PROTOCOL.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    for request in _requests():
        PROTOCOL.write(json.dumps(execute(request)) + "\n")


if __name__ == "__main__":
    main()
