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
    assert p1 != p2 and z1 == z2 and r1 != r2          # one zygote, two kernels, fresh seeds
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
            os.path.exists(f"/proc/{p}") for p in (z1, p1, p2)):
        time.sleep(0.2)
    assert not any(os.path.exists(f"/proc/{p}") for p in (z1, p1, p2))  # all gone with the run


def test_without_the_zygote_kernels_start_the_ordinary_way(tmp_path, tiny_frames, monkeypatch):
    monkeypatch.setenv("SALESOPS_ZYGOTE", "0")
    nbs = tmp_path / "nbs"
    write_notebook(nbs / "one.ipynb", "import os\nprint('ppid', os.getppid())", params=PARAMS)
    data = write_csvs(tmp_path / "crm", tiny_frames)
    res = run_reports(out=tmp_path / "out", notebook_dir=nbs, data=str(data), period="2026-Q2")
    assert res.ok
    [ppid] = printed(code_outputs(tmp_path / "out" / "2026-Q2" / "one.ipynb"), "ppid", 1)
    assert int(ppid) == os.getpid()


def test_launcher_args_only_for_this_interpreters_ipykernel():
    import sys

    assert kernels._launcher_args([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"]) \
        == ["-f", "c.json"]
    assert kernels._launcher_args(["/usr/bin/false", "-m", "ipykernel_launcher", "-f", "c"]) is None
    assert kernels._launcher_args([sys.executable, "-m", "other_kernel", "-f", "c"]) is None
