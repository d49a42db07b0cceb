"""A real PostgreSQL source: the report reads it, and its password shows nowhere.

The throwaway PostgreSQL server is the session's ``postgres_server`` (tests/conftest.py,
Debian's packages, installed by .ci/run). Under ``CI=true`` missing server binaries fail the
suite (``require_binary``); locally the tests are skipped, and the skip is printed.

Every way a password can reach the workbench is tried on the success path (a real server)
and on the failure path (an unreachable one): in the URL's userinfo (with spaces and other
characters SQLAlchemy accepts), as a ``?password=`` argument, and in ``SALESOPS_DB_PASSWORD``
behind a masked URL. Each time the password must appear in no message, log line, manifest,
executed notebook or HTML page.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote_plus

import nbformat
import pytest

from salesops_lib import config
from salesops_lib.secrets import PASSWORD_ENV

#: spaces, $, %-free specials and braces: accepted raw in a URL's userinfo by make_url
from ..conftest import PG_PASSWORD as PASSWORD


@pytest.fixture(scope="module")
def postgres_url(postgres_server):
    """The port of the session's throwaway server (tests/conftest.py ``postgres_server``)."""
    return postgres_server.port


def _forms(port: int) -> dict[str, tuple[str, dict]]:
    """Each way of giving the password: (URL, extra environment)."""
    host = f"127.0.0.1:{port}/postgres"
    return {"userinfo": (f"postgresql://salesops:{PASSWORD}@{host}", {}),
            "query": (f"postgresql://salesops@{host}?password={quote_plus(PASSWORD)}", {}),
            "environment": (f"postgresql://salesops:***@{host}", {PASSWORD_ENV: PASSWORD})}


@pytest.fixture(scope="module")
def loaded_postgres(postgres_url):
    import sqlalchemy as sa

    from salesops_lib.data.sample import generate

    frames = generate(accounts=300, reps=8, years=1, seed=11, start=2026)
    url, _ = _forms(postgres_url)["userinfo"]
    engine = sa.create_engine(url)
    with engine.begin() as con:
        for name, df in frames.items():
            if name != "as_of":
                df.to_sql(name, con, index=False, if_exists="replace", chunksize=5000)
    engine.dispose()
    return postgres_url


def _leaks(out: Path, captured: str) -> list[str]:
    """Where the password (raw, URL-encoded or JSON-escaped) shows."""
    forms = {PASSWORD, quote_plus(PASSWORD), PASSWORD.replace(" ", "%20")}
    where = [f"terminal: {captured[:200]}"] if any(f in captured for f in forms) else []
    for p in (out.rglob("*") if out.exists() else []):
        if p.is_file():
            text = p.read_text(encoding="utf-8", errors="replace")
            if any(f in text for f in forms):
                where.append(str(p.relative_to(out)))
    return where


def _probe_notebooks(folder: Path) -> Path:
    """A fast notebook that shows the source everywhere a leak could hide: the lineage
    header and footer, its parameters, a printed line and a table."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('period: str = "2026-Q3"  # period\n'
                                       'data: str = "sample"  # data source\n'
                                       'mapping: str = ""  # mapping')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Source probe\nWhere does the source show?"),
                params,
                nbformat.v4.new_code_cell(
                    "from salesops_lib import load_dataset, viz\n"
                    "from salesops_lib.report import lineage\n"
                    "ds = load_dataset(data, mapping=mapping or None)\n"
                    "print('reading', data, ds.source)\n"
                    "lineage.header(ds, period)"),
                nbformat.v4.new_code_cell("viz.table(ds.reps[['rep_id', 'rep_name']].head(3))"),
                nbformat.v4.new_code_cell("lineage.footer(ds)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, folder / "source_probe.ipynb")
    return folder


@pytest.mark.parametrize("form", ["userinfo", "query", "environment"])
def test_each_password_form_reads_postgres_and_never_shows(form, loaded_postgres, tmp_path,
                                                           capsys, monkeypatch):
    from salesops_lib.cli import main

    url, env = _forms(loaded_postgres)[form]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(config, "NOTEBOOKS", _probe_notebooks(tmp_path / "nbs"))
    out = tmp_path / "out"
    code = main(["report", "--data", url, "--out", str(out), "--period", "2026-Q3"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    html = (out / "2026-Q3" / "source_probe.html").read_text()
    assert "salesops:***@127.0.0.1" in html and "reading" in html
    assert not _leaks(out, captured.err + captured.out), _leaks(out, captured.err + captured.out)


@pytest.mark.parametrize("form", ["userinfo", "query", "environment"])
def test_each_password_form_unreachable_host_is_masked(form, tmp_path, capsys, monkeypatch):
    from salesops_lib.cli import main

    url, env = _forms(1)[form]                 # port 1: nothing listens there
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    out = tmp_path / "out"
    for argv in (["report", "--data", url, "--out", str(out)], ["validate", url]):
        code = main(argv)
        captured = capsys.readouterr()
        assert code == 2, captured.err
        assert "***" in captured.err and "Traceback" not in captured.err
        assert not _leaks(out, captured.err + captured.out)
    assert not out.exists()


def test_postgres_loads_like_the_sample(loaded_postgres):
    from salesops_lib import load_dataset

    a = load_dataset(_forms(loaded_postgres)["userinfo"][0])
    b = load_dataset("sample:accounts=300,reps=8,years=1,seed=11,start=2026")
    assert len(a.opportunities) == len(b.opportunities)
    assert a.opportunities["amount"].sum() == pytest.approx(b.opportunities["amount"].sum())
    assert PASSWORD not in a.source and "***" in a.source


def test_real_report_from_postgres_never_shows_the_password(loaded_postgres, tmp_path, capsys):
    from salesops_lib.cli import main

    out = tmp_path / "out"
    url, _ = _forms(loaded_postgres)["userinfo"]
    code = main(["report", "--data", url, "--notebooks", "executive_summary", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".ipynb" for p in files)
    assert not _leaks(out, captured.err + captured.out)
    html = next(out.glob("20*/executive_summary.html")).read_text()
    assert "salesops:***@127.0.0.1" in html        # the masked source is shown in lineage
