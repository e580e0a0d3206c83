"""The sandbox worker: executes the model's Python, keeping its state between executions.

The kernel (kernel.py, the container's PID 1) starts this process as the unprivileged sandbox
user and supervises it. Nothing here is a guard: the user's code runs in this process and may
change anything in it. Timeouts are enforced, stray processes stopped and files moved by the
kernel, which this process can neither signal nor trace.

File descriptors, set up by the kernel: 0 /dev/null; 1 and 2 the capture files for stdout and
stderr (so output of C code and subprocesses is captured too); 3 requests from the kernel and
4 replies to it, one JSON object per line:

    {"id": 1, "code": "print(1)", "timeout": 30}
    {"id": 1, "error": null, "images": ["<base64 PNG>"], "timed_out": false}
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
import traceback

REQUESTS_FD, REPLIES_FD = 3, 4
MPL_PREBUILT = "/opt/sandbox/mpl"
NAMESPACE = {"__name__": "__main__", "__builtins__": __builtins__}
PENDING_IMAGES = []
WORKER_PID = os.getpid()


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


def _reap_children() -> None:
    """Collect children the kernel stopped after the last execution (they would stay zombies)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _capture() -> None:
    sys.stdout = io.TextIOWrapper(os.fdopen(os.dup(1), "wb"), line_buffering=True, errors="replace")
    sys.stderr = io.TextIOWrapper(os.fdopen(os.dup(2), "wb"), line_buffering=True, errors="replace")


def _end_capture() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
            stream.close()
        except Exception:
            pass
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__


def execute(request: dict) -> dict:
    _reap_children()
    _capture()
    error, timed_out = None, False
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(request.get("timeout", 60)))
    try:
        _run(request["code"])
        _flush_figures()
    except ExecutionTimeout:
        timed_out = True
        error = f"ExecutionTimeout: execution stopped after {request.get('timeout', 60)} seconds"
    except KeyboardInterrupt:
        timed_out = True
        error = "KeyboardInterrupt: execution interrupted"
    except BaseException:  # the user's exception (SystemExit included) is output, not a worker failure
        error = _user_traceback()
    finally:
        if os.getpid() != WORKER_PID:  # a process the user's code forked must never answer
            os._exit(1)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late interrupt from the kernel must not end this process
        _end_capture()
    try:
        _flush_figures()
    except Exception:
        pass
    images, PENDING_IMAGES[:] = list(PENDING_IMAGES), []
    return {"id": request.get("id"), "error": error, "images": images, "timed_out": timed_out}


def _prepare() -> None:
    # The kernel's copy of this process survives an out-of-memory kill only if this one goes first.
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    target = os.environ.get("MPLCONFIGDIR")  # matplotlib's font cache, built into the image, made writable
    if target and os.path.isdir(MPL_PREBUILT) and not os.path.exists(target):
        shutil.copytree(MPL_PREBUILT, target)
    sys.meta_path.insert(0, _ShowHook())
    NAMESPACE["display"] = display
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only while code runs does an interrupt mean something


def main() -> None:
    _prepare()
    replies = os.fdopen(REPLIES_FD, "w", buffering=1)
    replies.write(json.dumps({"ready": True}) + "\n")
    for line in os.fdopen(REQUESTS_FD, "rb"):
        request = json.loads(line)
        try:
            reply = execute(request)
        except (ExecutionTimeout, KeyboardInterrupt):  # arrived just as the code ended
            reply = {"id": request.get("id"), "error": "KeyboardInterrupt: execution interrupted", "images": [],
                     "timed_out": True}
        replies.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    main()
