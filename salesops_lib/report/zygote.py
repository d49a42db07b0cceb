"""Pre-warmed kernels: one process imports what the notebooks need, then forks a kernel per
notebook.

A notebook kernel normally starts a fresh Python, imports IPython and ipykernel, then pandas,
matplotlib, statsmodels, Prophet, statsforecast and the library: several seconds of CPU per
notebook before its first line of analysis runs, paid again by every notebook of a run. The
*zygote* pays it once. :class:`Zygote` starts ``python -m salesops_lib.report.zygote`` with the
run's environment; it imports :func:`preload_modules` (every module the notebooks import, plus
the heavy libraries the library imports lazily) and then waits. For each notebook the kernel
manager (:mod:`.kernels`) asks it for a kernel: the zygote forks, and the child — which already
holds every import, shared copy-on-write with its siblings — takes the notebook's own
environment and working folder, reseeds its random generators and becomes an ordinary
ipykernel on the connection file jupyter_client wrote. papermill talks to it exactly as to a
kernel it started itself.

Lifetime: a child is its own process group (killed with the group, as jupyter_client does);
the zygote kills every child it forked and exits when its standard input closes, which happens
when the runner exits or is killed (even with ``kill -9``), and children die with the zygote
(Linux parent-death signal). Without ``fork`` (not POSIX) or if the zygote cannot start, the
runner starts kernels the ordinary way.

Protocol (one JSON object per line): the runner writes ``{"preload": [...]}``, the zygote
answers ``{"ready": pid, "loaded": n, "failed": [...]}``; then per kernel
``{"argv": [...], "env": {...}, "cwd": "..."}`` is answered by ``{"pid": child pid}``.
"""

from __future__ import annotations

import ast
import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

import nbformat

#: What every kernel imports: the kernel itself and the data stack.
BASE = ("IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
        "numpy", "pandas", "matplotlib.pyplot", "yaml")

#: Libraries a package of the library imports inside its functions (so a notebook's own
#: import lines do not name them) that cost real time to import: preloaded, when installed,
#: for the notebooks that import the package.
HEAVY = {"salesops_lib.forecast": ("scipy.stats", "statsmodels.api", "prophet", "cmdstanpy",
                                   "statsforecast", "statsforecast.models",
                                   "hierarchicalforecast"),
         "salesops_lib.compensation": ("scipy.stats", "statsmodels.api"),
         "salesops_lib.performance": ("scipy.stats", "statsmodels.api",
                                      "statsmodels.stats.multitest"),
         "salesops_lib.strategy": ("scipy.optimize", "statsmodels.api"),
         "salesops_lib.territory": ("scipy.sparse.csgraph", "highspy", "networkx")}

#: Never preloaded: importing the inline backend outside a running shell would skip its
#: hook into IPython (figures would not be shown).
NEVER = ("matplotlib_inline.backend_inline",)


