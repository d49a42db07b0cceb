"""Executed notebook → report HTML: no code, no prompts, no stderr, nothing loaded from
another host (the page opens offline, from a file or an e-mail attachment)."""

from __future__ import annotations

from pathlib import Path

#: The nbconvert template folder shipped with the package.
TEMPLATES = Path(__file__).resolve().parent / "templates"


def to_html(nb, *, title: str | None = None, nav: list[tuple[str, str]] | None = None) -> str:
    """An executed notebook as report HTML: no code, no prompts, no stderr, nothing remote.

    ``title`` is the page's title and ``nav`` the (label, relative href) links of its
    navigation bar; the runner passes both (the page templates render them).
    """
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
    resources = {"metadata": {"name": title}} if title else None
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body
