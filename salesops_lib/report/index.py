"""The reports index: ``<reports>/index.html`` over every period folder with a manifest,
and the atomic file writes every report output goes through."""

from __future__ import annotations

import html
import json
import os
import tempfile
from pathlib import Path

from .. import __version__


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)        # reports are meant to be read (mkstemp creates 0600)
    os.replace(tmp, path)


def read_manifest(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


#: Longest failure sentence shown in the index (the full error is in the run log).
ERROR_CHARS = 180


def readable_error(error: str | None, limit: int = ERROR_CHARS) -> str:
    """A failure as one readable sentence for the index: the first line of the error, without
    the exception class name, cut at a sentence or word boundary (never mid-word) with an
    ellipsis when longer than ``limit``."""
    import re

    text = (error or "").strip().splitlines()[0].strip() if (error or "").strip() else ""
    text = re.sub(r"^(?:[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)|KeyError)\s*:\s*", "", text)
    text = text.strip().strip("'\"")
    if not text:
        return "The report failed without a message."
    if len(text) > limit:
        cut = text[:limit]
        stop = max(cut.rfind(". "), cut.rfind("; "))
        cut = cut[:stop + 1] if stop > limit // 2 else cut[:cut.rfind(" ")].rstrip(",;:-– ") + "…"
        text = cut
    # a sentence starts with a capital; a name (what_if_segment, r005, -p) keeps its spelling
    first = text.split(None, 1)[0].rstrip(":,;")
    if first.isalpha() and first.islower():
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "…", "!", "?")) else text + "."


def describe(entry: dict, period_dir: Path) -> dict:
    """Title, question and headline of a manifest entry: the manifest's keys when the runner
    stored them, else read from the executed notebook kept beside the HTML."""
    keys = ("title", "question", "headline")
    found = {k: entry.get(k) for k in keys}
    if not all(found.values()) and entry.get("status") == "ok":
        nb_path = period_dir / f"{entry['name']}.ipynb"
        try:
            import nbformat

            from .headline import extract

            got = extract(nbformat.read(nb_path, as_version=4))
            found = {k: found[k] or got[k] for k in keys}
        except (OSError, ValueError):
            pass
    found["title"] = found["title"] or entry["name"].replace("_", " ").capitalize()
    return found


def write_index(out: str | Path) -> Path:
    """Re-render ``<out>/index.html`` over every period folder with a manifest.

    Per period, each report with its headline number and the one line saying what it answers,
    its fan-out pages (per team, per rep) when the manifest lists them, and for a failed run
    one readable sentence (the full error is in the period's ``run.log``).
    """
    out = Path(out)
    periods = []
    for m in sorted(out.glob("*/manifest.json"), reverse=True):
        info = read_manifest(m)
        if info:
            periods.append(info)
    periods.sort(key=lambda d: d.get("period_start", ""), reverse=True)
    blocks = []
    for info in periods:
        rows = []
        label = info["period"]
        period_dir = out / label
        for nb in info.get("notebooks", []):
            d = describe(nb, period_dir)
            title = d["title"]
            question = (f'<div class="q">{html.escape(d["question"])}</div>'
                        if d.get("question") else "")
            pages = nb.get("pages") or []
            fan = ""
            if pages:
                links = " · ".join(
                    f'<a href="{html.escape(label)}/{html.escape(pg["html"])}">'
                    f'{html.escape(str(pg.get("label", pg["html"])))}</a>'
                    + {"ok": "", "not_made": " (not made)"}.get(pg.get("status", "ok"), " (failed)")
                    for pg in pages if pg.get("html"))
                fan = f'<div class="fan">{links}</div>' if links else ""
            page = (f'<a href="{html.escape(label)}/{html.escape(nb["html"])}">'
                    f'{html.escape(title)}</a>' if nb.get("html") else html.escape(title))
            if nb["status"] == "ok":
                status = '<span class="ok">✓ rendered</span>'
                link = page
                number = html.escape(d["headline"]) if d.get("headline") else "–"
            elif nb["status"] == "not_made":     # the page says why; not a failure
                status = ('<span class="na">– not made</span>'
                          f'<div class="why">{html.escape(readable_error(nb.get("note")))}</div>')
                link, number = page, "–"
            else:
                log = (f' <a href="{html.escape(label)}/run.log">Full error in the run log.</a>'
                       if (period_dir / "run.log").exists() else " The full error is in the run log.")
                status = ('<span class="bad">✗ failed</span>'
                          f'<div class="err">{html.escape(readable_error(nb.get("error")))}{log}</div>')
                number = "–"
                link = page + (' <span class="note">(last good version)</span>'
                               if nb.get("html") else "")
            rows.append(f"<tr><td>{link}{question}{fan}</td><td class='num'>{number}</td>"
                        f"<td>{status}</td><td class='t'>{nb.get('seconds', 0):.0f} s</td></tr>")
        blocks.append(
            f"<h2>{html.escape(label)} <small>"
            f"{html.escape(info.get('period_start', ''))} – {html.escape(info.get('period_end', ''))}"
            f" · data as of {html.escape(info.get('data_as_of', ''))} · rendered "
            f"{html.escape(info.get('finished', '')[:16].replace('T', ' '))} UTC</small></h2>"
            "<table><tr><th>Report and the question it answers</th><th>Headline</th>"
            "<th>Status</th><th>Run time</th></tr>" + "".join(rows) + "</table>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sales reports</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; max-width: 1000px; margin: 30px auto; color: #222; }}
h1 {{ color: #0B4F8A; }} h2 {{ border-bottom: 1px solid #E3E3E3; padding-bottom: 4px; margin-top: 28px; }}
h2 small {{ font-weight: 400; color: #666; font-size: 13px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
th {{ background: #0B4F8A; color: white; text-align: left; padding: 6px 10px; }}
td {{ padding: 7px 10px; border-bottom: 1px solid #E3E3E3; vertical-align: top; }}
td.num {{ font-weight: 600; color: #0B4F8A; white-space: nowrap; }} td.t {{ white-space: nowrap; color: #555; }}
.q {{ font-size: 12.5px; color: #555; margin-top: 2px; }} .fan {{ font-size: 12.5px; margin-top: 4px; }}
.ok {{ color: #2E7D32; font-weight: 600; }} .bad {{ color: #C62828; font-weight: 600; }}
.err {{ font-size: 12.5px; color: #7A1F1F; margin-top: 2px; }}
.na {{ color: #555; font-weight: 600; }} .note {{ font-size: 12px; color: #666; }}
.why {{ font-size: 12.5px; color: #444; margin-top: 2px; }}
a {{ color: #0B4F8A; }}
</style></head><body>
<h1>Sales reports</h1>
<p>Periodic sales-operations reports, newest period first. Each report opens offline.</p>
{''.join(blocks) or '<p>No reports yet.</p>'}
<p style="font-size:12px;color:#666;margin-top:30px">salesops workbench {html.escape(__version__)}</p>
</body></html>
"""
    path = out / "index.html"
    atomic_write(path, page)
    return path
