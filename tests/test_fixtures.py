"""The shared PostgreSQL fixture: a missing server fails under CI=true, and is skipped (said
so) locally.

Each case is a real pytest session in a subprocess, on a one-test file that asks for
``postgres_server`` from ``tests/conftest.py`` (loaded as a plugin): no plugin autoloading and
no report code, so a session takes a few seconds instead of half a minute.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import ROOT

NEEDS_SERVER = "def test_needs_the_server(postgres_server):\n    assert postgres_server.port\n"


@pytest.mark.parametrize("ci", ["true", ""])
def test_missing_postgres_fails_under_ci_and_skips_locally(ci, tmp_path):
    empty = tmp_path / "bin"                  # no initdb on PATH nor under the server glob
    empty.mkdir()
    test = tmp_path / "session" / "test_needs_server.py"
    test.parent.mkdir()
    test.write_text(NEEDS_SERVER)
    env = {**os.environ, "CI": ci, "PATH": str(empty), "SALESOPS_PG_GLOB": str(empty / "*"),
           "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "-p", "tests.conftest", "-c", os.devnull, "--rootdir", str(test.parent),
                           str(test)], cwd=test.parent, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    if ci:
        assert proc.returncode == 1, out
        assert "CI=true and initdb is not installed" in out and "error" in out.lower()
    else:
        assert proc.returncode == 0, out
        assert "skipped" in out and "initdb is not installed" in out
