"""What the report index says about each report: its title, the question it answers and its
headline number, read from the executed notebook."""

from __future__ import annotations

import html
import re

from ..viz import KPI_MARK


def _first_markdown(nb):
    return next((c for c in nb.cells if c.get("cell_type") == "markdown"), None)


def _kpis_from_html(text: str):
    """The first card of a ``data-salesops="kpis"`` block as (label, value), else None."""
    if 'data-salesops="kpis"' not in text:
        return None
    parts = re.findall(r"<div[^>]*>([^<]+)</div>", text.split('data-salesops="kpis"', 1)[1])
    return (html.unescape(parts[0]), html.unescape(parts[1])) if len(parts) >= 2 else None


def extract(nb) -> dict:
    """Title, question and headline number of an executed report notebook.

    * ``title``: the text of the first markdown cell's H1;
    * ``question``: the first non-empty line after it (the one-line subtitle);
    * ``headline``: the first card of the first :func:`salesops_lib.viz.kpis` output, as
      ``"label: value"``, or None when the notebook shows none (or did not get that far).

    Returns ``{"title": str | None, "question": str | None, "headline": str | None}``.
    """
    title = question = headline = None
    md = _first_markdown(nb)
    if md is not None:
        lines = [ln.strip() for ln in md.get("source", "").splitlines()]
        for i, ln in enumerate(lines):
            m = re.match(r"#\s+(.*\S)", ln)
            if m:
                title = m.group(1)
                question = next((x for x in lines[i + 1:] if x and not x.startswith("#")), None)
                break
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            meta = (out.get("metadata") or {}).get("text/html") or {}
            cards = meta.get(KPI_MARK) if isinstance(meta, dict) else None
            if cards:
                headline = f"{cards[0][0]}: {cards[0][1]}"
                break
            text = (out.get("data") or {}).get("text/html")
            found = _kpis_from_html("".join(text) if isinstance(text, list) else text or "")
            if found:
                headline = f"{found[0]}: {found[1]}"
                break
        if headline:
            break
    return {"title": title, "question": question, "headline": headline}
