"""environment.yml stays in step with pyproject.toml; the README keeps the two commands."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"duckdb": "python-duckdb", "psycopg": "psycopg"}


def _name(req: str) -> str:
    return re.split(r"[<>=\[ ;]", req, maxsplit=1)[0].strip().lower()


def test_environment_yml_matches_pyproject():
    proj = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in proj["dependencies"] + proj["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    have = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    missing = {w for w in wanted if CONDA_NAMES.get(w, w) not in have}
    assert not missing, f"environment.yml lacks {sorted(missing)}"
    assert "python=3.11" in env["dependencies"]
    assert {"pip": ["-e ."]} in env["dependencies"]
    if "dask" in wanted:
        assert "distributed" in have


def test_readme_quick_start():
    text = (ROOT / "README.md").read_text()
    assert "make reports" in text and "make test" in text
    assert "make test" in (ROOT / ".ci" / "run").read_text()
