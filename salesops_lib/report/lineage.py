"""Where a report's numbers come from: the header line, the data-health block and the footer.

Every report opens with :func:`header` (period, as-of date, data source, and a data-health
block when the data raised warnings) and ends with :func:`footer` (as-of date, parameters with
secrets masked, data fingerprint, library version and git commit, seeds, run time), so a
reader can always tell what a number was computed from.
"""

from __future__ import annotations

import html
import subprocess
import time
from datetime import UTC, datetime

import pandas as pd

from .. import __version__, config
from ..data import Dataset
from ..measures import report_date
from ..periods import Period
from ..secrets import mask_params, mask_text

_STARTED = time.monotonic()


def as_of(ds: Dataset, period: str | Period) -> pd.Timestamp:
    """The one "as of" date of a report on ``period``: :func:`salesops_lib.measures.report_date`."""
    return report_date(ds, period)


def git_commit() -> str:
    """Short commit hash of the workbench checkout, or ``"unknown"`` outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=config.ROOT,
                             capture_output=True, text=True, timeout=5, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=config.ROOT, capture_output=True, text=True, timeout=5,
                               check=False)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def health(ds: Dataset, day=None):
    """The data-health block: one line per warning found while loading (nothing if none).

    The warnings describe the data as loaded, on their as-of date; on a page whose report date
    ``day`` is earlier (a period that is over), the block says so, or "44 open deals have a
    close date before 2026-11-15" would read as a fact about 31 Dec 2025."""
    from IPython.display import HTML

    if not ds.health:
        return HTML("")
    items = "".join(f"<li>{html.escape(mask_text(str(n)))}</li>" for n in ds.health)
    when = ""
    if day is not None and pd.Timestamp(day).normalize() < pd.Timestamp(ds.as_of).normalize():
        when = (f" They describe the data as of {pd.Timestamp(ds.as_of):%d %b %Y}, not this "
                f"page's {pd.Timestamp(day):%d %b %Y}.")
    return HTML('<div style="background:#FFF6E5;border-left:4px solid #B26A00;padding:8px 12px;'
                'margin:8px 0 14px 0;font-size:13px"><b>Data health.</b> The data loaded, with '
                f"these warnings.{when}<ul style='margin:4px 0 0 0'>{items}</ul></div>")


def header(ds: Dataset, period: str | Period):
    """Period, as-of date and source under the title, then the data-health block."""
    from IPython.display import HTML

    p = Period.parse(period, ds.fiscal_start_month)
    d = as_of(ds, p)
    status = "complete" if d >= p.end else f"in progress, {(d - p.start).days + 1} of {p.days} days"
    line = (f'<div style="color:#444;font-size:14px;margin:-4px 0 10px 0">'
            f"<b>Period {html.escape(p.label)}</b> ({p.start:%d %b %Y} – {p.end:%d %b %Y}, "
            f"{html.escape(status)}) · <b>as of {d:%d %b %Y}</b> · data: "
            f"{html.escape(mask_text(ds.source))}</div>")
    return HTML(line + health(ds, d).data)


def _literal_assignments(source: str) -> list[str] | None:
    """Names assigned in ``source`` if it holds nothing but assignments of literal values
    (a papermill parameters cell or its injected-parameters cell), else None."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names = []
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        value = getattr(node, "value", None)
        if not isinstance(target, ast.Name) or value is None:
            return None
        try:
            ast.literal_eval(value)
        except ValueError:
            return None
        names.append(target.id)
    return names or None


def notebook_parameters() -> dict:
    """The running notebook's parameters and their current values.

    Read from the kernel's input history: the first cells made only of literal assignments
    are the ``parameters`` cell and (under papermill) the injected parameters after it; the
    values are those in the notebook's namespace now, so an injected override shows, not the
    default. Empty outside IPython.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the kernel
        return {}
    ip = get_ipython()
    if ip is None:
        return {}
    names: list[str] = []
    for source in ip.user_ns.get("In", [])[1:]:
        found = _literal_assignments(source)
        if found is None:
            if names:
                break
            continue
        names += [n for n in found if n not in names]
    return {n: ip.user_ns[n] for n in names if n in ip.user_ns}


def footer(ds: Dataset, scope: Dataset | None = None, **params):
    """The lineage footer, folded under "Lineage" (a reader opens it on demand): parameters
    (secrets masked), data fingerprint, versions, seeds, run time. The parameters are the
    notebook's own (:func:`notebook_parameters`), updated with any keyword arguments.
    ``ds`` is the source as loaded (its fingerprint is every page's of the run); ``scope``,
    when the page works on part of it (territory design: one role's reps), adds a row
    counting that part."""
    from IPython.display import HTML

    params = {**notebook_parameters(), **params}
    shown = mask_params(params)
    param_txt = ", ".join(f"{k}={v!r}" for k, v in shown.items())
    seeds = {k: v for k, v in shown.items() if "seed" in k}
    if ds.seed is not None:
        seeds.setdefault("sample seed", ds.seed)
    rows = [
        ("As of", (f"{as_of(ds, params['period']):%d %b %Y}, the report date (data extracted "
                   f"{ds.as_of:%d %b %Y})") if "period" in params else f"{ds.as_of:%d %b %Y}"),
        ("Parameters", param_txt or "defaults"),
        ("Data", f"{mask_text(ds.source)} · fingerprint {ds.fingerprint()} · "
                 + ", ".join(f"{t} {n:,}" for t, n in ds.summary().itertuples(index=False))),
        *([("Scope", "this page's part of the data: " + ", ".join(
            f"{t} {n:,}" for t, n in scope.summary().itertuples(index=False) if t in (
                "accounts", "reps", "opportunities")))] if scope is not None else []),
        ("Software", f"salesops_lib {__version__} · commit {git_commit()} · pandas {pd.__version__}"),
        ("Seeds", ", ".join(f"{k}={v}" for k, v in seeds.items()) or "none"),
        ("Run", (f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}, "
                 f"{time.monotonic() - _STARTED:,.1f} s since the library loaded")),
    ]
    body = "".join(f"<tr><td style='padding:2px 12px 2px 0;color:#666;vertical-align:top;"
                   f"text-align:left;background:none'>{html.escape(k)}</td><td style='padding:2px 0;"
                   f"text-align:left;background:none'>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    # folded: parameter names and table names are for the analyst re-running the page
    return HTML('<details style="border-top:1px solid #CCC;margin-top:28px;padding-top:8px;'
                'font-size:11.5px;color:#333"><summary><b>Lineage</b>: how this page was '
                'made (for the analyst who re-runs it)</summary><table style="border:none">'
                f"{body}</table></details>")
