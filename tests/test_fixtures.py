"""The shared PostgreSQL fixture: a missing server fails under CI=true, and is skipped (said
so) locally."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.parametrize("ci", ["true", ""])
def test_missing_postgres_fails_under_ci_and_skips_locally(ci, tmp_path):
    env = {**os.environ, "CI": ci, "PATH": str(tmp_path), "SALESOPS_PG_GLOB": str(tmp_path / "*"),
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/data/test_warehouse_postgres.py"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    if ci:
        assert proc.returncode == 1, out
        assert "CI=true and initdb is not installed" in out and "error" in out.lower()
    else:
        assert proc.returncode == 0, out
        assert "skipped" in out and "initdb is not installed" in out
