"""One run at a time, atomic publish, interrupted runs, parallel kernels and fan-out pages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from salesops_lib.cli import main
from salesops_lib.forecast import ledger
from salesops_lib.report import publish, run_reports

from ..conftest import write_csvs, write_notebook
from .conftest import PROBE_PARAMS as PARAMS
from .conftest import printed

ROOT = Path(__file__).resolve().parents[2]


def visible(out: Path) -> dict[str, bytes]:
    """Every file a reader of the reports folder sees (through the links), with its bytes."""
    seen = {}
    for folder, dirs, files in os.walk(out, followlinks=True):
        if Path(folder) == out:
            dirs[:] = [d for d in dirs if d != publish.STATE]
        for f in files:
            p = Path(folder) / f
            if p.name != "keep.sqlite":
                seen[str(p.relative_to(out))] = p.read_bytes()
    return seen


def _keeper(version: str) -> str:
    return ("import pandas as pd\nfrom salesops_lib.forecast import ledger\n"
            "ledger.record(pd.DataFrame({'period': ['2026-Q3'], 'source': ['" + version + "'], "
            "'as_of': [pd.Timestamp('2026-08-03')], 'value': [1.0], 'lower': [0.0], "
            "'upper': [2.0]}), data=data)\nprint('alpha " + version + "')")


@pytest.fixture
def folder(tmp_path, tiny_frames):
    nbs = tmp_path / "nbs"
    write_notebook(nbs / "alpha.ipynb", _keeper("v1"), params=PARAMS)
    write_notebook(nbs / "beta.ipynb", "print('beta v1')", params=PARAMS)
    data = write_csvs(tmp_path / "crm", tiny_frames)
    out = tmp_path / "out"
    assert run_reports(out=out, notebook_dir=nbs, data=str(data), period="2026-Q2").ok
    return nbs, data, out


def _start(nbs: Path, data: Path, out: Path) -> subprocess.Popen:
    code = ("import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "import sys\nfrom pathlib import Path\nfrom salesops_lib import config\n"
            "config.NOTEBOOKS = Path(sys.argv[1])\nfrom salesops_lib.cli import main\n"
            "sys.exit(main(sys.argv[2:]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # the child first restores Ctrl-C (SIGINT → KeyboardInterrupt), as a run started from a
    # terminal has it: a suite launched in the background of a non-interactive shell inherits
    # SIGINT ignored, and the run then never saw it (it went on and reported "ok").
    return subprocess.Popen([sys.executable, "-c", code, str(nbs), "report", "--data",
                             str(data), "--out", str(out), "--period", "2026-Q2", "--jobs", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_an_interrupted_run_leaves_the_folder_as_it_was(folder, tmp_path, sig):
    nbs, data, out = folder
    before = visible(out)
    kept = ledger.read(out)
    marker = tmp_path / "beta-started"
    write_notebook(nbs / "alpha.ipynb", _keeper("v2"), params=PARAMS)
    write_notebook(nbs / "beta.ipynb", f"open({str(marker)!r}, 'w').close()\n"
                   "import time\ntime.sleep(120)", params=PARAMS)
    proc = _start(nbs, data, out)
    deadline = time.monotonic() + 180
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert marker.exists(), proc.communicate()
    time.sleep(1.0)                  # alpha (fast) has finished and staged its ledger row
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in err, err
        assert not list((out / publish.STATE).glob("stage-*"))
    else:
        assert proc.returncode == -signal.SIGKILL
    assert visible(out) == before
    assert ledger.read(out).equals(kept)                  # alpha's v2 row was not published
    # the next run sweeps what the killed one left and publishes whole
    write_notebook(nbs / "beta.ipynb", "print('beta v2')", params=PARAMS)
    assert run_reports(out=out, notebook_dir=nbs, data=str(data), period="2026-Q2").ok
    assert not list((out / publish.STATE).glob("stage-*"))
    assert "beta v2" in (out / "2026-Q2" / "beta.html").read_text()
    assert set(ledger.read(out)["source"]) == {"v1", "v2"}


def test_a_crash_during_the_switch_leaves_the_old_state(folder, monkeypatch):
    nbs, data, out = folder
    before = visible(out)
    real = publish._symlink

    def crash_on_switch(target, link, replace=True):
        if link.name == "current":
            raise OSError("power cut")
        return real(target, link, replace)

    write_notebook(nbs / "beta.ipynb", "print('beta v2')", params=PARAMS)
    monkeypatch.setattr(publish, "_symlink", crash_on_switch)
    with pytest.raises(OSError, match="power cut"):
        run_reports(out=out, notebook_dir=nbs, data=str(data), period="2026-Q2")
    assert visible(out) == before


def _hold_lock(out: Path, seconds: float) -> subprocess.Popen:
    code = ("import sys, time\nfrom pathlib import Path\n"
            "from salesops_lib.report.publish import RunLock\n"
            "with RunLock(Path(sys.argv[1])):\n    print('held', flush=True)\n"
            "    time.sleep(float(sys.argv[2]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(out), str(seconds)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_run_is_refused_or_waits(folder, capsys, monkeypatch):
    nbs, data, out = folder
    from salesops_lib import config

    monkeypatch.setattr(config, "NOTEBOOKS", nbs)
    argv = ["report", "--data", str(data), "--out", str(out), "--period", "2026-Q2"]
    holder = _hold_lock(out, 60)
    try:
        from salesops_lib.report import kernels, runner

        started = []
        with monkeypatch.context() as m:      # refused before any data is read or kernel made
            m.setattr(runner, "load_dataset", lambda *a, **k: started.append("load"))
            m.setattr(kernels, "start_zygote", lambda *a, **k: started.append("zygote"))
            t0 = time.monotonic()
            assert main(argv) == 3
        assert started == []
        err = capsys.readouterr().err
        assert "another salesops report run is writing to" in err and "--wait" in err
        assert f"pid {holder.pid}" in err and time.monotonic() - t0 < 30
        assert main(argv + ["--wait", "0.5"]) == 3
        err = capsys.readouterr().err
        assert "gave up after waiting 0.5 s" in err
        # a queued run says so at once instead of printing nothing while it waits
        assert "; waiting for it ..." in err and f"pid {holder.pid}" in err
    finally:
        holder.kill()
        holder.wait()
    holder = _hold_lock(out, 2)
    t0 = time.monotonic()
    assert main(argv + ["--wait"]) == 0          # queued behind the first, then ran
    assert holder.wait(timeout=30) == 0 and time.monotonic() - t0 >= 1


def test_notebooks_run_in_parallel_kernels(parallel_probes):
    assert parallel_probes.result.ok
    spans = []
    for name in ("one", "two"):
        a, b, pid = printed(parallel_probes.outputs(name), "span", 3)
        spans.append((float(a), float(b), pid))
    (a1, b1, p1), (a2, b2, p2) = spans
    assert p1 != p2 and a1 < b2 and a2 < b1          # two kernels, running at the same time


def test_per_team_renders_a_page_per_team_and_the_index_links_them(tmp_path, tiny_frames):
    nbs = tmp_path / "nbs"
    write_notebook(nbs / "board.ipynb", "print('board for', team or 'everyone')",
                   params=PARAMS + '\nteam: str = ""  # one team; empty for all')
    write_notebook(nbs / "plain.ipynb", "print('plain')", params=PARAMS)
    write_notebook(nbs / "statement.ipynb", "print('statement of', rep)",
                   params=PARAMS + '\nrep: str = ""  # one rep id; empty for the plan summary')
    tiny_frames["reps"]["team"] = ["East <b>", "West $$ Enterprise"]
    data = write_csvs(tmp_path / "crm", tiny_frames)
    out = tmp_path / "out"
    res = run_reports(out=out, notebook_dir=nbs, data=str(data), period="2026-Q2",
                      per=["team", "rep"], jobs=2)
    assert res.ok
    board, plain, statement = sorted(res.results, key=lambda r: r.name)
    assert [p["html"] for p in statement.pages] == ["statements/R1.html", "statements/R2.html"]
    assert [p["label"] for p in statement.pages] == ["Ann (R1)", "Bob (R2)"]
    assert "statement of R2" in (out / "2026-Q2" / "statements" / "R2.html").read_text()
    assert [p["label"] for p in board.pages] == ["East <b>", "West $$ Enterprise"]
    assert [p["html"] for p in board.pages] == ["teams/east-b/board.html",
                                                "teams/west-enterprise/board.html"]
    assert plain.pages == []
    west = (out / "2026-Q2" / "teams" / "west-enterprise" / "board.html").read_text()
    assert "board for West $$ Enterprise" in west
    manifest = (out / "2026-Q2" / "manifest.json").read_text()
    assert '"teams/east-b/board.html"' in manifest
    with pytest.raises(Exception, match="declares"):
        run_reports(out=out, notebook_dir=nbs, data=str(data), per=["rep"],
                    notebooks=["plain"])


def test_legacy_folder_is_adopted_without_losing_reports(tmp_path, tiny_frames):
    nbs = tmp_path / "nbs"
    write_notebook(nbs / "beta.ipynb", "print('beta now')", params=PARAMS)
    out = tmp_path / "out"
    old = out / "2025-Q4"
    old.mkdir(parents=True)
    (old / "manifest.json").write_text('{"period": "2025-Q4", "period_start": "2025-10-01", '
                                       '"notebooks": []}')
    (old / "beta.html").write_text("old page")
    (out / "index.html").write_text("old index")
    data = write_csvs(tmp_path / "crm", tiny_frames)
    assert run_reports(out=out, notebook_dir=nbs, data=str(data), period="2026-Q2").ok
    assert (out / "2025-Q4" / "beta.html").read_text() == "old page"
    index = (out / "index.html").read_text()
    assert "2025-Q4" in index and "2026-Q2" in index
