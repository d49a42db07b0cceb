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

from . import __version__, config
from .data import Dataset
from .periods import Period
from .secrets import mask_params, mask_text

_STARTED = time.monotonic()


def as_of(ds: Dataset, period: str | Period) -> pd.Timestamp:
    """The date a period's report describes: the period's last day, or the data's as-of
    date when the period is still in progress."""
    p = Period.parse(period, ds.fiscal_start_month)
    return min(p.end, ds.as_of)


def git_commit() -> str:
    """Short commit hash of the workbench checkout, or ``"unknown"`` outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=config.ROOT,
                             capture_output=True, text=True, timeout=5, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=config.ROOT, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def health(ds: Dataset):
    """The data-health block: one line per warning found while loading (nothing if none)."""
    from IPython.display import HTML

    if not ds.health:
        return HTML("")
    items = "".join(f"<li>{html.escape(mask_text(str(n)))}</li>" for n in ds.health)
    return HTML('<div style="background:#FFF6E5;border-left:4px solid #B26A00;padding:8px 12px;'
                'margin:8px 0 14px 0;font-size:13px"><b>Data health.</b> The data loaded, with '
                f"these warnings:<ul style='margin:4px 0 0 0'>{items}</ul></div>")


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
    return HTML(line + health(ds).data)


def footer(ds: Dataset, **params):
    """The lineage footer: parameters (secrets masked), data fingerprint, versions, seeds,
    run time. Pass the notebook's parameters as keyword arguments."""
    from IPython.display import HTML

    shown = mask_params(params)
    param_txt = ", ".join(f"{k}={v!r}" for k, v in shown.items())
    seeds = {k: v for k, v in shown.items() if "seed" in k}
    if ds.seed is not None:
        seeds.setdefault("sample seed", ds.seed)
    rows = [
        ("As of", f"{ds.as_of:%Y-%m-%d}" + (f" (report date {as_of(ds, params['period']):%Y-%m-%d})"
                                            if "period" in params else "")),
        ("Parameters", param_txt or "defaults"),
        ("Data", f"{mask_text(ds.source)} · fingerprint {ds.fingerprint()} · "
                 + ", ".join(f"{t} {len(df):,}" for t, df in ds.tables.items())),
        ("Software", f"salesops_lib {__version__} · commit {git_commit()} · pandas {pd.__version__}"),
        ("Seeds", ", ".join(f"{k}={v}" for k, v in seeds.items()) or "none"),
        ("Run", f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}, "
                f"{time.monotonic() - _STARTED:,.1f} s since the library loaded"),
    ]
    body = "".join(f"<tr><td style='padding:2px 12px 2px 0;color:#666;vertical-align:top;"
                   f"text-align:left;background:none'>{html.escape(k)}</td><td style='padding:2px 0;"
                   f"text-align:left;background:none'>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return HTML('<div style="border-top:1px solid #CCC;margin-top:28px;padding-top:8px;'
                'font-size:11.5px;color:#333"><b>Lineage</b><table style="border:none">'
                f"{body}</table></div>")
