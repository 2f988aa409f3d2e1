"""What `pip install .` needs to get right without the Makefile's pip upgrade hiding it.

Checked by hand as well (BENCHMARKS.md has no figure for it; the commit says how): a fresh
`python3 -m venv` with its stock pip 23 installs the project, answers from the shipped seed from
another folder, and ingests a loopback RSS feed of Arabic pages.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from bot.settings import DEFAULTS_FILE, PROJECT_ROOT, SEEDS_DIR

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))
OURS = {"bot", "retrieval", "newsbot_data"}
# Needed at run time though never imported by name: trafilatura imports lxml.html.clean, which
# lxml 5.2+ ships as a package of its own.
INDIRECT = {"lxml_html_clean"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    return {_canonical(re.split(r"[\s<>=!~;\[]", dep, maxsplit=1)[0]) for dep in PYPROJECT["project"]["dependencies"]}


def top_level_imports() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in ("bot", "retrieval"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], path)
    return found


def test_every_package_the_code_imports_is_a_declared_dependency() -> None:
    providers = importlib.metadata.packages_distributions()
    missing = []
    for module, where in top_level_imports().items():
        if module in sys.stdlib_module_names or module in OURS or module == "__future__":
            continue
        distributions = {_canonical(d) for d in providers.get(module, [module])}
        if not distributions & declared():
            missing.append(f"{module} ({where.relative_to(PROJECT_ROOT)}; from {sorted(distributions)})")
    assert not missing, "imported but not in pyproject's dependencies: " + ", ".join(missing)


def test_run_time_only_dependencies_are_declared() -> None:
    assert {_canonical(d) for d in INDIRECT} <= declared()


def test_every_code_package_is_listed_for_the_wheel() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(PROJECT_ROOT).parts)
        for folder in ("bot", "retrieval")
        for init in (PROJECT_ROOT / folder).rglob("__init__.py")
    }
    assert on_disk <= listed, f"not in [tool.setuptools] packages: {sorted(on_disk - listed)}"


def test_the_seeds_and_defaults_are_shipped_from_their_top_level_folders() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"newsbot_data": "config", "newsbot_data.seeds": "seeds"}
    data = setuptools["package-data"]
    # Every file settings reads by default is matched by a package-data pattern.
    assert DEFAULTS_FILE.name in data["newsbot_data"] and DEFAULTS_FILE.is_file()
    seeds = sorted(p.name for p in SEEDS_DIR.iterdir() if not p.name.startswith("."))
    patterns = data["newsbot_data.seeds"]
    assert seeds and all(any(Path(name).match(p) for p in patterns) for name in seeds), seeds
