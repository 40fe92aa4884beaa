"""Part of scoring: does a submitted answer call what its task forbids? Read from the source, in the grader.

Each task declares what its answer may not call (``check.core.MAY_NOT_CALL``, and a solution's check cell may
add names in ``metadata.nfteach.may_not_call``): the kit's own implementation of what the student is asked to
write. Inside the sandbox the check watches the call at run time (:func:`nfteach.course.check.core.watched`);
that runs next to the student's code, so the grader also reads the answer's source here. It follows the imports
and assignments of the notebook (``from nfteach.shapes import box as b``, ``s = nfteach.shapes``), attribute
chains, ``getattr`` with a constant name and the notebook's own functions the answer calls, and it refuses what
hides a name from it (``importlib``, ``__import__``, ``eval``, ``exec``, ``globals()``, ``getattr`` with a computed
name): the task asks for plain code.
"""

from __future__ import annotations

import ast
from typing import Iterable

from nfteach.course.check.core import resolve

HIDING_NAMES = {"__import__", "eval", "exec", "compile", "globals", "vars", "locals"}
HIDING_ATTRIBUTES = {"__dict__", "__getattribute__", "__builtins__", "__globals__", "import_module"}
"""What reaches a function without naming it; an answer to a task with a ban may not use it."""


def _parse(source: str) -> ast.Module | None:
    """A code cell's syntax tree, IPython's ``%magic`` and ``!shell`` lines made ``pass``; None if it does not parse."""
    lines = [line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
             for line in str(source).splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def _aliases(tree: ast.AST, known: dict[str, str]) -> None:
    """Add to ``known`` (name → dotted path) what the imports and plain assignments of ``tree`` bind."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                known[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name == "*":
                    known.setdefault("*", "")
                    known["*"] += f" {node.module}"
                else:
                    known[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            dotted = _dotted(node.value, known)
            if dotted:
                known[node.targets[0].id] = dotted


def _dotted(node: ast.AST, known: dict[str, str]) -> str | None:
    """The dotted path an expression names (``s.box`` → ``nfteach.shapes.box``), if it names one."""
    if isinstance(node, ast.Name):
        if node.id in known:
            return known[node.id]
        for module in known.get("*", "").split():
            if resolve(f"{module}.{node.id}") is not None:
                return f"{module}.{node.id}"
        return None
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, known)
        return f"{base}.{node.attr}" if base else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
        base = _dotted(node.args[0], known)
        return f"{base}.{node.args[1].value}" if base else None
    return None


def forbidden_use(cells: Iterable[str], function: str, may_not_call: Iterable[str]) -> str | None:
    """What the answer ``function`` (defined in ``cells``, the code before its check cell) uses that the task
    forbids, as a dotted name or ``"<name> (…)"``; None when it uses nothing of the kind."""
    banned = [(name, resolve(name)) for name in may_not_call]
    banned = [(name, value) for name, value in banned if value is not None]
    if not banned:
        return None
    roots = {name.split(".")[0] for name, _ in banned}
    known: dict[str, str] = {}
    functions: dict[str, ast.AST] = {}
    for source in cells:
        tree = _parse(source)
        if tree is None:
            continue
        for statement in tree.body:
            if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                _aliases(statement, known)
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                functions[statement.name] = statement
    pending, seen = [function], set()
    while pending:
        name = pending.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        local = dict(known)
        _aliases(functions[name], local)
        for node in ast.walk(functions[name]):
            hiding = (node.id if isinstance(node, ast.Name) and node.id in HIDING_NAMES else
                      node.attr if isinstance(node, ast.Attribute) and node.attr in HIDING_ATTRIBUTES else
                      "sys.modules" if _dotted(node, local) == "sys.modules" else None)
            if hiding:
                return f"{hiding} (it hides what the answer calls: write plain code)"
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                    and not (len(node.args) >= 2 and isinstance(node.args[1], ast.Constant))):
                return "getattr with a computed name (it hides what the answer calls: write plain code)"
            if isinstance(node, ast.Name) and node.id in functions:
                pending.append(node.id)
            dotted = _dotted(node, local) if isinstance(node, (ast.Name, ast.Attribute, ast.Call)) else None
            if dotted and dotted.split(".")[0] in roots:
                value = resolve(dotted)
                hit = next((ban for ban, target in banned if value is not None and value is target), None)
                if hit:
                    return hit
    return None
