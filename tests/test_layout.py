"""The shape of the code: one-way imports between folders, no import cycles, short modules, and the
README's "How it is built" section naming every folder that exists (and none that does not)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.settings import PROJECT_ROOT

MAX_MODULE_LINES = 400
# The import order (README, "How it is built"): a module may import its own layer or a lower one.
LAYERS = {
    "retrieval": 0,
    "bot.settings": 1, "bot.logs": 1, "bot.age": 1, "bot.dburl": 1, "bot.metrics": 1,
    "bot.storage": 2,
    "bot.intake": 3,
    "bot.core": 4,
    "bot.telegram": 5,
    "bot.testing": 6,
    "bot.cli": 7, "bot.__main__": 7, "bot": 7,
}


def modules() -> dict[str, Path]:
    found = {}
    for top in ("bot", "retrieval"):
        for path in sorted((PROJECT_ROOT / top).rglob("*.py")):
            name = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Project modules `name` imports anywhere in its body (functions and TYPE_CHECKING blocks too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            # A package's own __init__ is not an edge back from its submodules.
            if candidate and candidate != name and not name.startswith(candidate + "."):
                targets.add(candidate)
    return targets


def layer(name: str) -> int:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return LAYERS[prefix]
    raise AssertionError(f"{name} is in no layer: add it to LAYERS and to the README")


def test_imports_go_one_way_between_folders() -> None:
    known = modules()
    wrong = [
        f"{name} imports {target}"
        for name, path in known.items()
        for target in imported(name, path, known)
        if layer(target) > layer(name)
    ]
    assert not wrong, wrong


def test_no_module_imports_one_that_imports_it_back() -> None:
    known = modules()
    graph = {name: imported(name, path, known) for name, path in known.items()}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
        return False

    cycles = sorted(f"{a} ⇄ {b}" for a, targets in graph.items() for b in targets if reaches(b, a))
    assert not cycles, cycles


def test_retrieval_is_pure() -> None:
    known = modules()
    outside = {
        f"{name} imports {node}"
        for name, path in known.items() if name.startswith("retrieval")
        for node in _top_level_imports(path)
        if node in {"bot", "telegram", "aiosqlite", "sqlite3", "httpx"}
    }
    assert not outside, outside


def _top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_modules_stay_short() -> None:
    long = {name: n for name, path in modules().items() if (n := len(path.read_text("utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, long


def test_readme_tree_matches_the_folders() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    section = readme.split("## How it is built", 1)[1].split("\n## ", 1)[0]
    tree = section.split("```text", 1)[1].split("```", 1)[0]
    named: set[str] = set()
    top = ""
    for line in tree.splitlines():
        if m := re.match(r"^(\w+)/", line):
            top = m.group(1)
        elif m := re.match(r"^  (\w+)/", line):
            named.add(f"{top}/{m.group(1)}")
    packages = {
        str(init.parent.relative_to(PROJECT_ROOT))
        for top in ("bot", "retrieval")
        for init in (PROJECT_ROOT / top).rglob("*/__init__.py")
        if init.parent.name != "resources"  # data files, not code
    }
    assert named == packages
