"""Pre-warmed kernels: what the zygote imports, and notebooks forked from it behave like
notebooks in a kernel of their own (own environment, folder, random state, figures), while
the zygote and its kernels go when the run ends."""

from __future__ import annotations

import os
import time

import pytest

from salesops_lib.report import kernels, run_reports, zygote

from ..conftest import write_csvs, write_notebook
from .conftest import PROBE_PARAMS as PARAMS
from .conftest import code_outputs, printed

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the zygote needs fork")


def test_preload_is_the_notebooks_imports_and_the_heavy_libraries_of_their_packages(tmp_path):
    nb = write_notebook(tmp_path / "a.ipynb", "import json\nfrom salesops_lib import territory, viz\n"
                        "from salesops_lib.territory import maps\n%matplotlib inline")
    mods = zygote.preload_modules([nb])
    assert mods[:len(zygote.BASE)] == list(zygote.BASE)
    for m in ("json", "salesops_lib", "salesops_lib.territory", "salesops_lib.viz",
              "salesops_lib.territory.maps", "highspy", "networkx"):
        assert m in mods
    assert "prophet" not in mods                      # no forecast notebook in this run
    assert "matplotlib_inline.backend_inline" not in mods
    fc = write_notebook(tmp_path / "b.ipynb", "from salesops_lib import forecast")
    assert "prophet" in zygote.preload_modules([nb, fc])


def test_forked_kernels_have_their_own_environment_folder_and_random_state(parallel_probes):
    assert parallel_probes.result.ok
    seen = []
    for name in ("one", "two"):
        outs = parallel_probes.outputs(name)
        pid, ppid, keep_dir, cwd, draw = printed(outs, "probe", 5)
        assert int(ppid) != os.getpid()              # forked by the zygote, not started here
        assert keep_dir.endswith(name) and cwd == str(parallel_probes.notebooks)
        assert any("image/png" in o.get("data", {}) for o in outs)     # inline figures work
        seen.append((pid, ppid, draw))
        assert "<img" in (parallel_probes.out / "2026-Q2" / f"{name}.html").read_text()
    (p1, z1, r1), (p2, z2, r2) = seen
    # kernels start in the notebooks' folder; the runner's own folder never moves (papermill's
    # chdir from two threads at once used to leave it in the notebooks' folder, then deleted)
    before, after = parallel_probes.runner_cwd
    assert after == before
    assert p1 != p2 and z1 == z2 and r1 != r2          # one zygote, two kernels, fresh seeds
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
            os.path.exists(f"/proc/{p}") for p in (z1, p1, p2)):
        time.sleep(0.2)
    assert not any(os.path.exists(f"/proc/{p}") for p in (z1, p1, p2))  # all gone with the run


def test_without_the_zygote_kernels_start_the_ordinary_way(tmp_path, tiny_frames, monkeypatch):
    monkeypatch.setenv("SALESOPS_ZYGOTE", "0")
    nbs = tmp_path / "nbs"
    write_notebook(nbs / "one.ipynb", "import os\nprint('ppid', os.getppid(), os.getcwd())",
                   params=PARAMS)
    data = write_csvs(tmp_path / "crm", tiny_frames)
    before = os.getcwd()
    res = run_reports(out=tmp_path / "out", notebook_dir=nbs, data=str(data), period="2026-Q2")
    assert res.ok and os.getcwd() == before
    ppid, cwd = printed(code_outputs(tmp_path / "out" / "2026-Q2" / "one.ipynb"), "ppid", 2)
    assert int(ppid) == os.getpid() and cwd == str(nbs)


def test_launcher_args_only_for_this_interpreters_ipykernel():
    import sys

    assert kernels._launcher_args([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"]) \
        == ["-f", "c.json"]
    assert kernels._launcher_args(["/usr/bin/false", "-m", "ipykernel_launcher", "-f", "c"]) is None
    assert kernels._launcher_args([sys.executable, "-m", "other_kernel", "-f", "c"]) is None


def test_the_runner_never_changes_its_own_working_folder(tmp_path, tiny_frames, monkeypatch):
    """Notebooks run in threads: a process-wide ``chdir`` per notebook (papermill's ``cwd=``)
    raced, and a run could leave the runner, and the next kernel, in a deleted folder."""
    calls = []
    real = os.chdir
    monkeypatch.setattr(os, "chdir", lambda p: (calls.append(str(p)), real(p)))
    nbs = tmp_path / "nbs"
    for name in ("one", "two"):
        write_notebook(nbs / f"{name}.ipynb", "import os\nprint('cwd', os.getcwd())",
                       params=PARAMS)
    data = write_csvs(tmp_path / "crm", tiny_frames)
    before = os.getcwd()
    res = run_reports(out=tmp_path / "out", notebook_dir=nbs, data=str(data), period="2026-Q2",
                      jobs=2)
    # papermill's file handler still "changes" to the folder it was started in: a no-op
    assert res.ok and set(calls) <= {before} and os.getcwd() == before
    for name in ("one", "two"):
        [cwd] = printed(code_outputs(tmp_path / "out" / "2026-Q2" / f"{name}.ipynb"), "cwd", 1)
        assert cwd == str(nbs)


class _DeadZygote:
    """A zygote whose kernels die at once (as a kernel that cannot bind its ports does)."""

    def __init__(self):
        self.forks = 0

    def alive(self) -> bool:
        return True

    def fork(self, argv, env, cwd) -> int:
        import subprocess
        import sys

        self.forks += 1
        proc = subprocess.Popen([sys.executable, "-c", "pass"])
        proc.wait()                     # gone (and reaped) before jupyter_client asks
        return proc.pid

    def close(self) -> None:
        pass


def test_a_kernel_that_dies_before_it_starts_is_started_again(tmp_path, tiny_frames,
                                                              monkeypatch):
    dead = _DeadZygote()
    monkeypatch.setattr(kernels, "start_zygote", lambda *a, **k: dead)
    nbs = tmp_path / "nbs"
    write_notebook(nbs / "one.ipynb", "import os\nprint('ppid', os.getppid())", params=PARAMS)
    data = write_csvs(tmp_path / "crm", tiny_frames)
    res = run_reports(out=tmp_path / "out", notebook_dir=nbs, data=str(data), period="2026-Q2")
    assert res.ok and dead.forks == 1
    [ppid] = printed(code_outputs(tmp_path / "out" / "2026-Q2" / "one.ipynb"), "ppid", 1)
    assert int(ppid) == os.getpid()           # the second start was an ordinary kernel


def test_a_notebook_error_is_not_retried(tmp_path):
    src = write_notebook(tmp_path / "bad.ipynb", "raise ValueError('boom')")
    exc = kernels.execute(src, tmp_path / "out.ipynb", {}, dict(os.environ), tmp_path)
    assert "boom" in kernels.short_error(exc) and not kernels.died_at_start(exc)
    assert kernels.died_at_start(RuntimeError("Kernel died before replying to kernel_info"))
