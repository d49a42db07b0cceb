"""The Warehouse's SQL on a real PostgreSQL server equals the in-memory path.

A throwaway server (Debian's PostgreSQL packages, as ``.ci/run`` installs them) is started on
a free local port for this module and stopped afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesops_lib import load_dataset, measures
from salesops_lib.forecast import bookings_series

from ..conftest import require_binary

PASSWORD = "Wh-Secret-42"


@pytest.fixture(scope="module")
def pg():
    # under CI=true a missing server fails the suite instead of skipping
    bindir = require_binary("initdb", "/usr/lib/postgresql/*/bin/initdb").parent
    base = Path(tempfile.mkdtemp(prefix="salesops-wh-", dir="/tmp"))
    as_user: list[str] = []
    if os.geteuid() == 0:                       # the server refuses to run as root
        shutil.chown(base, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    (base / "pw").write_text(PASSWORD + "\n")
    if as_user:
        shutil.chown(base / "pw", "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = base / "data"
    subprocess.run(as_user + [str(bindir / "initdb"), "-D", str(data), "-U", "salesops",
                              f"--pwfile={base / 'pw'}", "--auth=scram-sha-256"],
                   check=True, capture_output=True)
    subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l",
                              str(base / "log"), "-o",
                              f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    url = f"postgresql://salesops:{PASSWORD}@127.0.0.1:{port}/postgres"
    try:
        import sqlalchemy as sa

        ds = load_dataset("sample:accounts=300,reps=8,years=2,seed=13")
        engine = sa.create_engine(url)
        with engine.begin() as con:
            for name, df in ds.tables.items():
                df.to_sql(name, con, index=False, if_exists="replace", chunksize=5000)
        engine.dispose()
        yield ds, load_dataset(url, lazy=True)
    finally:
        subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_postgres_pushdown_equals_in_memory(pg):
    ds, wh = pg
    assert PASSWORD not in wh.shown and wh.n_opportunities == len(ds.opportunities)
    from salesops_lib import performance

    sc = performance.scorecard(ds, "2025-Q3", by="team").set_index("team")
    got = wh.scorecard_aggregates("2025-Q3", by="team").set_index("unique_id").reindex(sc.index)
    for c in ["bookings", "won", "lost", "pipeline_created", "created"]:
        assert np.allclose(got[c].fillna(0), sc[c]), c
    assert np.allclose(got["cycle_days_median"], sc["cycle_days_median"], equal_nan=True)
    want = measures.open_pipeline_as_of(ds, "2025-08-15", "2025-Q3")["amount"].sum()
    assert np.isclose(wh.open_pipeline("2025-08-15", "2025-Q3")["open_pipeline"].sum(), want)
    s = measures.state_as_of(ds, "2025-05-31").groupby("status").size()
    c = wh.state_counts_as_of("2025-05-31").set_index("status")["deals"]
    assert (c.loc[s.index].to_numpy() == s.to_numpy()).all()
    pd.testing.assert_frame_equal(wh.bookings_series("month", by="team"),
                                  bookings_series(ds, "month", by="team"), check_dtype=False)
    w = wh.pipeline_moves("2025-07-01", "2025-09-15", "2025-Q3").set_index("bucket")["amount"]
    b = measures.open_pipeline_as_of(ds, "2025-09-15", "2025-Q3")["amount"].sum()
    assert np.isclose(w["end"], b) and np.isclose(w.drop("end").sum(), b)
    wh.close()
