"""Rendered reports in a real browser (Debian's chromium, driven by Playwright).

Every page: the browser title is the report's title and period, a navigation bar links the
index and the period's other reports (and each link opens), every image has alt text, the
console logs no error, and nothing is requested from another host. Under ``CI=true`` a
missing chromium fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest

from salesops_lib.report.headline import extract
from salesops_lib.report.html import to_html

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOTEBOOKS = ["executive_summary", "rep_performance"]
PERIOD = "2026-Q3"


def require_binary(*names: str) -> str:
    """Path of the first binary found; skip without it, but fail under ``CI=true`` (a CI
    image without chromium must not pass silently). Same logic as the shared helper the
    runner engineer adds to ``tests/conftest.py``."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    message = f"{' or '.join(names)} is not installed (.ci/run installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_binary("chromium", "chromium-browser")


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def rendered(full_run, tmp_path_factory):
    """The two reports of this area, from the session's run of every report by the real
    runner on the sample (``full_run``, copied so its pages stay as they are), each page
    rendered as the runner renders it (``to_html(nb, title=..., nav=...)``, the agreed
    interface) with a navigation bar of these two: the index first, then the reports."""
    result, source = full_run
    assert result.ok, [(r.name, r.error) for r in result.results]
    out = tmp_path_factory.mktemp("reports")
    shutil.copytree(source, out, dirs_exist_ok=True)         # links followed: plain copies
    folder = out / PERIOD
    nbs = {n: nbformat.read(folder / f"{n}.ipynb", as_version=4) for n in NOTEBOOKS}
    titles = {n: extract(nb)["title"] for n, nb in nbs.items()}
    nav = [("All reports", "../index.html")] + [(titles[n], f"{n}.html") for n in NOTEBOOKS]
    for n, nb in nbs.items():
        (folder / f"{n}.html").write_text(to_html(nb, title=f"{titles[n]} · {PERIOD}", nav=nav),
                                          encoding="utf-8")
    return out, titles


def _visit(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    info = {
        "title": page.title(),
        "nav": page.evaluate("Array.from(document.querySelectorAll('nav a'))"
                             ".map(a => [a.textContent.trim(), a.getAttribute('href')])"),
        "images": page.evaluate("Array.from(document.images).map(i => [i.alt, i.naturalWidth])"),
        "text": page.inner_text("body"),
    }
    page.close()
    remote = [u for u in requests if not u.startswith(("file://", "data:", "about:"))]
    return info, remote, errors


def test_report_pages_title_navigation_alt_text(rendered, browser):
    out, titles = rendered
    for name in NOTEBOOKS:
        path = out / PERIOD / f"{name}.html"
        info, remote, errors = _visit(browser, path.as_uri())
        assert info["title"] == f"{titles[name]} · {PERIOD}"
        assert info["nav"][0] == ["All reports", "../index.html"]
        assert [label for label, _ in info["nav"][1:]] == [titles[n] for n in NOTEBOOKS]
        for label, href in info["nav"]:                       # every link opens a page
            # lexically, as a browser does: reports/<period> may be a link into the store
            target = Path(os.path.normpath(path.parent / href))
            assert target.is_file(), f"{name}: link {label!r} → {href} is broken"
            _, link_remote, link_errors = _visit(browser, target.as_uri())
            assert not link_remote and not link_errors
        assert info["images"], f"{name} shows no chart"
        assert all(alt.strip() and width > 0 for alt, width in info["images"]), info["images"]
        assert not any(alt.startswith("No description") for alt, _ in info["images"])
        assert not remote, f"{name} requested {remote}"
        assert not errors, f"{name} console errors: {errors}"
        assert "Lineage" in info["text"] and "Traceback" not in info["text"]
        # no code identifiers in the prose (the lineage footer records parameters as set)
        prose = info["text"].split("Lineage")[0]
        assert "min_deals" not in prose and "_" not in info["title"]


def test_index_page(rendered, browser):
    out, titles = rendered
    info, remote, errors = _visit(browser, (out / "index.html").as_uri())
    assert info["title"] == "Sales reports" and PERIOD in info["text"]
    for title in titles.values():
        assert title in info["text"]
    assert "Bookings" in info["text"] and "Team attainment" in info["text"]   # headlines
    assert not remote and not errors


def test_index_and_every_report_render_offline(full_run, browser):
    """Every report of the repository, as the runner renders it: no remote request, no
    console error, every image described."""
    _, out = full_run
    pages = [out / "index.html"] + sorted((out / "2026-Q3").glob("*.html"))
    assert len(pages) >= 2
    for path in pages:
        info, remote, errors = _visit(browser, path.as_uri())
        assert not remote, f"{path.name} requested {remote}"
        assert not errors, f"{path.name} console errors: {errors}"
        assert all(alt.strip() for alt, _ in info["images"]), f"{path.name}: {info['images']}"
        if path.name == "index.html":
            assert "Sales reports" in info["text"]
        else:
            assert info["images"] and "Lineage" in info["text"]
