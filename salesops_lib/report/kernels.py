"""Running notebooks: papermill in parallel, one kernel each, with an environment per notebook.

Each notebook runs in its own kernel started with the run's environment plus its own
entries (its staging area for what it keeps). Kernels are tracked so an interrupted run can
stop every one of them at once.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import ClassVar

from jupyter_client import AsyncKernelManager

_LIVE: set = set()
_LIVE_LOCK = threading.Lock()


class _RunKernelManager(AsyncKernelManager):
    """A kernel manager that starts its kernel with ``salesops_env`` added to the environment
    (the class is specialised per notebook: papermill creates the manager itself)."""

    salesops_env: ClassVar[dict] = {}

    async def _async_pre_start_kernel(self, **kw):
        kw["env"] = {**kw.get("env", os.environ), **self.salesops_env}
        with _LIVE_LOCK:
            _LIVE.add(self)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        with _LIVE_LOCK:
            _LIVE.discard(self)
        return await super()._async_cleanup_resources(restart=restart)


def kill_all() -> None:
    """Kill every kernel this process started and has not shut down (on an interrupt)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for km in live:
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        try:
            if proc is not None:
                proc.kill()
        except OSError:
            pass


def execute(src: Path, dst: Path, parameters: dict, env: dict, cwd: Path) -> Exception | None:
    """Run notebook ``src`` into ``dst`` with ``parameters`` injected; returns the error the
    notebook raised (papermill still writes ``dst`` with the failing cell), or None."""
    import papermill as pm

    manager = type("RunKernelManager", (_RunKernelManager,), {"salesops_env": dict(env)})
    try:
        pm.execute_notebook(str(src), str(dst), parameters=parameters, progress_bar=False,
                            log_output=False, report_mode=False, cwd=str(cwd),
                            kernel_name="python3", kernel_manager_class=manager,
                            shutdown_kernel="immediate")
    except Exception as exc:  # noqa: BLE001 - any notebook failure is isolated and reported
        return exc
    return None


class KernelStderr:
    """Send file descriptor 2 (where kernel processes write their start-up chatter) to a file
    while notebooks run, so the scheduler's output stays one progress line per notebook; the
    captured text goes to ``run.log``."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        sys.stderr.flush()
        self._saved = os.dup(2)
        self._fh = open(self.path, "ab")
        os.dup2(self._fh.fileno(), 2)
        # this process's own messages (progress lines) still reach the terminal
        self._stderr = None
        try:
            real = sys.stderr.fileno() == 2
        except (AttributeError, OSError, ValueError):   # already captured (pytest)
            real = False
        if real:
            self._stderr = sys.stderr
            sys.stderr = open(os.dup(self._saved), "w", buffering=1, encoding="utf-8",
                              errors="replace")
        return self

    def __exit__(self, *exc):
        sys.stderr.flush()
        if self._stderr is not None:
            sys.stderr.close()
            sys.stderr = self._stderr
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._fh.close()
        return False


def short_error(exc: BaseException) -> str:
    """``Name: message`` of a notebook's error (papermill carries the kernel's exception)."""
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"
    return f"{type(exc).__name__}: {exc}"
