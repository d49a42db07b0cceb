"""One run at a time per reports folder, and a publish that moves everything at once.

Layout of a reports folder (``reports/``)::

    index.html   -> .salesops/current/index.html     stable links, made once
    2026-Q4      -> .salesops/current/2026-Q4
    keep.sqlite                                      what reports keep (salesops_lib.keep)
    .salesops/
      lock                                           the run lock (filelock)
      current    -> snapshots/<run>                  THE switch: one atomic rename
      snapshots/<run>/index.html, <period> -> ../../versions/<period>.<run>
      versions/<period>.<run>/                       one period as a run left it (immutable)
      stage-<run>/                                   a run in progress (removed, or swept)

A run builds a new period version (its new HTML, executed notebooks, manifest and log, plus
hard links to the files it did not re-render) and a new snapshot (the index and a link per
period) beside the published ones, then replaces the ``current`` link in one ``rename``. A
reader, or a run killed at any instant, therefore sees either the old state or the new one,
never a mix. Older snapshots and versions are swept by the next run (the previous one is kept
for readers that still have a page open).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

STATE = ".salesops"


class ReportBusyError(RuntimeError):
    """Another run holds the reports folder (exit code 3)."""


def state(out: Path) -> Path:
    return Path(out) / STATE


class RunLock:
    """The lock of one reports folder: ``with RunLock(out, wait=None):``.

    ``wait`` None fails at once if another run holds it; a number waits that many seconds;
    a negative number waits as long as it takes.
    """

    def __init__(self, out: Path, wait: float | None = None, progress=None):
        from filelock import FileLock

        self.out = Path(out)
        self.wait = wait
        self.progress = progress or (lambda line: None)    # told once when it must queue
        state(self.out).mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(state(self.out) / "lock"))
        self._info = state(self.out) / "lock.info"

    @staticmethod
    def refuse_if_held(out: Path) -> None:
        """Raise :class:`ReportBusyError` at once when another run holds ``out``'s lock (so a
        refused run fails before it loads any data); a folder never run into is free. Creates
        nothing. The run still takes the lock itself (:meth:`__enter__`) when it publishes."""
        from filelock import FileLock, Timeout

        if not (state(Path(out)) / "lock").exists():
            return
        lock = FileLock(str(state(Path(out)) / "lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise ReportBusyError(RunLock._busy(Path(out), None)) from None
        lock.release()

    @staticmethod
    def _busy(out: Path, wait) -> str:
        holder = ""
        try:
            info = json.loads((state(out) / "lock.info").read_text())
            holder = f" (pid {info['pid']}, started {info['started']} UTC)"
        except (OSError, ValueError, KeyError):
            pass
        how = ("run again with --wait to queue behind it" if wait is None
               else f"gave up after waiting {wait:g} s")
        return f"another salesops report run is writing to {out}{holder}; {how}"

    def __enter__(self):
        from filelock import Timeout

        timeout = 0 if self.wait is None else (-1 if self.wait < 0 else self.wait)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            if timeout == 0:
                raise ReportBusyError(self._busy(self.out, self.wait)) from None
            self.progress(self._busy(self.out, None).split(";")[0] + "; waiting for it ...")
            try:
                self._lock.acquire(timeout=timeout)
            except Timeout:
                raise ReportBusyError(self._busy(self.out, self.wait)) from None
        self._info.write_text(json.dumps({"pid": os.getpid(), "started": datetime.now(UTC)
                                          .strftime("%Y-%m-%d %H:%M:%S")}))
        return self

    def __exit__(self, *exc):
        self._lock.release()
        return False


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def stage_dir(out: Path, run_id: str) -> Path:
    path = state(out) / f"stage-{run_id}"
    path.mkdir(parents=True)
    return path


def _current(out: Path) -> Path | None:
    link = state(out) / "current"
    return link.resolve() if link.is_symlink() else None


def published_period(out: Path, period: str) -> Path | None:
    """The folder holding the published files of ``period`` (None if never published)."""
    p = Path(out) / period
    return p.resolve() if p.exists() else None


def _adopt_legacy(out: Path) -> None:
    """A reports folder written before snapshots (real period folders, a real index.html):
    move its period folders into versions once, so the first snapshot carries them."""
    versions = state(out) / "versions"
    for child in sorted(Path(out).iterdir()):
        if child.is_dir() and not child.is_symlink() and (child / "manifest.json").exists():
            versions.mkdir(parents=True, exist_ok=True)
            target = versions / f"{child.name}.legacy"
            if not target.exists():
                child.rename(target)
                _symlink(os.path.relpath(target, out), Path(out) / child.name, replace=False)


def _symlink(target: str, link: Path, replace: bool = True) -> None:
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}.tmp")
    os.symlink(target, tmp)
    if replace or not (link.exists() or link.is_symlink()):
        os.replace(tmp, link)
    else:
        tmp.unlink()


def new_version(out: Path, period: str, run_id: str) -> tuple[Path, Path | None]:
    """A fresh version folder for ``period`` holding hard links to every published file of the
    period; returns it and the published folder it was copied from (or None)."""
    out = Path(out)
    _adopt_legacy(out)
    version = state(out) / "versions" / f"{period}.{run_id}"
    previous = published_period(out, period)
    if previous is not None and previous.is_dir():
        shutil.copytree(previous, version, copy_function=os.link, symlinks=True)
    else:
        version.mkdir(parents=True)
    return version, previous


def switch(out: Path, run_id: str, versions: dict[str, Path], render_index) -> Path:
    """Publish: a snapshot with every period (``versions`` replacing theirs) and a new index,
    then one atomic rename of ``current``. ``render_index(folder)`` writes ``index.html`` in
    the snapshot from the manifests it finds there."""
    out = Path(out)
    _adopt_legacy(out)
    snaps = state(out) / "snapshots"
    snap = snaps / run_id
    snap.mkdir(parents=True)
    periods: dict[str, Path] = {}
    cur = _current(out)
    if cur is not None:
        for entry in cur.iterdir():
            if entry.is_symlink() and entry.is_dir():
                periods[entry.name] = entry.resolve()
    for child in out.iterdir():       # adopted legacy folders not yet in a snapshot
        if child.is_symlink() and child.name not in periods and not child.name.startswith("."):
            target = child.resolve()
            if target.is_dir() and (target / "manifest.json").exists():
                periods[child.name] = target
    periods.update(versions)
    for name, target in periods.items():
        os.symlink(os.path.relpath(target, snap), snap / name)
    render_index(snap)
    # stable links first: harmless before the switch (they resolve through ``current``)
    _symlink(f"{STATE}/current/index.html", out / "index.html",
             replace=not (out / "index.html").is_symlink())
    for name in periods:
        link = out / name
        if not link.is_symlink() or os.readlink(link) != f"{STATE}/current/{name}":
            _symlink(f"{STATE}/current/{name}", link)
    _symlink(os.path.relpath(snap, state(out)), state(out) / "current")   # the switch
    return snap


def sweep(out: Path, keep_snapshots: int = 2) -> None:
    """Remove stage folders of runs that died, snapshots beyond the last ``keep_snapshots`` and
    versions no kept snapshot links to. Call only while holding the lock."""
    st = state(out)
    if not st.is_dir():
        return
    for stage in st.glob("stage-*"):
        shutil.rmtree(stage, ignore_errors=True)
    snaps = sorted((p for p in (st / "snapshots").glob("*") if p.is_dir()),
                   key=lambda p: p.name) if (st / "snapshots").is_dir() else []
    cur = _current(out)
    kept = [p for p in snaps[-keep_snapshots:]] + ([cur] if cur else [])
    for snap in snaps:
        if snap not in kept:
            shutil.rmtree(snap, ignore_errors=True)
    used = {(s / e.name).resolve() for s in kept if s.is_dir() for e in s.iterdir()
            if e.is_symlink()}
    used |= {c.resolve() for c in Path(out).iterdir() if c.is_symlink()}   # adopted folders
    for version in (st / "versions").glob("*") if (st / "versions").is_dir() else []:
        if version.resolve() not in used:
            shutil.rmtree(version, ignore_errors=True)
