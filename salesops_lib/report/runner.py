"""The report runner behind ``salesops report``: notebooks in, leadership-ready HTML out.

For one period it

1. checks every input before anything is written: notebook names, ``-p`` values against the
   notebooks' declared parameters and ranges (:mod:`.params`), ``plan``/``calls`` files and
   ``team``/``rep``/``channel`` filters (:mod:`.checks`), the data set itself (loaded and
   validated once) and the period (default: the fiscal quarter holding the data's as-of date);
2. takes the reports folder's lock (one run at a time, :mod:`.publish`);
3. executes the notebooks with papermill in parallel, one kernel per core by default
   (:mod:`.kernels`), injecting ``period``, ``data`` (password masked; the real one travels in
   the environment), ``mapping`` and declared ``-p`` values; fan-out renders a page per team
   or rep from the notebooks that declare ``team`` / ``rep``. Every notebook reads the data set
   the runner already loaded (:mod:`salesops_lib.data.cache`) and keeps what it keeps in a
   staging area of its own (:mod:`salesops_lib.keep`);
4. masks secrets in each executed notebook and converts it to HTML (no code, nothing remote);
5. builds the new period version (manifest, run log, pages; a failed notebook keeps its last
   good page and leaves ``<name>.failed.ipynb``; a page that cannot be made for the period,
   such as a quarter too early to forecast, says why and is not a failure), publishes what
   successful notebooks kept, and switches the folder to the new snapshot and index in one
   atomic step.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from .. import __version__, config, keep
from ..data import DataSourceError, DataValidationError, load_dataset
from ..data import cache as dataset_cache
from ..data.mapping import presets
from ..periods import Period, PeriodError, period_containing
from ..secrets import PASSWORD_ENV, mask_text, mask_url, url_password
from . import checks, kernels, publish, render
from .checks import PATH_PARAMS, anchored_file, anchored_source
from .index import atomic_write, read_manifest, write_index
from .params import ParameterError, check, declared_by
from .publish import ReportBusyError

#: Statuses of a page that count as done: rendered, or not made for this period with the
#: reason on the page (:data:`.kernels.NOT_MADE`, such as a quarter too early to forecast).
DONE = ("ok", "not_made")

#: Fan-out kinds: the parameter a notebook declares to get one page per value.
FAN_OUT = {"team": "team", "rep": "rep"}


class ReportInputError(ValueError):
    """Bad input to the runner (unknown notebook, bad period, bad data, bad -p): exit code 2."""


@dataclass
class NotebookResult:
    """Outcome of one notebook: status ``ok``, ``not_made`` (``note`` says why) or ``failed``,
    timings, files, error, and the fan-out ``pages`` rendered from it."""

    name: str
    status: str
    seconds: float
    html: str | None = None
    ipynb: str | None = None
    error: str | None = None
    parameters: dict = field(default_factory=dict)
    title: str | None = None
    question: str | None = None
    headline: str | None = None
    pages: list = field(default_factory=list)
    note: str | None = None


@dataclass
class RunResult:
    """Outcome of one ``salesops report`` run."""

    period: str
    out: Path
    results: list[NotebookResult]
    manifest: Path

    @property
    def ok(self) -> bool:
        return all(r.status in DONE and all(p["status"] in DONE for p in r.pages)
                   for r in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


@dataclass
class _Job:
    """One page to render: a notebook, its parameters, where its files go."""

    id: str
    name: str
    src: Path
    inject: dict
    html: str                    # relative to the period folder
    label: str | None = None     # fan-out pages: the team or rep shown
    error: str | None = None
    note: str | None = None      # why the page is not made for this period (not a failure)
    seconds: float = 0.0
    executed: Path | None = None
    title: str = ""
    nav: list = field(default_factory=list)
    nb: object = None            # the executed notebook, secrets masked
    body: str | None = None      # its HTML


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
def available_notebooks(folder: Path | None = None) -> list[str]:
    """Report notebooks in ``folder``, in report order."""
    folder = Path(folder or config.NOTEBOOKS)
    names = sorted(p.stem for p in folder.glob("*.ipynb") if not p.stem.startswith("_"))
    order = {n: i for i, n in enumerate(config.REPORT_ORDER)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


def resolve_period(text: str | None, as_of, fiscal_start_month: int = 1) -> Period:
    """The period a run reports on.

    ``None`` or ``"current"``: the fiscal quarter holding ``as_of`` (the data's as-of date), so
    a scheduled run reports the quarter in progress; ``"previous"``: the quarter before it;
    anything else: a period label (``2026-Q3``, ``2026-09``, ``2026``).
    """
    word = (text or "current").strip().lower()
    current = period_containing(as_of, "quarter", fiscal_start_month)
    if word == "current":
        return current
    if word == "previous":
        return current.previous()
    return Period.parse(text, fiscal_start_month)


def default_jobs() -> int:
    """One kernel per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def slug(text: str) -> str:
    """A file-name-safe form of a team or rep name (letters of any script kept)."""
    s = re.sub(r"[^\w]+", "-", str(text).strip().lower(), flags=re.UNICODE).strip("-_")
    return (s or "unnamed")[:60]


def _fan_out_values(ds, kind: str) -> list[tuple[str, str, str]]:
    """``(value, label, slug)`` per page of a fan-out: teams by name, reps by id."""
    if kind == "team":
        teams = sorted(ds.reps["team"].dropna().astype(str).unique()) if "team" in ds.reps else []
        seen, out = set(), []
        for t in teams:
            s = slug(t)
            while s in seen:
                s += "-2"
            seen.add(s)
            out.append((t, t, s))
        return out
    # statements are filed by rep id as it is; only unsafe characters go, and names that a
    # case-blind file system (macOS, Windows, a zip opened there) would take for one another,
    # or Windows reserves (CON, NUL, COM1...), are told apart
    seen, out = set(), []
    for r in ds.reps.sort_values("rep_id").itertuples():
        s = re.sub(r"[^\w.-]+", "-", str(r.rep_id)).strip(".-") or "rep"
        s += "-rep" if s.split(".")[0].lower() in _RESERVED else ""
        name, k = s, 2
        while name.lower() in seen:
            name, k = f"{s}-{k}", k + 1
        seen.add(name.lower())
        out.append((str(r.rep_id), f"{r.rep_name} ({r.rep_id})", name))
    return out


#: File names Windows refuses, whatever their extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10))}


def _fail_input(msg: str, secrets) -> ReportInputError:
    return ReportInputError(mask_text(msg, secrets))


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------
def run_reports(period: str | None = None, data: str = "sample", notebooks=None,
                out: str | Path | None = None, params: dict | None = None,
                notebook_dir: str | Path | None = None, progress=None, *,
                mapping: str | None = None, jobs: int | None = None,
                per: list[str] | tuple[str, ...] = (), wait: float | None = None) -> RunResult:
    """Render the reports of one period. See the module docstring for the steps.

    Parameters
    ----------
    period : str, optional
        ``current`` (default: the quarter holding the data's as-of date), ``previous``, or a
        label ``2026-Q3`` / ``2026-09`` / ``2026``.
    data : str
        Data source as for :func:`salesops_lib.load_dataset`.
    notebooks : list of str, optional
        Notebook names (without ``.ipynb``); all report notebooks by default.
    out : path, optional
        Output root; ``reports/`` in the checkout by default.
    params : dict, optional
        ``-p`` values: only names some notebook declares, never a reserved one; strings are
        converted to each notebook's declared type.
    mapping : str, optional
        Mapping preset name or file, passed to ``load_dataset`` and injected as ``mapping``.
    jobs : int, optional
        Notebooks rendered at once (default: one per core).
    per : list of {"team", "rep"}
        Fan-out: a page per team / rep from each notebook declaring ``team`` / ``rep``.
    wait : float, optional
        Seconds to wait for another run holding the folder (negative: as long as it takes;
        None: fail at once with :class:`~.publish.ReportBusyError`).
    progress : callable, optional
        Called with one line of text per page (the CLI prints it).

    Raises
    ------
    ReportInputError
        Unknown notebook or fan-out, bad ``-p`` (type, range, a plan or calls file, a team,
        rep or channel the data lack), unreadable period, or data that cannot be loaded.
        Nothing is written.
    ReportBusyError
        Another run holds the reports folder.
    """
    progress = progress or (lambda line: None)
    nb_dir = Path(notebook_dir or config.NOTEBOOKS)
    out = Path(out or config.REPORTS).absolute()
    # the notebooks run in another folder: paths typed relative to here must still hold there
    data = anchored_source(data)
    mapping = mapping if mapping in presets() else anchored_file(mapping)
    params = {k: (anchored_file(v) if k.rpartition(".")[2] in PATH_PARAMS else v)
              for k, v in (params or {}).items()}
    secret = url_password(data)
    secrets = (secret,) if secret else ()
    known = available_notebooks(nb_dir)
    names = list(notebooks) if notebooks else known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ReportInputError(f"unknown notebook(s) {', '.join(unknown)}; "
                               f"available: {', '.join(known)}")
    paths = {n: nb_dir / f"{n}.ipynb" for n in names}
    declared = declared_by(paths)
    try:
        typed = check(dict(params or {}), declared)
        calls_frames = checks.check_files(typed)      # plan and calls files, before the data
    except ParameterError as exc:
        raise _fail_input(str(exc), secrets) from None
    per = [k.strip().lower() for k in per if k and k.strip()]
    for kind in per:
        if kind not in FAN_OUT:
            raise ReportInputError(f"--per {kind}: use --per team or --per rep")
        if FAN_OUT[kind] in (params or {}):
            raise ReportInputError(f"--per {kind} renders a page per {FAN_OUT[kind]}; drop "
                                   f"-p {FAN_OUT[kind]}=... (or --per {kind})")
        if not any(FAN_OUT[kind] in d for d in declared.values()):
            raise ReportInputError(f"--per {kind}: none of the selected notebooks declares a "
                                   f"{FAN_OUT[kind]!r} parameter")
    shown_data = mask_url(data)
    shown_mapping = mask_text(mapping or "", secrets)
    if wait is None:             # refused before the zygote starts or any data is read
        publish.RunLock.refuse_if_held(Path(out))
    # the kernels' imports happen in the zygote while the data loads here
    scratch = Path(tempfile.mkdtemp(prefix="salesops-run-"))
    try:
        base_env = kernels.kernel_env(scratch, jobs or default_jobs(), default_jobs(),
                                     len(names) if not per else None)
        zyg = kernels.start_zygote(list(paths.values()), base_env, scratch)
        try:
            return _checked_run(period, data, names, paths, declared, typed, per, out, mapping,
                                jobs, wait, progress, nb_dir, secret, secrets, shown_data,
                                shown_mapping, base_env, zyg, calls_frames)
        finally:
            if zyg is not None:
                zyg.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _checked_run(period, data, names, paths, declared, typed, per, out, mapping, jobs, wait,
                 progress, nb_dir, secret, secrets, shown_data, shown_mapping, base_env, zyg,
                 calls_frames=None):
    try:
        # a database too large for memory stays there, as it does in the notebooks
        ds = load_dataset(data, mapping=mapping or None, lazy="auto")
    except (DataValidationError, DataSourceError) as exc:
        raise _fail_input(str(exc), secrets) from None
    except (OSError, ValueError) as exc:           # e.g. an unreadable mapping file
        raise _fail_input(f"cannot load {shown_data}: {exc}", secrets) from None
    try:
        p = resolve_period(period, ds.as_of, ds.fiscal_start_month)
    except PeriodError as exc:
        raise ReportInputError(str(exc)) from None
    if p.start > ds.as_of:
        raise ReportInputError(f"period {p.label} starts after the data end "
                               f"(data as of {ds.as_of:%Y-%m-%d}); nothing to report")
    first = ds.first_created
    if len(ds.opportunities) and p.end < first:
        raise ReportInputError(f"period {p.label} ends before the data begin ({first:%Y-%m-%d})")
    try:                         # filters and callers name things the data must have
        checks.check_against_data(typed, declared, ds, calls_frames)
    except ParameterError as exc:
        raise _fail_input(str(exc), secrets) from None

    run_jobs = _plan(names, paths, declared, typed, per, ds, p, shown_data, shown_mapping)
    with publish.RunLock(out, wait=wait, progress=progress):
        return _run_locked(out, p, ds, run_jobs, names, shown_data, shown_mapping, mapping,
                           data, secret, secrets, nb_dir, jobs, progress, base_env, zyg)


def _plan(names, paths, declared, typed, per, ds, p, shown_data, shown_mapping) -> list[_Job]:
    plan = []
    statements_owner = None          # the first notebook declaring ``rep`` owns statements/
    for name in names:
        d = declared[name]
        base = {"period": p.label, "data": shown_data, "mapping": shown_mapping}
        base = {k: v for k, v in base.items() if k in d}
        base.update(typed[name])
        plan.append(_Job(name, name, paths[name], base, f"{name}.html"))
        for kind in per:
            pname = FAN_OUT[kind]
            if pname not in d:
                continue
            if kind == "rep" and statements_owner is None:
                statements_owner = name
            for value, label, s in _fan_out_values(ds, kind):
                html = (f"teams/{s}/{name}.html" if kind == "team" else
                        f"statements/{s}.html" if statements_owner == name else
                        f"statements/{name}/{s}.html")
                plan.append(_Job(f"{kind}:{name}:{s}", name, paths[name],
                                 {**base, pname: value}, html, label))
    return plan


def _run_locked(out, p, ds, run_jobs, names, shown_data, shown_mapping, mapping, data, secret,
                secrets, nb_dir, jobs, progress, base_env, zyg) -> RunResult:
    publish.sweep(out)
    run_id = publish.new_run_id()
    stage = publish.stage_dir(out, run_id)
    started = datetime.now(UTC)
    log_lines: list[str] = []
    logging.getLogger("papermill").setLevel(logging.WARNING)
    try:
        (stage / "cache").mkdir()
        (stage / "exec").mkdir()
        if not ds.is_lazy:                       # a lazy source is opened by each notebook
            dataset_cache.store(stage / "cache", ds, shown_data, mapping or None,
                                ds.fiscal_start_month)
        env = {**base_env,
               dataset_cache.CACHE_ENV: str(stage / "cache"),
               keep.REPORTS_ENV: str(out.resolve()),
               keep.DATA_ENV: shown_data}
        if secret:
            env[PASSWORD_ENV] = secret
        render.titles_and_nav(run_jobs, names, p)
        _execute_all(kernels.longest_first(run_jobs, out), stage, env, nb_dir, jobs, secrets,
                     progress, log_lines, zyg)
        version, previous = publish.new_version(out, p.label, run_id)
        results = _collect(run_jobs, names, version, p, secrets, ds)
        manifest = _manifest(p, ds, shown_data, shown_mapping, started, results, previous)
        atomic_write(version / "manifest.json",
                     mask_text(json.dumps(manifest, indent=2, default=str), secrets))
        for kernel_log in (stage / "kernel.log", getattr(zyg, "log_path", None)):
            chatter = (kernel_log.read_text(encoding="utf-8", errors="replace").strip()
                       if kernel_log is not None and kernel_log.exists() else "")
            if chatter:
                log_lines += ["", "kernel output:", chatter]
        atomic_write(version / "run.log", mask_text("\n".join(log_lines) + "\n", secrets))
        # what successful notebooks kept, then everything else in one switch
        for job in run_jobs:
            if job.error is None and job.note is None:
                keep.publish(stage / "keep" / _safe(job.id), out)
        publish.switch(out, run_id, {p.label: version}, write_index)
        publish.sweep(out)
    except BaseException:
        kernels.kill_all()
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return RunResult(p.label, out, results, out / p.label / "manifest.json")


def _safe(job_id: str) -> str:
    return re.sub(r"[^\w.-]+", "_", job_id)


def _execute_all(run_jobs, stage, env, nb_dir, jobs, secrets, progress, log_lines,
                 zyg=None) -> None:
    workers = max(1, min(jobs or default_jobs(), len(run_jobs)))
    done = [0]

    def one(job: _Job) -> _Job:
        keep_dir = stage / "keep" / _safe(job.id)
        keep_dir.mkdir(parents=True, exist_ok=True)
        job.executed = stage / "exec" / f"{_safe(job.id)}.ipynb"
        t0 = time.monotonic()
        exc = kernels.execute(job.src, job.executed, job.inject,
                              {**env, keep.KEEP_ENV: str(keep_dir)}, nb_dir, zyg)
        job.seconds = round(time.monotonic() - t0, 2)
        reason = None if exc is None else kernels.not_made(exc)
        job.note = mask_text(reason, secrets) if reason else None
        job.error = (None if exc is None or reason else
                     mask_text(kernels.short_error(exc), secrets))
        render.render(job, secrets)   # while the other kernels keep running
        done[0] += 1
        what = job.name + (f" [{job.label}]" if job.label else "")
        state = "failed" if job.error else "not made" if job.note else "ok"
        why = job.error or job.note
        line = (f"[{done[0]}/{len(run_jobs)}] {what}: {state} in {job.seconds:.1f} s"
                + (f" — {why.splitlines()[0][:200]}" if why else ""))
        log_lines.append(mask_text(line, secrets))
        progress(mask_text(line, secrets))
        return job

    # the HTML exporter's first use is slow (template and filters load): warm it meanwhile
    warm = ThreadPoolExecutor(max_workers=1)
    warm.submit(render.warm_exporter)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="salesops-nb")
    try:
        with kernels.KernelStderr(stage / "kernel.log"):
            futures = [pool.submit(one, job) for job in run_jobs]
            for f in futures:
                f.result()
    except BaseException:
        kernels.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        warm.shutdown(wait=True)
    pool.shutdown(wait=True)


