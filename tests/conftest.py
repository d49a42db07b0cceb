"""Shared fixtures: the sample org, tiny hand-made frames, and the public data sets."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def in_ci() -> bool:
    """True under CI (``CI=true``, as every CI service sets it)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require_binary(name: str, *patterns: str) -> Path:
    """The installed program ``name`` (found on PATH or by the glob ``patterns``, newest
    last). Missing: under ``CI=true`` the test FAILS (a green CI must prove the browser and
    database tests ran); locally it is skipped, and the skip is printed."""
    found = shutil.which(name)
    if not found:
        hits = sorted(h for pat in patterns for h in glob.glob(pat))
        found = hits[-1] if hits else None
    if found:
        return Path(found)
    msg = (f"{name} is not installed (.ci/run installs it)"
           + (f"; looked on PATH and in {', '.join(patterns)}" if patterns else ""))
    if in_ci():
        pytest.fail(f"CI=true and {msg}", pytrace=False)
    print(f"\nSKIPPED: {msg}", file=sys.__stderr__, flush=True)
    pytest.skip(msg)


#: The throwaway PostgreSQL server's password: spaces, $, ^ and braces, accepted raw in a
#: URL's userinfo by SQLAlchemy, so every masking path is exercised.
PG_PASSWORD = "Pg Report $ecret_^{x}!71"
#: Where Debian puts the server binaries (``initdb``), unless ``SALESOPS_PG_GLOB`` says otherwise.
PG_GLOB, PG_GLOB_ENV = "/usr/lib/postgresql/*/bin/initdb", "SALESOPS_PG_GLOB"


@dataclass(frozen=True)
class PgServer:
    """A running throwaway PostgreSQL server: ``port``, ``user``, ``password``."""

    port: int
    user: str = "salesops"
    password: str = PG_PASSWORD

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database on the server (a test module's own); returns its URL."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as con:
            con.execute(sa.text(f'drop database if exists "{name}"'))
            con.execute(sa.text(f'create database "{name}"'))
        engine.dispose()
        return self.url(name)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew (pyplot keeps every figure open until closed)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server (Debian's packages, as ``.ci/run`` installs them) on a
    free local port, password-protected (scram-sha-256), stopped and deleted at the end.
    Under ``CI=true`` missing server binaries FAIL the test (:func:`require_binary`);
    locally the test is skipped, and the skip is printed."""
    bindir = require_binary("initdb", os.environ.get(PG_GLOB_ENV, PG_GLOB)).parent
    base = Path(tempfile.mkdtemp(prefix="salesops-pg-", dir="/tmp"))
    as_user: list[str] = []
    if os.geteuid() == 0:       # the server refuses to run as root
        shutil.chown(base, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    (base / "pw").write_text(PG_PASSWORD + "\n")
    if as_user:
        shutil.chown(base / "pw", "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = base / "data"
    try:
        subprocess.run(as_user + [str(bindir / "initdb"), "-D", str(data), "-U", "salesops",
                                  f"--pwfile={base / 'pw'}", "--auth=scram-sha-256"],
                       check=True, capture_output=True)
        subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l",
                                  str(base / "log"), "-o",
                                  f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True)
        yield PgServer(port)
    finally:
        subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def sample_ds():
    """The default sample org (5,000 accounts, 50 reps, FY2024-2026, as of 2026-11-15)."""
    from salesops_lib import load_dataset

    return load_dataset("sample")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip only when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the checkout")
    return SHARED_DATA


@pytest.fixture
def tiny_frames() -> dict[str, pd.DataFrame]:
    """A valid hand-made org: 3 accounts, 2 reps, 4 deals, as raw strings (like a CSV)."""
    return tiny_org()


def tiny_org() -> dict[str, pd.DataFrame]:
    """The frames of :func:`tiny_frames`, new each call (for a session-scoped fixture)."""
    return {
        "accounts": pd.DataFrame({
            "account_id": ["A1", "A2", "A3"],
            "account_name": ["Acme", "Globex", "<script>alert(1)</script>"],
            "potential": ["100", "200", "300"],
            "owner_rep_id": ["R1", "R2", "R2"],
        }),
        "reps": pd.DataFrame({"rep_id": ["R1", "R2"], "rep_name": ["Ann", "Bob"],
                              "team": ["East", "West"]}),
        "opportunities": pd.DataFrame({
            "opportunity_id": ["O1", "O2", "O3", "O4"],
            "account_id": ["A1", "A2", "A3", "A1"],
            "rep_id": ["R1", "R2", "R2", "R1"],
            "stage": ["Closed Won", "Closed Lost", "Proposal", "Closed Won"],
            "status": ["won", "lost", "open", "won"],
            "amount": ["1000", "500", "700", "300"],
            "created_date": ["2026-01-05", "2026-02-01", "2026-03-01", "2026-04-01"],
            "close_date": ["2026-03-01", "2026-04-15", "2026-12-01", "2026-05-20"],
        }),
        "quotas": pd.DataFrame({"rep_id": ["R1", "R2"], "period": ["2026-Q2", "2026-Q2"],
                                "quota": ["1000", "2000"]}),
    }


def write_csvs(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    """Write frames as ``<table>.csv`` files (helper for loader tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


#: The public Maven "CRM Sales Opportunities" export loads through the ``maven`` mapping preset
#: shipped with the library (``salesops_lib/data/presets/maven.yaml``: drops, defaults and
#: recodes of its join traps, each counted in ``Dataset.health``).
MAVEN_MAPPING = "maven"


def write_notebook(path: Path, *cells: str, params: str = 'period: str = "2026-Q3"  # period\n'
                   'data: str = "sample"  # data source', title: str = "Probe") -> Path:
    """A small report notebook for runner tests: H1, a parameters cell, then code cells."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\nA probe."), p] + [
        nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
