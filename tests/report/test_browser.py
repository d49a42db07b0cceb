"""Rendered reports in a real browser (Debian's chromium, driven by Playwright): each page
renders, logs no console error, and requests nothing from another host."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                                         "(.ci/run installs it)")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def _visit(browser, url: str, shot):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(200)
    png = page.screenshot(full_page=True, path=str(shot))
    height = page.evaluate("document.body.scrollHeight")
    text = page.inner_text("body")
    images = page.evaluate("Array.from(document.images).filter(i => i.naturalWidth > 0).length")
    page.close()
    return requests, errors, png, height, text, images


def _not_blank(png: bytes) -> bool:
    from io import BytesIO

    from PIL import Image

    img = Image.open(BytesIO(png)).convert("L")
    lo, hi = img.getextrema()
    return hi - lo > 100 and len(set(img.getdata())) > 20


def test_index_and_every_report_render_offline(full_run, browser, tmp_path):
    _, out = full_run
    pages = [out / "index.html"] + sorted((out / "2026-Q3").glob("*.html"))
    assert len(pages) >= 2
    for i, path in enumerate(pages):
        requests, errors, png, height, text, images = _visit(browser, path.as_uri(),
                                                             tmp_path / f"{i}.png")
        remote = [u for u in requests if not u.startswith(("file://", "data:", "about:"))]
        assert not remote, f"{path.name} requested {remote}"
        assert not errors, f"{path.name} console errors: {errors}"
        assert _not_blank(png), f"{path.name} looks blank"
        if path.name != "index.html":
            assert height > 800, f"{path.name} is suspiciously short"
            assert images >= 1, f"{path.name} shows no chart"
            assert "Lineage" in text and "Traceback" not in text
        else:
            assert "Sales reports" in text and "2026-Q3" in text
