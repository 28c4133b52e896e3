"""The shape of the house: layers that import only downward, a command line nothing imports,
and a package that works when installed outside this checkout."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "wanwan"

# Lower layers never import higher ones; within a layer, imports must not go round in a circle.
LAYERS: list[tuple[str, ...]] = [
    ("wanwan.errors", "wanwan.names", "wanwan.progress", "wanwan.data", "wanwan.keys",
     "wanwan.queues", "wanwan.listeners"),
    ("wanwan.nlu", "wanwan.audio", "wanwan.messages"),
    ("wanwan.config", "wanwan.store", "wanwan.bus"),
    ("wanwan.security",),
    ("wanwan.asr", "wanwan.tts", "wanwan.ledger", "wanwan.broker", "wanwan.instruments"),
    ("wanwan.skills", "wanwan.voice", "wanwan.engine", "wanwan.satellite"),
    ("wanwan.dialogue",),
    ("wanwan.assistant",),
    ("wanwan.kiosk", "wanwan.hermes"),
    ("wanwan.hub", "wanwan.dashboard"),
    ("wanwan",),  # the public API: wanwan/__init__.py
    ("wanwan.commands", "wanwan.cli", "wanwan.__main__"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    best, found = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    assert found >= 0, f"{module} is in no layer of tests/test_house.py"
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(path: Path) -> list[tuple[str, int, bool]]:
    """(module imported, line, inside a function) for every import of a wanwan module."""
    tree = ast.parse(path.read_text(), str(path))
    out: list[tuple[str, int, bool]] = []
    nested = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef,
                                                              ast.AsyncFunctionDef))
              for n in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # "from wanwan.commands import ask" imports the module wanwan.commands.ask
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES
                     else node.module for a in node.names]
        else:
            continue
        out += [(n, node.lineno, id(node) in nested) for n in names
                if n == "wanwan" or n.startswith("wanwan.")]
    return out


GRAPH = {name: imports(path) for name, path in MODULES.items()}


def test_every_module_is_in_a_layer():
    for name in MODULES:
        layer(name)


def test_imports_only_run_downward():
    upward = [f"{src} (layer {layer(src)}) imports {dst} (layer {layer(dst)}) at line {line}"
              for src, edges in GRAPH.items() for dst, line, _ in edges
              if layer(dst) > layer(src)]
    assert not upward, "\n".join(upward)


def test_no_import_circle():
    edges = {src: {dst for dst, _, _ in targets if dst in MODULES and dst != src}
             for src, targets in GRAPH.items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state:
            circle = visit(start, [start])
            assert circle is None, " -> ".join(circle)


def test_nothing_imports_the_command_line():
    offenders = [f"{src} imports {dst}" for src, targets in GRAPH.items()
                 for dst, _, _ in targets
                 if (dst.startswith("wanwan.commands") or dst == "wanwan.cli")
                 and not (src.startswith("wanwan.commands") or src in ("wanwan.cli",
                                                                      "wanwan.__main__"))]
    assert not offenders, "\n".join(offenders)


def test_imports_inside_functions_are_deferred_on_purpose():
    """Only heavy or optional third-party packages are imported late, each saying why."""
    late = []
    for path in MODULES.values():
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                first = node.lineno - 1  # the reason may head a group of imports
                while first > 0 and lines[first - 1].strip().startswith(("import ", "from ")):
                    first -= 1
                said = " ".join(lines[max(0, first - 1):node.lineno])
                module = node.module if isinstance(node, ast.ImportFrom) else \
                    node.names[0].name
                if (module or "").startswith("wanwan") or "deferred" not in said:
                    late.append(f"{path.relative_to(ROOT)}:{node.lineno}: {module}")
    assert not late, "imports inside functions without a reason:\n" + "\n".join(late)


def test_the_public_api():
    import wanwan

    assert wanwan.__version__ and set(wanwan.__all__) <= set(dir(wanwan))
    result = wanwan.load_engine().parse("what is the level in dewar twelve")
    assert (result.intent, result.slots) == ("read_level", {"dewar": "12"})


@pytest.mark.timeout(300)
def test_installed_outside_the_checkout_it_has_its_catalogue(tmp_path):
    """``pip install <checkout>`` into a fresh environment, then import it from elsewhere.

    The wheel is built and installed without its dependencies (they are this suite's own,
    reached through a path file, so the test needs no network); the package itself, its
    catalogue and its example site must come from the fresh environment."""
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"),
                            str(ROOT)], capture_output=True, text=True, timeout=240)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("wanwan-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "wanwan/data/intents/en/levels.yaml" in names
    assert "wanwan/data/config/site.yaml" in names
    assert "wanwan/data/dashboard/ja.yaml" in names  # the dashboard's page, words and plots
    assert "wanwan/dashboard/static/index.html" in names
    assert "wanwan/dashboard/static/vendor/uplot-1.6.32/uPlot.iife.min.js" in names
    fresh = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    python = fresh / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                                "get_paths()['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    ours = [p for p in sys.path if p.endswith("site-packages")]
    (site / "dependencies.pth").write_text("\n".join(ours) + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                                "--no-deps", "-q", str(wheel)], capture_output=True, text=True,
                               timeout=120)
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WANWAN_CONFIG")}
    check = ("import wanwan; r = wanwan.load_engine().parse('what is the level in dewar "
             "twelve'); assert r.intent == 'read_level', r; print(wanwan.__file__)")
    proc = subprocess.run([str(python), "-c", check], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().startswith(str(fresh)), proc.stdout
