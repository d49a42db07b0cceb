"""The report runner behind ``salesops report``: notebooks in, leadership-ready HTML out.

For one period it

1. checks the inputs first (period, notebook names, the data set itself), so bad input stops
   the run with nothing written;
2. executes each notebook with papermill in a staging folder, injecting ``period``, ``data``
   (password masked; the real one travels in the environment) and any other parameter the
   notebook declares;
3. masks secrets in the executed notebook, converts it to HTML without code, prompts,
   stderr or anything fetched from another host;
4. moves each good result into ``<out>/<period>/`` atomically; a failed notebook keeps the last
   good HTML and leaves ``<name>.failed.ipynb`` with the error beside it;
5. writes ``manifest.json`` and ``run.log`` for the period and re-renders ``<out>/index.html``
   over every period present.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from .. import __version__, config
from ..data import DataSourceError, DataValidationError, load_dataset
from ..periods import Period, PeriodError
from ..secrets import PASSWORD_ENV, mask_text, mask_url, url_password
from .html import to_html
from .index import atomic_write, read_manifest, write_index


class ReportInputError(ValueError):
    """Bad input to the runner (unknown notebook, bad period, bad data): exit code 2."""


@dataclass
class NotebookResult:
    """Outcome of one notebook: status ``ok`` or ``failed``, timings, files, error."""

    name: str
    status: str
    seconds: float
    html: str | None = None
    ipynb: str | None = None
    error: str | None = None
    parameters: dict = field(default_factory=dict)


@dataclass
class RunResult:
    """Outcome of one ``salesops report`` run."""

    period: str
    out: Path
    results: list[NotebookResult]
    manifest: Path

    @property
    def ok(self) -> bool:
        return all(r.status == "ok" for r in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
def available_notebooks(folder: Path | None = None) -> list[str]:
    """Report notebooks in ``folder``, in report order."""
    folder = Path(folder or config.NOTEBOOKS)
    names = sorted(p.stem for p in folder.glob("*.ipynb") if not p.stem.startswith("_"))
    order = {n: i for i, n in enumerate(config.REPORT_ORDER)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


def _coerce_param(value: str, type_name: str):
    t = (type_name or "").lower()
    if t in ("int",):
        return int(value)
    if t in ("float",):
        return float(value)
    if t in ("bool",):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return value


def _notebook_params(path: Path) -> dict:
    import papermill as pm

    return pm.inspect_notebook(str(path))


def _mask_notebook(nb, secrets: tuple[str, ...]):
    """Mask secrets in every cell source, output and in the metadata (papermill keeps its own
    copy of the parameters there)."""
    text = nbformat.writes(nb)
    masked = mask_text(text, secrets)
    return nb if masked == text else nbformat.reads(masked, as_version=4)


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------
def run_reports(period: str | None = None, data: str = "sample", notebooks=None,
                out: str | Path | None = None, params: dict | None = None,
                notebook_dir: str | Path | None = None, progress=None) -> RunResult:
    """Render the reports of one period. See the module docstring for the steps.

    Parameters
    ----------
    period : str, optional
        ``2026-Q3``, ``2026-09`` or ``2026``; defaults to :data:`config.DEFAULT_PERIOD`.
    data : str
        Data source as for :func:`salesops_lib.load_dataset`.
    notebooks : list of str, optional
        Notebook names (without ``.ipynb``); all report notebooks by default.
    out : path, optional
        Output root; ``reports/`` in the checkout by default.
    params : dict, optional
        Extra parameters (strings are converted to each notebook's declared type); only
        injected into notebooks that declare them.
    progress : callable, optional
        Called with one line of text per notebook (the CLI prints it).

    Raises
    ------
    ReportInputError
        Unknown notebook, unreadable period, or data that cannot be loaded. Nothing is written.
    """
    progress = progress or (lambda line: None)
    nb_dir = Path(notebook_dir or config.NOTEBOOKS)
    out = Path(out or config.REPORTS)
    params = dict(params or {})
    try:
        p = Period.parse(period or config.DEFAULT_PERIOD)
    except PeriodError as exc:
        raise ReportInputError(str(exc)) from None
    names = list(notebooks) if notebooks else available_notebooks(nb_dir)
    known = available_notebooks(nb_dir)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ReportInputError(f"unknown notebook(s) {', '.join(unknown)}; "
                               f"available: {', '.join(known)}")
    shown_data = mask_url(data)
    secret = url_password(data)
    secrets = (secret,) if secret else ()
    try:
        ds = load_dataset(data)
    except (DataValidationError, DataSourceError) as exc:
        raise ReportInputError(mask_text(str(exc), secrets)) from None
    if p.start > ds.as_of:
        raise ReportInputError(f"period {p.label} starts after the data end "
                               f"(data as of {ds.as_of:%Y-%m-%d}); nothing to report")
    first = ds.opportunities["created_date"].min()
    if len(ds.opportunities) and p.end < first:
        raise ReportInputError(f"period {p.label} ends before the data begin ({first:%Y-%m-%d})")

    period_dir = out / p.label
    stage = Path(tempfile.mkdtemp(prefix=f".staging-{p.label}-", dir=_ensure(out)))
    started = datetime.now(UTC)
    log_lines: list[str] = []
    results: list[NotebookResult] = []
    env_backup = {k: os.environ.get(k) for k in (PASSWORD_ENV, "PYTHONWARNINGS", "MPLBACKEND")}
    if secret:
        os.environ[PASSWORD_ENV] = secret
    # the kernels inherit this environment: no warnings in reports, figures embedded inline
    os.environ["PYTHONWARNINGS"] = "ignore"
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    logging.getLogger("papermill").setLevel(logging.WARNING)
    # notebooks that keep a record across runs (the forecast ledger) write into a staged copy
    # of the reports root; the copy is published only when the notebook succeeds
    from ..forecast.ledger import FILENAME as LEDGER

    keep = stage / "keep"
    keep.mkdir()
    try:
        for i, name in enumerate(names, 1):
            _sync(out / LEDGER, keep / LEDGER)
            res = _run_one(name, nb_dir, stage, period_dir, p, shown_data, keep, params, secrets)
            if res.status == "ok":
                _sync(keep / LEDGER, out / LEDGER)
            if "reports_dir" in res.parameters:      # where the record lives, not the staging copy
                res.parameters["reports_dir"] = str(out.resolve())
            results.append(res)
            line = (f"[{i}/{len(names)}] {name}: {res.status} in {res.seconds:.1f} s"
                    + (f" — {res.error.splitlines()[0][:200]}" if res.error else ""))
            log_lines.append(line)
            progress(line)
        kernel_log = stage / "kernel.log"
        if kernel_log.exists():
            chatter = kernel_log.read_text(encoding="utf-8", errors="replace").strip()
            if chatter:
                log_lines += ["", "kernel output:", chatter]
    finally:
        for k, v in env_backup.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(stage, ignore_errors=True)

    manifest = {
        "period": p.label,
        "period_start": f"{p.start:%Y-%m-%d}", "period_end": f"{p.end:%Y-%m-%d}",
        "data": shown_data,
        "data_fingerprint": ds.fingerprint(),
        "data_as_of": f"{ds.as_of:%Y-%m-%d}",
        "library_version": __version__,
        "git_commit": _git_commit(),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "ok" if all(r.status == "ok" for r in results) else "failed",
        "notebooks": [r.__dict__ for r in results],
    }
    previous = read_manifest(period_dir / "manifest.json")
    if previous:   # notebooks not run this time keep their last entry
        ran = {r.name for r in results}
        manifest["notebooks"] += [e for e in previous.get("notebooks", []) if e["name"] not in ran]
    text = mask_text(json.dumps(manifest, indent=2, default=str), secrets)
    atomic_write(period_dir / "manifest.json", text)
    atomic_write(period_dir / "run.log", mask_text("\n".join(log_lines) + "\n", secrets))
    write_index(out)
    return RunResult(p.label, out, results, period_dir / "manifest.json")


def _sync(src: Path, dst: Path) -> None:
    """Make ``dst`` an exact copy of ``src`` (atomically), or remove it if ``src`` is absent."""
    if not src.exists():
        dst.unlink(missing_ok=True)
        return
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dst)


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _git_commit() -> str:
    from .lineage import git_commit

    return git_commit()


def _run_one(name, nb_dir, stage, period_dir, p, shown_data, keep, params, secrets) -> NotebookResult:
    import papermill as pm

    src = nb_dir / f"{name}.ipynb"
    declared = _notebook_params(src)
    inject = {"period": p.label, "data": shown_data, "reports_dir": str(keep.resolve())}
    inject.update(params)
    inject = {k: (_coerce_param(v, declared[k].get("inferred_type_name", "")) if isinstance(v, str)
                  else v) for k, v in inject.items() if k in declared}
    executed = stage / f"{name}.ipynb"
    t0 = time.monotonic()
    error = None
    try:
        with _KernelStderr(stage / "kernel.log"):
            pm.execute_notebook(str(src), str(executed), parameters=inject, progress_bar=False,
                                log_output=False, report_mode=False, cwd=str(nb_dir),
                                kernel_name="python3")
    except Exception as exc:  # noqa: BLE001 - any notebook failure is isolated and reported
        error = mask_text(_short_error(exc), secrets)
    seconds = time.monotonic() - t0
    shown_params = {k: mask_text(v, secrets) if isinstance(v, str) else v for k, v in inject.items()}
    period_dir.mkdir(parents=True, exist_ok=True)
    if executed.exists():
        nb = _mask_notebook(nbformat.read(executed, as_version=4), secrets)
    else:
        nb = None
    if error is None and nb is not None:
        try:
            body = mask_text(to_html(nb), secrets)
        except Exception as exc:  # noqa: BLE001
            error = mask_text(f"HTML conversion failed: {exc}", secrets)
        else:
            atomic_write(period_dir / f"{name}.ipynb", nbformat.writes(nb))
            atomic_write(period_dir / f"{name}.html", body)
            stale = period_dir / f"{name}.failed.ipynb"
            stale.unlink(missing_ok=True)
            return NotebookResult(name, "ok", round(seconds, 2), f"{name}.html", f"{name}.ipynb",
                                  None, shown_params)
    if nb is not None:
        atomic_write(period_dir / f"{name}.failed.ipynb", nbformat.writes(nb))
    last_good = period_dir / f"{name}.html"
    return NotebookResult(name, "failed", round(seconds, 2),
                          f"{name}.html" if last_good.exists() else None,
                          f"{name}.failed.ipynb" if nb is not None else None, error, shown_params)


class _KernelStderr:
    """Send file descriptor 2 (where kernel processes write their start-up chatter) to a file
    while a notebook runs, so the scheduler's output stays one progress line per notebook;
    the captured text goes to ``run.log``."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        sys.stderr.flush()
        self._saved = os.dup(2)
        self._fh = open(self.path, "ab")
        os.dup2(self._fh.fileno(), 2)
        return self

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._fh.close()
        return False


def _short_error(exc: Exception) -> str:
    # papermill's PapermillExecutionError carries the kernel's exception name and value
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"
    return f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------------------------
# index
# --------------------------------------------------------------------------------------------