"""The package's layout: no import cycle between its modules (imports inside functions count too), and
no function too long to read. Reads the sources with ``ast``: nothing is imported but the lazy
``nst_utils/__init__.py`` (no TensorFlow), so these run in a moment."""
import ast
from pathlib import Path

import nst_utils

PACKAGE = Path(nst_utils.__file__).resolve().parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
MAX_FUNCTION_LINES = 80


def parsed(module):
    path = PACKAGE / f"{module}.py"
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(node):
    """The nst_utils submodules an ``import`` or ``from ... import`` node imports (in a module of the package).

    ``from . import name`` and ``from nst_utils import name`` import the submodule ``name``, or for a name
    the package exports lazily (``nst_utils._EXPORTS``: ``from . import tf``), the submodule defining it."""
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[1] for alias in node.names if alias.name.startswith("nst_utils.")]
    if not isinstance(node, ast.ImportFrom) or node.level > 1:
        return []
    if node.level == 1:
        parts = node.module.split(".") if node.module else []
    elif node.module == "nst_utils" or (node.module or "").startswith("nst_utils."):
        parts = node.module.split(".")[1:]
    else:
        return []  # numpy, tensorflow, ...
    if parts:
        return [parts[0]]
    return [alias.name if alias.name in MODULES else nst_utils._EXPORTS[alias.name] for alias in node.names
            if alias.name in MODULES or alias.name in nst_utils._EXPORTS]


def import_graph():
    """``{module: {imported module: [line, ...]}}`` over every import in every module (top level or not)."""
    graph = {}
    for module in MODULES:
        edges = graph.setdefault(module, {})
        for node in ast.walk(parsed(module)):
            for target in imported_modules(node):
                if target != module:
                    edges.setdefault(target, []).append(node.lineno)
    return graph


def reachable(graph, start):
    """The modules ``start`` imports, directly or not."""
    seen, todo = set(), [start]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def find_cycles(graph):
    """One import cycle ``[a, b, ..., a]`` for each group of modules that import each other (a strongly
    connected component), the shortest through its first module in sorted order: a stable message."""
    reach = {module: reachable(graph, module) for module in graph}
    cycles, done = [], set()
    for start in sorted(graph):
        if start in done or start not in reach[start]:
            continue
        group = {m for m in reach[start] if start in reach.get(m, ())}
        done |= group
        paths, todo = {start: [start]}, [start]  # breadth first, within the group
        while todo:
            module = todo.pop(0)
            for target in sorted(graph[module]):
                if target == start:
                    cycles.append(paths[module] + [start])
                    todo = []
                    break
                if target in group and target not in paths:
                    paths[target] = paths[module] + [target]
                    todo.append(target)
    return cycles


def test_the_import_graph_sees_every_kind_of_import():
    """The parser itself, on the import forms the test must count."""
    source = ("from . import calibration, tf\nfrom .images import load_image\nfrom nst_utils import vgg\n"
              "from nst_utils.network import Network\nimport nst_utils.memory\nimport numpy\nfrom ..x import y\n"
              "def f():\n    from .costs import gram_matrix\n")
    found = [target for node in ast.walk(ast.parse(source)) for target in imported_modules(node)]
    assert sorted(found) == ["_tf", "calibration", "costs", "images", "memory", "network", "vgg"]
    assert find_cycles({"a": {"b": [1]}, "b": {"c": [1]}, "c": {"a": [1]}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b": [1], "c": [1]}, "b": {"a": [1]}, "c": {"d": [1]}, "d": {"c": [1]}}) == [
        ["a", "b", "a"], ["c", "d", "c"]]
    assert find_cycles({"a": {"b": [1]}, "b": {}, "c": {"a": [1], "b": [1]}}) == []


def test_no_import_cycle():
    graph = import_graph()
    found = [f"{' -> '.join(cycle)} (" + ", ".join(f"{a}.py:{'/'.join(map(str, graph[a][b]))} imports {b}"
                                                     for a, b in zip(cycle, cycle[1:])) + ")"
             for cycle in find_cycles(graph)]
    assert not found, "import cycles:\n" + "\n".join(found)


def long_functions(module):
    """``(qualified name, lines)`` of every function or method of ``module`` (nested ones too)."""
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}.{child.name}"
                if not isinstance(child, ast.ClassDef):
                    found.append((name, child.end_lineno - child.lineno + 1))
                visit(child, name)
            else:
                visit(child, prefix)

    visit(parsed(module), module)
    return found


def test_no_long_function():
    """Every function and method fits in 80 lines, from its ``def`` line to its last line."""
    too_long = [f"{name}: {lines} lines" for module in MODULES for name, lines in long_functions(module)
                if lines > MAX_FUNCTION_LINES]
    assert not too_long, f"functions longer than {MAX_FUNCTION_LINES} lines:\n" + "\n".join(too_long)
