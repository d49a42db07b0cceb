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


def write_index(out: str | Path) -> Path:
    """Re-render ``<out>/index.html`` over every period folder with a manifest."""
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
        for nb in info.get("notebooks", []):
            title = nb["name"].replace("_", " ").capitalize()
            if nb["status"] == "ok":
                status = '<span style="color:#2E7D32;font-weight:600">✓ rendered</span>'
                link = f'<a href="{html.escape(label)}/{html.escape(nb["html"])}">{html.escape(title)}</a>'
            else:
                err = html.escape(nb.get("error") or "failed")
                status = (f'<span style="color:#C62828;font-weight:600">✗ failed</span>'
                          f'<div style="font-size:12px;color:#7A1F1F">{err}</div>')
                if nb.get("html"):
                    link = (f'<a href="{html.escape(label)}/{html.escape(nb["html"])}">'
                            f'{html.escape(title)}</a> <span style="font-size:12px;color:#666">'
                            "(last good version)</span>")
                else:
                    link = html.escape(title)
            rows.append(f"<tr><td>{link}</td><td>{status}</td><td>{nb.get('seconds', 0):.0f} s</td></tr>")
        blocks.append(
            f"<h2>{html.escape(label)} <small style='font-weight:400;color:#666;font-size:13px'>"
            f"{html.escape(info.get('period_start', ''))} – {html.escape(info.get('period_end', ''))}"
            f" · data as of {html.escape(info.get('data_as_of', ''))} · rendered "
            f"{html.escape(info.get('finished', '')[:16].replace('T', ' '))} UTC</small></h2>"
            "<table><tr><th>Report</th><th>Status</th><th>Run time</th></tr>"
            + "".join(rows) + "</table>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sales reports</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; max-width: 900px; margin: 30px auto; color: #222; }}
h1 {{ color: #0B4F8A; }} h2 {{ border-bottom: 1px solid #E3E3E3; padding-bottom: 4px; margin-top: 28px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
th {{ background: #0B4F8A; color: white; text-align: left; padding: 6px 10px; }}
td {{ padding: 6px 10px; border-bottom: 1px solid #E3E3E3; vertical-align: top; }}
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