def notebook_imports(path) -> list[str]:
    """Modules a notebook's code cells import (``import a.b``, ``from a.b import c``)."""
    nb = nbformat.read(str(path), as_version=4)
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = "\n".join(line for line in cell.source.splitlines()
                        if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                out.append(node.module)
                out += [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
    return out


def preload_modules(paths) -> list[str]:
    """What the zygote imports: :data:`BASE`, every module the notebooks at ``paths`` import
    (a ``from m import name`` also tries ``m.name``, which is skipped when it is not a module)
    and the :data:`HEAVY` libraries of the library packages they use, in first-seen order,
    without :data:`NEVER`."""
    seen: dict[str, None] = dict.fromkeys(BASE)
    for p in paths:
        for m in notebook_imports(p):
            seen[m] = None
    for package, extra in HEAVY.items():
        if any(m == package or m.startswith(package + ".") for m in list(seen)):
            seen.update(dict.fromkeys(extra))
    return [m for m in seen if m not in NEVER]


# --------------------------------------------------------------------------------------------
# the runner's side
# --------------------------------------------------------------------------------------------
class Zygote:
    """Handle on a running zygote process (see module docstring). Thread-safe."""

    def __init__(self, modules, env: dict, log_path: Path | None = None):
        self._lock = threading.Lock()
        self.ready = False
        self.failed: list[str] = []
        self.loaded = 0
        self.log_path = log_path
        with open(log_path or os.devnull, "ab") as log:    # the child keeps its own copy
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "salesops_lib.report.zygote"], env=env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                cwd=os.getcwd(), start_new_session=True)
        self._send({"preload": list(modules)})

    def _send(self, msg: dict) -> None:
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the kernel zygote exited")
        return json.loads(line)

    def wait_ready(self) -> bool:
        """Block until the preload is done; False when the zygote died."""
        with self._lock:
            if self.ready:
                return True
            try:
                msg = self._read()
            except (RuntimeError, ValueError, OSError):
                return False
            self.ready = "ready" in msg
            self.failed = list(msg.get("failed", []))
            self.loaded = int(msg.get("loaded", 0))
            return self.ready

    def fork(self, argv: list[str], env: dict, cwd: str | None) -> int:
        """Start a kernel ``ipykernel_launcher <argv>`` with ``env`` in ``cwd``; its pid."""
        if not self.wait_ready():
            raise RuntimeError("the kernel zygote is not running")
        with self._lock:
            self._send({"argv": list(argv), "env": dict(env), "cwd": str(cwd or os.getcwd())})
            msg = self._read()
        if "pid" not in msg:
            raise RuntimeError(f"the kernel zygote could not fork: {msg.get('error')}")
        return int(msg["pid"])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """Stop the zygote and every kernel it forked."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


class ForkedKernel:
    """The kernel process as jupyter_client's provisioner sees it (a ``Popen`` look-alike for a
    process the zygote forked, so not a child of this process)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        try:
            with open(f"/proc/{self.pid}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
            if state not in ("Z", "X"):
                return None
        except FileNotFoundError:
            pass
        except (OSError, IndexError):
            try:
                os.kill(self.pid, 0)
                return None
            except ProcessLookupError:
                pass
        self.returncode = 0
        return 0

    def wait(self, timeout=None) -> int:
        import time

        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass
        except OSError:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


# --------------------------------------------------------------------------------------------
# the zygote's side
# --------------------------------------------------------------------------------------------
def _preload(modules) -> tuple[int, list[str]]:
    import importlib
    import importlib.util

    loaded, failed = 0, []
    for name in modules:
        if name in sys.modules:
            loaded += 1
            continue
        try:
            parent = name.rpartition(".")[0]
            if parent and parent not in sys.modules:
                importlib.import_module(parent)
            if importlib.util.find_spec(name) is None:
                continue
            importlib.import_module(name)
            loaded += 1
        except Exception:  # noqa: BLE001 - e.g. ``from m import function``: not a module
            failed.append(name)
    return loaded, failed


def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the process that forked it dies."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _child(req: dict, zygote_pid: int) -> None:
    """In the forked child: become the notebook's kernel. Never returns."""
    code = 1
    try:
        os.setsid()
        _die_with_parent()
        if os.getppid() != zygote_pid:
            os._exit(1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(2, 1)                    # chatter goes where the zygote's stderr goes (run.log)
        os.close(null)
        env = dict(req.get("env") or {})
        env["JPY_PARENT_PID"] = str(zygote_pid)      # ipykernel exits when the zygote does
        os.environ.clear()
        os.environ.update(env)
        os.chdir(req.get("cwd") or os.getcwd())
        _reseed()
        if sys.path and sys.path[0] in ("", os.getcwd()):
            del sys.path[0]
        from ipykernel import kernelapp

        # the trait's default was read from the environment when the zygote imported ipykernel
        kernelapp.launch_new_instance(argv=list(req["argv"])
                                      + [f"--IPKernelApp.parent_handle={zygote_pid}"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 - report and leave; the runner sees a dead kernel
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _reseed() -> None:
    """A forked child inherits its parent's random state: draw fresh seeds, as a new process
    would (``random`` reseeds itself after a fork; numpy's global generator does not)."""
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed()


def _reap(children: set) -> None:
    while children:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        children.discard(pid)


def _kill_children(children: set) -> None:
    for pid in list(children):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in list(children):
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
    children.clear()


def serve() -> None:
    """The zygote's main loop (see module docstring)."""
    _die_with_parent()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    children: set[int] = set()
    me = os.getpid()

    def reply(msg: dict) -> None:
        stdout.write((json.dumps(msg) + "\n").encode())
        stdout.flush()

    buf = b""
    while True:
        ready, _, _ = select.select([stdin], [], [], 0.1)
        _reap(children)
        if not ready:
            continue
        chunk = os.read(stdin.fileno(), 65536)
        if not chunk:                      # the runner is gone: so are its kernels
            _kill_children(children)
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            req = json.loads(line)
            if "preload" in req:
                loaded, failed = _preload(req["preload"])
                reply({"ready": me, "loaded": loaded, "failed": failed})
                continue
            try:
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
            except OSError as exc:
                reply({"error": str(exc)})
                continue
            if pid == 0:
                _child(req, me)
            children.add(pid)
            reply({"pid": pid})


if __name__ == "__main__":
    serve()
