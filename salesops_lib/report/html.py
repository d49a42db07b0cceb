"""Executed notebook → report HTML: no code, no prompts, no stderr, nothing loaded from
another host (the page opens offline, from a file or an e-mail attachment).

House style of every page (:func:`to_html`):

* the browser ``<title>`` is the report's title and period ("Rep performance · 2026-Q3");
* a navigation bar on top links the index and the period's other reports;
* every image has alt text: the chart's title, which :func:`salesops_lib.viz.figure` records
  in the output's metadata, else the heading of the section it sits in.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from pathlib import Path

#: The nbconvert template folder shipped with the package.
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _heading(source: str) -> str | None:
    for line in source.splitlines():
        m = re.match(r"\s*#{1,6}\s+(.*\S)", line)
        if m:
            return m.group(1).strip()
    return None


def describe_images(nb) -> None:
    """Give every image output of ``nb`` alt text (in place): the chart title recorded by
    :func:`salesops_lib.viz.register_alt_text` when there is one, else "Chart: <the section's
    heading>"."""
    section = None
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            section = _heading(cell.get("source", "")) or section
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for mime in ("image/png", "image/jpeg", "image/svg+xml"):
                if mime not in data:
                    continue
                md = out.setdefault("metadata", {})
                meta = md.setdefault(mime, {})
                if not str(meta.get("alt") or "").strip():
                    meta["alt"] = f"Chart: {section}" if section else "Chart"


def to_html(nb, *, title: str | None = None, nav: list[tuple[str, str]] | None = None) -> str:
    """An executed notebook as report HTML: no code, no prompts, no stderr, nothing remote.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not modified).
    title : str, optional
        The page's ``<title>`` (e.g. "Rep performance · 2026-Q3"); default the notebook's H1.
    nav : list of (label, relative href) or (label, relative href, current), optional
        The navigation bar: the index first, then the period's other reports. A link with
        ``current`` says itself whether it is the page shown; otherwise the link whose label
        starts the title is marked as the current page.
    """
    nb = copy.deepcopy(nb)
    describe_images(nb)
    if title is None:
        first = next((c for c in nb.cells if c.get("cell_type") == "markdown"), None)
        title = (_heading(first.get("source", "")) if first is not None else None) or "Report"
    nb.metadata["title"] = title
    current = title.split(" · ")[0].strip().lower()
    links = [{"label": link[0], "href": link[1],
              "current": link[2] if len(link) > 2 else link[0].strip().lower() == current}
             for link in (nav or [])]
    with _LOCK:                 # one exporter, built once: its templates load only once
        body, _ = _exporter().from_notebook_node(nb, resources={"salesops_nav": links})
    return body


_LOCK = threading.Lock()


@functools.cache
def _exporter():
    """The process's one HTML exporter (used under :data:`_LOCK`: it is not thread-safe)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import Preprocessor

    class DropNoise(Preprocessor):
        """Remove stderr streams (warnings, logs) from outputs."""

        def preprocess_cell(self, cell, resources, index):
            if cell.get("cell_type") == "code":
                cell.outputs = [o for o in cell.get("outputs", [])
                                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            return cell, resources

    exporter = HTMLExporter(template_name="salesops",
                            extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.register_preprocessor(DropNoise(), enabled=True)
    return exporter
