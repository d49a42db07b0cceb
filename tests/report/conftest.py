"""Renders shared by the report tests.

A render of the report set is the slow part of these tests, so each one that tests only
*read* is made once per session here: the seven reports on the sample (``full_run``), and two
probe notebooks in parallel kernels (``parallel_probes``). A test that changes what it renders
(a notebook, the data, the folder) keeps a render of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from ..conftest import tiny_org, write_csvs, write_notebook

#: Parameters of the probe notebooks (the runner sets both).
PROBE_PARAMS = 'period: str = "2026-Q3"  # period\ndata: str = "sample"  # data'


#: ``-p`` of the renders whose tests check pages, not forecast quality: the forecast replays
#: one past quarter instead of three (the replays are most of its time: 41 s instead of 156 s
#: for the forecast of 2026-Q3 on the sample, measured on the loaded 2-core machine). Every
#: notebook's defaults still run under nbval (``notebooks/``), the forecast's accuracy is
#: tested in ``tests/forecast``, and sales_strategy keeps its own ``periods_back``.
LIGHT = {"forecast.periods_back": "1"}


@pytest.fixture(scope="session")
def full_run(tmp_path_factory):
    """Every report notebook rendered once through the real runner, on the sample (with
    :data:`LIGHT`); shared by every test that reads the pages."""
    out = tmp_path_factory.mktemp("reports")
    from salesops_lib.report import run_reports

    result = run_reports(out=out, period="2026-Q3", params=LIGHT)
    return result, out


def code_outputs(path: Path) -> list:
    """Every output of the code cells of the executed notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def printed(outputs: list, marker: str, n: int) -> list[str]:
    """The ``n`` words printed after the first ``marker`` in a notebook's ``outputs``."""
    text = "".join(o.get("text", "") for o in outputs)
    return text[text.index(marker):].split()[1:n + 1]


@dataclass(frozen=True)
class ProbeRun:
    """Two copies (``one``, ``two``) of a probe notebook run at once (``jobs=2``)."""

    result: object          # the RunResult
    notebooks: Path         # the folder the probes were read from
    out: Path               # the reports folder; pages in ``out / "2026-Q2"``
    runner_cwd: tuple = ("", "")    # the test process's working folder before and after

    def outputs(self, name: str) -> list:
        return code_outputs(self.out / "2026-Q2" / f"{name}.ipynb")


#: What each probe prints: its time span around a 3-second sleep (two kernels at once must
#: overlap), then its process, parent, keep folder, working folder and a random draw (each
#: kernel its own), then an inline figure.
PROBE = ("import os, time\nimport numpy as np, matplotlib.pyplot as plt\n"
         "t0 = time.time()\ntime.sleep(3)\n"
         "print('span', t0, time.time(), os.getpid())\n"
         "print('probe', os.getpid(), os.getppid(), os.environ['SALESOPS_KEEP_DIR'], "
         "os.getcwd(), np.random.rand())\nplt.plot([1, 2]); plt.title('t');")


@pytest.fixture(scope="session")
def parallel_probes(tmp_path_factory) -> ProbeRun:
    """:data:`PROBE` in two notebooks, run by the real runner with two kernels on the tiny
    org (``tests/conftest.py`` :func:`tiny_org`) for 2026-Q2."""
    from salesops_lib.report import run_reports

    root = tmp_path_factory.mktemp("probes")
    nbs = root / "nbs"
    for name in ("one", "two"):
        write_notebook(nbs / f"{name}.ipynb", PROBE, params=PROBE_PARAMS)
    data = write_csvs(root / "crm", tiny_org())
    before = os.getcwd()
    res = run_reports(out=root / "out", notebook_dir=nbs, data=str(data), period="2026-Q2",
                      jobs=2)
    return ProbeRun(res, nbs, root / "out", (before, os.getcwd()))


#: Sections that are sentences by design, or by a parameter the default run leaves empty
#: (``rep`` for the pay statement, ``calls`` for submitted commits).
TEXT_SECTIONS = {("executive_summary", "what the numbers say"),
                 ("forecast", "the forecast against the result"),
                 ("forecast", "commits kept as submitted"),
                 ("quotas_compensation", "pay statement")}


def sections_shown(folder: Path) -> dict:
    """``(report, section)`` → True when that ``##`` section (heading in lower case) of the
    rendered page in ``folder`` shows a chart, a table or key-number cards; the lineage footer
    is not counted."""
    import html
    import re

    shown = {}
    for page in folder.glob("*.html"):
        for part in re.split(r"<h2[^>]*>", page.read_text())[1:]:
            head, _, body = part.partition("</h2>")
            title = html.unescape(re.sub("<[^>]+>", "", head)).replace("¶", "").strip().lower()
            body = body.split("<summary><b>Lineage")[0]
            shown[(page.stem, title)] = ("<img" in body or "<table" in body
                                         or 'data-salesops="kpis"' in body)
    return shown


def lowercase_headers(folder: Path) -> dict:
    """Table column headings of the rendered pages in ``folder`` that start with a lower-case
    letter, per page ("final result" beside "Forecast" read as a slip); empty when none."""
    import html
    import re

    out = {}
    for page in folder.glob("*.html"):
        heads = {html.unescape(re.sub("<[^>]+>", "", m)).strip()
                 for m in re.findall(r"<th[^>]*>(.*?)</th>", page.read_text(), re.DOTALL)}
        low = sorted(h for h in heads if h[:1].islower())
        if low:
            out[page.stem] = low
    return out


def capability_mismatches(ds, folder: Path, period: str) -> list:
    """Sections where ``salesops validate`` (:func:`capabilities`) and the rendered pages
    disagree: said available but shows only a sentence, or said missing but shows a chart or
    table. Rows that are not a page heading (finer rows) and :data:`TEXT_SECTIONS` are skipped."""
    from salesops_lib.data import capabilities

    shown = sections_shown(folder)
    out = []
    for _, row in capabilities(ds, period).iterrows():
        key = (row["report"], row["section"])
        if key in shown and key not in TEXT_SECTIONS and shown[key] != row["available"]:
            out.append((*key, "said available" if row["available"] else "said missing"))
    return out
