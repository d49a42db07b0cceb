"""One page of a run: its title and navigation bar, and the executed notebook masked and
converted to HTML (in the worker thread, while the other kernels keep running)."""

from __future__ import annotations

import threading

import nbformat

from ..periods import Period
from ..secrets import mask_text
from .html import to_html

_HTML_LOCK = threading.Lock()


def warm_exporter() -> None:
    try:
        to_html(nbformat.v4.new_notebook())
    except Exception:  # noqa: BLE001, S110 - warming only; the real conversion reports errors
        pass


def _title(nb) -> tuple[str | None, str | None]:
    """The H1 of the notebook's first markdown cell and the line under it."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines = [ln.strip() for ln in cell.source.splitlines() if ln.strip()]
            if lines and lines[0].startswith("# "):
                return lines[0][2:].strip(), (lines[1] if len(lines) > 1 else None)
            return None, None
    return None, None


def headline(nb) -> dict:
    title, question = _title(nb)
    info = {"title": title, "question": question, "headline": None}
    try:
        from .headline import extract  # the pages' KPI reader, when present
    except ImportError:
        return info
    try:
        got = extract(nb)
    except Exception:  # noqa: BLE001 - a headline is a nicety, never a failure
        return info
    return {k: got.get(k, info[k]) for k in info}


def titles_and_nav(run_jobs, names, p: Period) -> None:
    """Each page's title and navigation bar (the index, then the period's other reports).

    A company page links to every report of the period, itself marked. A team page links
    first to that team's other pages, itself marked, then to the company's page of its own
    report ("<report>: whole company"); a rep's statement marks nothing and links to the
    company's pages, its own report's as "<report>: whole company". So no link marked as the
    current page leads to another one."""
    titles = {}
    for job in run_jobs:
        if job.label is None:
            titles[job.name] = _title(nbformat.read(job.src, as_version=4))[0] or \
                job.name.replace("_", " ").capitalize()
    pages = {job.html for job in run_jobs}
    for job in run_jobs:
        up = "../" * job.html.count("/")
        job.title = f"{titles[job.name]} · {p.label}" + (f" · {job.label}" if job.label else "")
        nav = [("All reports", f"{up}../index.html")]
        if job.label is None:
            nav += [(titles[n], f"{n}.html", n == job.name) for n in names]
        elif job.html.startswith("teams/"):
            folder = job.html.rsplit("/", 1)[0]
            nav += [(f"{titles[n]} · {job.label}", f"{n}.html", n == job.name) for n in names
                    if f"{folder}/{n}.html" in pages]
            nav.append((f"{titles[job.name]}: whole company", f"{up}{job.name}.html", False))
        else:
            nav += [(f"{titles[n]}: whole company" if n == job.name else titles[n],
                     f"{up}{n}.html", False) for n in names]
        job.nav = nav


#: Tag papermill puts on the banner cells it adds above and at a failing cell.
_PAPERMILL_TAG = "papermill-error-cell-tag"


def not_made_page(nb, reason: str):
    """The page of a notebook that stopped because it cannot be made for this period
    (:data:`.kernels.NOT_MADE`): its title, the outputs of the cells that ran (the data and
    period header), then the reason where the page stopped. The narrative of the sections that
    could not run is left out, and so are papermill's error banners."""
    from ..viz import callout

    cells = [c for c in nb.cells if _PAPERMILL_TAG not in c.metadata.get("tags", [])]
    stop = next((i for i, c in enumerate(cells)
                 if any(o.get("output_type") == "error" for o in c.get("outputs", []))),
                len(cells))
    title = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), None)
    kept = [c for i, c in enumerate(cells[:stop]) if c.cell_type == "code" or i == title]
    text = (reason.rstrip(".") + ". The rest of this page is built on that, so it is not "
            "shown; the other reports of the period are not affected.")
    note = nbformat.v4.new_code_cell(source="", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": callout(text, "warn").data, "text/plain": text})])
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    out.cells = [*kept, note]
    return out


def render(job, secrets) -> None:
    """Mask the executed notebook and convert it to HTML (one conversion at a time: nbconvert's
    template machinery is shared). A page that cannot be made for the period (``job.note``
    holds why) becomes :func:`not_made_page`."""
    if job.executed is None or not job.executed.exists():
        if job.error is None:
            job.error = "the notebook produced no output"
        return
    job.nb = nbformat.reads(mask_text(job.executed.read_text(encoding="utf-8"), secrets),
                            as_version=4)
    if job.error is not None:
        return
    if getattr(job, "note", None):
        job.nb = not_made_page(job.nb, job.note)
    try:
        with _HTML_LOCK:
            job.body = mask_text(to_html(job.nb, title=job.title, nav=job.nav), secrets)
    except Exception as exc:  # noqa: BLE001 - a conversion failure fails this page only
        job.error = mask_text(f"HTML conversion failed: {exc}", secrets)
