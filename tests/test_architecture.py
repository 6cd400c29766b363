"""Imports run one way (docs/architecture.md): infrastructure <- episodes <- transcripts <- concepts
<- search, with website (the project) and demo (content of every app) on top, beside each other.

Every .py file of every app is parsed (migrations excepted: they refer to other apps' models by label, as
they must), and every import in it is checked, also those inside functions, relative ones and
``import_module``/``import_string`` calls with a literal name. An app may import itself and apps on a lower
layer, never one on its own layer or above: so no app imports ``website``, and nothing below the top imports
``demo``. A higher app is reached only through reverse relations, URL names, template tags, hooks and
signals.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each app's layer: an app may import only apps on a lower layer.
LAYERS = {
    "operations": 0,  # reconnection, request limits, health, worker and scheduler commands, storage
    "pagecache": 0,  # whole-page cache and its purges
    "accounts": 0,  # sign-in: throttling, two-factor, idle expiry, the audit; needs no app of ours
    "episodes": 1,
    "transcripts": 2,
    "analytics": 2,  # download counting: told of downloads by episodes' AUDIO_SERVED_HOOK, beside transcripts
    "concepts": 3,
    "search": 4,
    "website": 5,  # the project: settings, URLs, site pages; it wires the apps together
    "demo": 5,  # the demo content loads pages of every app, website's too (by model label)
}

# Calls that import a module named by their first argument.
IMPORTING_CALLS = {"import_module", "import_string", "__import__"}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    importer: str
    imported: str
    module: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.importer} (layer {LAYERS[self.importer]}) imports {self.module} "
            f"of {self.imported} (layer {LAYERS[self.imported]})"
        )


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, wherever it is in the file."""
    found = []
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the file's own package, one level up per extra dot
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            found.append((node.lineno, name))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if called in IMPORTING_CALLS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def check_file(path: Path, root: Path = ROOT) -> list[Violation]:
    module = module_name(path, root)
    importer = module.split(".")[0]
    violations = []
    for line, name in imported_modules(path.read_text(), module, path.name == "__init__.py"):
        imported = name.split(".")[0]
        if imported == importer or imported not in LAYERS:
            continue
        if LAYERS[imported] >= LAYERS[importer]:
            violations.append(Violation(str(path.relative_to(root)), line, importer, imported, name))
    return violations


def app_files(root: Path = ROOT) -> list[Path]:
    return sorted(
        path
        for app in LAYERS
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.relative_to(root).parts
    )


def check_tree(root: Path = ROOT) -> list[Violation]:
    return [violation for path in app_files(root) for violation in check_file(path, root)]


def test_imports_run_one_way():
    violations = check_tree()
    assert not violations, "Imports against the direction of the layers:\n" + "\n".join(map(str, violations))


def test_every_app_has_a_layer():
    """A new app must be given its place, or its imports would go unchecked."""
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps == set(LAYERS)


@pytest.mark.parametrize(
    ("app", "source", "imported"),
    [
        ("episodes", "from website.models import HomePage\n", "website"),
        ("episodes", "def f():\n    from transcripts.models import Transcript\n", "transcripts"),
        ("transcripts", "import search.query\n", "search"),
        ("operations", "from episodes import models\n", "episodes"),
        ("pagecache", "from operations import health\n", "operations"),
        ("demo", "from website.models import HomePage\n", "website"),
        ("website", "from demo.loader import load_demo\n", "demo"),
        ("search", "import importlib\nimportlib.import_module('website.seo')\n", "website"),
    ],
)
def test_an_import_against_the_direction_is_found(tmp_path, app, source, imported):
    path = tmp_path / app / "sub" / "module.py"
    path.parent.mkdir(parents=True)
    path.write_text(source)
    [violation] = check_file(path, tmp_path)
    assert (violation.importer, violation.imported, violation.path) == (app, imported, f"{app}/sub/module.py")
    assert violation.line == source.count("\n")


def test_relative_imports_resolve_within_the_app(tmp_path):
    path = tmp_path / "search" / "views.py"
    path.parent.mkdir()
    path.write_text("from .query import search\nfrom . import urls\nfrom episodes.models import ShowPage\n")
    assert check_file(path, tmp_path) == []
