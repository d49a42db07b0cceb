"""A real PostgreSQL source: the report reads it, and its password shows nowhere.

The fixture starts a throwaway PostgreSQL server (Debian's packages, installed by .ci/run) on
a free local port and stops it afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PASSWORD = "Pg-Report-Secret-71"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.skip("PostgreSQL server binaries are not installed (.ci/run installs them)")
    bindir = Path(bins[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="salesops-pg-", dir="/tmp"))
    as_user: list[str] = []
    if os.geteuid() == 0:       # the server refuses to run as root
        shutil.chown(base, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    (base / "pw").write_text(PASSWORD + "\n")
    if as_user:
        shutil.chown(base / "pw", "postgres", "postgres")
    port = _free_port()
    data = base / "data"
    subprocess.run(as_user + [str(bindir / "initdb"), "-D", str(data), "-U", "salesops",
                              f"--pwfile={base / 'pw'}", "--auth=scram-sha-256"],
                   check=True, capture_output=True)
    subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l",
                              str(base / "log"), "-o",
                              f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://salesops:{PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def loaded_postgres(postgres_url):
    import sqlalchemy as sa

    from salesops_lib.data.sample import generate

    frames = generate(accounts=300, reps=8, years=1, seed=11, start=2026)
    engine = sa.create_engine(postgres_url)
    with engine.begin() as con:
        for name, df in frames.items():
            if name != "as_of":
                df.to_sql(name, con, index=False, if_exists="replace", chunksize=5000)
    engine.dispose()
    return postgres_url


def test_postgres_loads_like_the_sample(loaded_postgres):
    from salesops_lib import load_dataset

    a = load_dataset(loaded_postgres)
    b = load_dataset("sample:accounts=300,reps=8,years=1,seed=11,start=2026")
    assert len(a.opportunities) == len(b.opportunities)
    assert a.opportunities["amount"].sum() == pytest.approx(b.opportunities["amount"].sum())
    assert PASSWORD not in a.source and "***" in a.source


def test_report_from_postgres_never_shows_the_password(loaded_postgres, tmp_path, capsys):
    from salesops_lib.cli import main

    out = tmp_path / "out"
    code = main(["report", "--data", loaded_postgres, "--notebooks", "executive_summary",
                 "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert PASSWORD not in captured.err + captured.out
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".ipynb" for p in files)
    for p in files:
        text = p.read_text(encoding="utf-8")
        assert PASSWORD not in text, f"password leaked into {p.name}"
    html = (out / "2026-Q3" / "executive_summary.html").read_text()
    assert "salesops:***@127.0.0.1" in html        # the masked source is shown in lineage
