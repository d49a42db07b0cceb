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


# ---------------------------------------------------------------------------------- layout
PACKAGE = ROOT / "salesops_lib"
MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in PACKAGE.rglob("*.py"))


def test_every_module_imports_alone_in_a_fresh_interpreter():
    import subprocess
    import sys

    code = ("import importlib, sys\nbad = []\nfor m in sys.argv[1:]:\n"
            "    for k in [k for k in sys.modules if k.startswith('salesops_lib')]:\n"
            "        del sys.modules[k]\n"
            "    try:\n        importlib.import_module(m)\n"
            "    except Exception as e:\n        bad.append(f'{m}: {e!r}')\n"
            "print('\\n'.join(bad))\n")
    # one fresh interpreter per module would take a minute; clearing sys.modules between
    # imports gives each module the same start (third-party libraries stay loaded)
    out = subprocess.run([sys.executable, "-c", code, *MODULES], capture_output=True, text=True,
                         cwd=ROOT, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", out.stdout


def test_no_module_is_much_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 520}
    assert not long, long


def test_package_inits_only_reexport():
    import ast

    for init in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(init.read_text())
        for node in tree.body:
            ok = isinstance(node, (ast.Import, ast.ImportFrom, ast.Expr)) or (
                isinstance(node, ast.Assign)
                and all(isinstance(t, ast.Name) and t.id.startswith("__") for t in node.targets))
            assert ok, f"{init.relative_to(ROOT)}:{node.lineno} does more than re-export"


def test_modules_never_import_their_own_package_init():
    import ast

    for path in PACKAGE.rglob("*.py"):
        if path.name == "__init__.py" or path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None:
                names = [a.name for a in node.names]
                siblings = {p.stem for p in path.parent.glob("*.py")} | {
                    p.name for p in path.parent.iterdir() if p.is_dir()}
                assert set(names) <= siblings, (
                    f"{path.relative_to(ROOT)} imports {names} from its own package's __init__")


def test_no_import_cycle_between_modules():
    """Module-level imports inside salesops_lib form no cycle (lazy imports inside functions
    are not counted); a package's __init__ counts as the node the package name stands for."""
    import ast

    import networkx as nx

    def name_of(path):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    g = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        me = name_of(path)
        pkg = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
        g.add_node(me)
        for node in ast.parse(path.read_text()).body:
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = pkg.rsplit(".", node.level - 1)[0] if node.level > 1 else pkg
            target = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                dest = sub if sub in MODULES else target
                if dest != me:
                    g.add_edge(me, dest)
    assert "salesops_lib.territory.plan" in g
    assert nx.is_directed_acyclic_graph(g), nx.find_cycle(g)
