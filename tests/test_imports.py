"""The import graph of ssi_kit has no cycle, counting imports inside functions too."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ssi_kit"


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, for its __init__)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("ssi_kit", *path.relative_to(PACKAGE).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _targets(node: ast.AST, here: str, is_package: bool, modules: dict) -> set[str]:
    """The package modules an import statement imports."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in modules}
    base = here if is_package else here.rpartition(".")[0]
    for _ in range(max(node.level - 1, 0)):
        base = base.rpartition(".")[0]
    source = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
    found = {f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in modules}
    if len(found) < len(node.names) and source in modules:  # names defined in the module itself
        found.add(source)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere in its code (not its parent packages)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges |= _targets(node, name, path.name == "__init__.py", modules)
        graph[name] = edges - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, path)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [])
            if found:
                return found
    return None


def test_the_graph_sees_function_level_and_relative_imports():
    graph = import_graph()
    assert "ssi_kit.scoring.engines" in graph["ssi_kit.scoring.engine"]
    assert "ssi_kit.io.partitioned" in graph["ssi_kit.scoring.engines.cluster"]  # imported inside functions
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"


def documented_layers() -> dict[str, int]:
    """Top-level module or folder -> its layer, from the table in docs/architecture.md."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    table = text.split("<!-- layers:begin -->")[1].split("<!-- layers:end -->")[0]
    layers = {}
    for line in table.strip().splitlines()[2:]:  # after the header and its rule
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for name in cells[2].split(","):
            layers[name.strip().strip("`")] = int(cells[0])
    return layers


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_every_top_level_module_has_a_documented_layer():
    layers = documented_layers()
    missing = sorted({_top(m) for m in import_graph()} - set(layers))
    assert not missing, f"docs/architecture.md has no layer for: {', '.join(missing)}"


def test_no_module_imports_from_a_higher_layer():
    layers, graph = documented_layers(), import_graph()
    upward = sorted(f"{a} (layer {layers[_top(a)]}) imports {b} (layer {layers[_top(b)]})"
                    for a, targets in graph.items() for b in targets
                    if layers[_top(b)] > layers[_top(a)])
    assert not upward, "imports against the layers of docs/architecture.md:\n" + "\n".join(upward)


def test_no_module_imports_a_private_name_of_another():
    modules, found = _modules(), []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("ssi_kit")):
                found += [f"{name} imports {node.module or '.'}.{a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert not found, "private names imported across modules:\n" + "\n".join(sorted(found))
