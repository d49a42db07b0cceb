"""Running notebooks: papermill in parallel, one kernel each, with an environment per notebook.

Each notebook runs in its own kernel started with the run's environment plus its own
entries (its staging area for what it keeps). When the run has a :class:`~.zygote.Zygote`,
the kernel is forked from it with every import already done; otherwise jupyter_client starts
a fresh Python. Kernels are tracked so an interrupted run can stop every one of them at once.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path
from typing import ClassVar

from jupyter_client import AsyncKernelManager

from . import zygote
from .index import read_manifest

_log = logging.getLogger(__name__)
_LIVE: set = set()
_LIVE_LOCK = threading.Lock()


class _RunKernelManager(AsyncKernelManager):
    """A kernel manager that starts its kernel with ``salesops_env`` added to the environment
    (the class is specialised per notebook: papermill creates the manager itself)."""

    salesops_env: ClassVar[dict] = {}
    salesops_zygote: ClassVar[object] = None
    salesops_cwd: ClassVar[str | None] = None

    async def _async_pre_start_kernel(self, **kw):
        kw["env"] = {**kw.get("env", os.environ), **self.salesops_env}
        if self.salesops_cwd is not None:
            kw["cwd"] = self.salesops_cwd
        with _LIVE_LOCK:
            _LIVE.add(self)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        zyg = self.salesops_zygote
        argv = _launcher_args(kernel_cmd)
        if zyg is None or argv is None or not zyg.alive():
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        import asyncio

        from .zygote import ForkedKernel

        env = kw.get("env") or dict(os.environ)
        pid = await asyncio.to_thread(zyg.fork, argv, env, kw.get("cwd"))
        prov = self.provisioner
        prov.process = ForkedKernel(pid)
        prov.pid = prov.pgid = pid
        prov.cwd = kw.get("cwd")
        self._reconcile_connection_info(prov.connection_info)
        return None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        with _LIVE_LOCK:
            _LIVE.discard(self)
        return await super()._async_cleanup_resources(restart=restart)


def _launcher_args(cmd) -> list[str] | None:
    """The arguments after ``python -m ipykernel_launcher`` when ``cmd`` starts this
    interpreter's ipykernel (what a zygote can fork), else None."""
    cmd = list(cmd or [])
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    if os.path.realpath(cmd[0]) != os.path.realpath(sys.executable):
        return None
    return cmd[3:]


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


def execute(src: Path, dst: Path, parameters: dict, env: dict, cwd: Path,
            zygote=None) -> Exception | None:
    """Run notebook ``src`` into ``dst`` with ``parameters`` injected, in a kernel forked from
    ``zygote`` when given; returns the error the notebook raised (papermill still writes
    ``dst`` with the failing cell), or None.

    A kernel that dies before it answers its first request (so before any cell ran) is
    started once more, the ordinary way: a kernel that never started says nothing about the
    notebook, and one lost start-up must not fail a scheduled run."""
    import papermill as pm

    for attempt in (1, 2):
        # the kernel starts in ``cwd``; papermill's own ``cwd=`` would chdir this whole
        # process, and with notebooks running in threads one thread's restore undid another's
        # (a run could leave the runner in a deleted folder and start the next kernel there)
        manager = type("RunKernelManager", (_RunKernelManager,),
                       {"salesops_env": dict(env), "salesops_zygote": zygote,
                        "salesops_cwd": str(cwd)})
        try:
            pm.execute_notebook(str(src), str(dst), parameters=parameters, progress_bar=False,
                                log_output=False, report_mode=False,
                                kernel_name="python3", kernel_manager_class=manager,
                                shutdown_kernel="immediate")
        except Exception as exc:  # noqa: BLE001 - any notebook failure is isolated and reported
            if attempt == 1 and died_at_start(exc):
                _log.warning("%s: the kernel died before it started (%s); starting a new one",
                             Path(src).stem, exc)
                zygote = None
                continue
            return exc
        return None
    return None   # not reached: the second attempt returns


def died_at_start(exc: BaseException) -> bool:
    """True for jupyter_client's error when a kernel exits before its first reply."""
    return isinstance(exc, RuntimeError) and "died before replying to kernel_info" in str(exc)


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


#: Errors that mean a page cannot be made for this period or these data, not that it failed:
#: the page shows the reason and the run succeeds. Class names, as the kernel reports them.
NOT_MADE = ("NotForecastable",)


def not_made(exc: BaseException) -> str | None:
    """The reason a page cannot be made, when its notebook stopped on one of :data:`NOT_MADE`
    (its message), else ``None``."""
    ename = getattr(exc, "ename", None) or type(exc).__name__
    if ename not in NOT_MADE:
        return None
    return str(getattr(exc, "evalue", None) or exc).strip()


#: Seconds each shipped report takes on the default sample (one kernel of two, quiet
#: machine): the order of a first run, before the reports folder has timings of its own.
TYPICAL_SECONDS = {"forecast": 45.0, "pipeline_health": 16.0, "quotas_compensation": 15.0,
                   "rep_performance": 14.0, "sales_strategy": 12.0, "territory_design": 11.0,
                   "executive_summary": 6.0}


def longest_first(run_jobs: list, out: Path) -> list:
    """Start the pages that took longest last time first, so the slowest notebook does not
    start last and leave the other kernels idle. Without a previous run the shipped reports
    take :data:`TYPICAL_SECONDS` and a notebook never timed goes first of all."""
    took: dict[str, float] = dict(TYPICAL_SECONDS)
    manifests = sorted(Path(out).glob("*/manifest.json"), key=lambda m: m.stat().st_mtime)
    for m in manifests if Path(out).is_dir() else []:
        for e in (read_manifest(m) or {}).get("notebooks", []):
            took[e["name"]] = float(e.get("seconds") or 0)
            for pg in e.get("pages", []):
                took[f"{e['name']}:{pg.get('label')}"] = float(pg.get("seconds") or 0)
    key = {j.id: took.get(f"{j.name}:{j.label}" if j.label else j.name,
                          took.get(j.name, float("inf")))
           for j in run_jobs}
    return sorted(run_jobs, key=lambda j: -key[j.id])


#: Thread pools of numerical libraries in each kernel: with several kernels on the cores,
#: each gets its share instead of every kernel starting one thread per core.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def kernel_env(scratch: Path, jobs: int, cores: int, pages: int | None) -> dict:
    """What every kernel of the run starts with (read at import time, so the zygote gets it
    too): no warnings, the inline backend, plain-text matplotlib (its rc file written into
    ``scratch``), and each kernel's share of the ``cores`` in the numerical thread pools
    (``pages`` None: a fan-out, as many kernels at once as ``jobs``)."""
    workers = max(1, min(jobs, pages or 10**6))
    share = str(max(1, cores // workers))
    rc = scratch / "matplotlibrc"
    rc.write_text("text.parse_math: False\ntext.usetex: False\n")
    return {**os.environ,
            **{k: share for k in _THREAD_VARS if k not in os.environ},
            "PYTHONWARNINGS": "ignore",       # no warnings in reports
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "MATPLOTLIBRC": str(rc)}


def start_zygote(paths, env: dict, scratch: Path):
    """The run's kernel zygote (:mod:`.zygote`), or None where fork is unavailable or
    ``SALESOPS_ZYGOTE=0`` turns it off (then kernels start the ordinary way)."""
    if not hasattr(os, "fork") or os.environ.get("SALESOPS_ZYGOTE", "1") == "0":
        return None
    try:
        return zygote.Zygote(zygote.preload_modules(paths), env, scratch / "zygote.log")
    except OSError:
        return None