def _collect(run_jobs, names, version: Path, p: Period, secrets, ds) -> list[NotebookResult]:
    """Write each job's HTML and executed notebook into the period version."""
    results: dict[str, NotebookResult] = {}
    for job in run_jobs:
        nb = job.nb
        ipynb_rel = job.html[:-5] + ".ipynb"
        failed_rel = job.html[:-5] + ".failed.ipynb"
        error = job.error
        if error is None:
            atomic_write(version / ipynb_rel, nbformat.writes(nb))
            atomic_write(version / job.html, job.body)
            (version / failed_rel).unlink(missing_ok=True)
        elif nb is not None:
            atomic_write(version / failed_rel, nbformat.writes(nb))
        status = "failed" if error is not None else "not_made" if job.note else "ok"
        job.error = error            # what it kept is published only if the page rendered
        shown = {k: mask_text(v, secrets) if isinstance(v, str) else v
                 for k, v in job.inject.items()}
        html = job.html if (version / job.html).exists() else None
        if job.label is None:
            head = render.headline(nb) if (nb is not None and status in DONE) else {
                "title": job.title.split(" · ")[0], "question": None, "headline": None}
            results[job.name] = NotebookResult(
                job.name, status, job.seconds, html,
                ipynb_rel if status in DONE else (failed_rel if nb is not None else None),
                error, shown, head["title"], head["question"], head["headline"], note=job.note)
        else:
            results[job.name].pages.append({"label": job.label, "html": html, "status": status,
                                            "error": error, "note": job.note,
                                            "seconds": job.seconds})
    return [results[n] for n in names]


def _manifest(p: Period, ds, shown_data, shown_mapping, started, results, previous) -> dict:
    status = "ok" if all(r.status in DONE and all(pg["status"] in DONE for pg in r.pages)
                         for r in results) else "failed"
    manifest = {
        "period": p.label,
        "period_start": f"{p.start:%Y-%m-%d}", "period_end": f"{p.end:%Y-%m-%d}",
        "period_state": "open" if ds.as_of < p.end else "closed",
        "data": shown_data,
        "mapping": shown_mapping,
        "data_fingerprint": ds.fingerprint(),
        "data_as_of": f"{ds.as_of:%Y-%m-%d}",
        "library_version": __version__,
        "git_commit": _git_commit(),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": status,
        "notebooks": [r.__dict__ for r in results],
    }
    old = read_manifest(previous / "manifest.json") if previous is not None else None
    if old:   # notebooks not run this time keep their last entry
        ran = {r.name for r in results}
        manifest["notebooks"] += [e for e in old.get("notebooks", []) if e["name"] not in ran]
    return manifest


def _git_commit() -> str:
    from .lineage import git_commit

    return git_commit()


__all__ = ["NotebookResult", "ReportBusyError", "ReportInputError", "RunResult",
           "available_notebooks", "default_jobs", "resolve_period", "run_reports"]
