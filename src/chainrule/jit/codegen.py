"""The NumPy backend: a program becomes straight-line Python source, compiled once.

The source is meant to be read (``cr.jit(f).source(x)``): one line per equation,
functions by their NumPy names, small constants written out, larger ones named
``c0``, ``c1`` ... Tracebacks from a compiled function point into this source.
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import math

from .program import Equation, Guard, MethodCall, Program, Var


class Retrace(Exception):
    """A guard failed: the values took a path the program was not traced for."""


_compiled_count = itertools.count()


def compile_program(program: Program, name: str):
    """The program as a Python function of its inputs, and that function's source."""
    namer = Namer(name)
    body = [statement(eq, index, namer) for index, eq in enumerate(program.equations)]
    return define_function(program, body, namer)


def define_function(program: Program, body: list, namer: Namer):
    """Compile ``body`` (statements over the program's variables) as the function
    ``namer.function_name`` of the program's inputs returning its outputs; return the
    function and its source."""
    lines = [f"def {namer.function_name}({', '.join(map(repr, program.inputs))}):"]
    lines += ["    " + line for line in body]
    outputs = ", ".join(namer.literal(o) for o in program.outputs)
    lines.append(f"    return ({outputs}{',' if len(program.outputs) == 1 else ''})")
    source = "\n".join(lines) + "\n"
    filename = f"<cr.jit {namer.label} #{next(_compiled_count)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(namer.names)
    namespace["Retrace"] = Retrace
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace[namer.function_name], source


def statement(eq, index: int, namer: Namer) -> str:
    """One line of Python source for one equation (or guard) of a program."""
    if isinstance(eq, Guard):
        if eq.kind == "unchanged":
            return f"if not {namer.literal(eq.expected)}.unchanged(): raise Retrace({index})"
        test = f"{eq.var!r}.shape" if eq.kind == "shape" else repr(eq.var)
        return f"if {test} != {namer.literal(eq.expected)}: raise Retrace({index})"
    if eq.in_place and eq.name == "setitem":
        target, index_arg, value = eq.args
        return f"{namer.literal(target)}[{_index_source(index_arg, namer)}] = " \
               f"{namer.literal(value)}"
    call = _call_source(eq, namer)
    outs = eq.outs
    if outs == ():
        return call
    if isinstance(outs, tuple):
        targets = ", ".join(map(repr, outs)) + ("," if len(outs) == 1 else "")
        return f"{targets} = {call}"
    return f"{outs!r} = {call}"


def _call_source(eq: Equation, namer: Namer) -> str:
    if eq.name == "getitem":
        target, index = eq.args
        return f"{namer.literal(target)}[{_index_source(index, namer)}]"
    args = eq.args
    if type(eq.fn) is MethodCall:
        fn = f"{namer.literal(args[0])}.{eq.fn.method}"
        args = args[1:]
    else:
        fn = namer.function(eq.fn, eq.name)
    parts = [namer.literal(a) for a in args]
    parts += [f"{k}={namer.literal(v)}" for k, v in eq.kwargs.items()]
    return f"{fn}({', '.join(parts)})"


def _index_source(index, namer: Namer) -> str:
    if isinstance(index, tuple) and index:
        return ", ".join(namer.literal(i) for i in index) + ("," if len(index) == 1 else "")
    return namer.literal(index)


class Namer:
    """Names for the functions and constants a program uses, readable where possible."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.function_name = "compiled_" + _identifier(label)
        self.names: dict = {self.function_name: None}  # no function or constant takes its name
        self._by_id: dict = {}
        self._constants: list = []  # kept alive, so their ids stay theirs while naming

    def function(self, fn, name: str) -> str:
        if id(fn) in self._by_id:
            return self._by_id[id(fn)]
        base = _identifier(name.replace(".", "_") if name.startswith("ndarray.") else
                           name.split(".")[-1])
        chosen = base
        for n in itertools.count(2):
            if chosen not in self.names and chosen != "Retrace":
                break
            chosen = f"{base}_{n}"
        return self._bind(fn, chosen)

    def literal(self, value) -> str:
        """Source for an argument: a variable, a written-out value or a named constant."""
        kind = type(value)
        if kind is Var:
            return repr(value)
        if kind in (tuple, list):
            inner = ", ".join(self.literal(v) for v in value)
            if kind is list:
                return f"[{inner}]"
            return f"({inner}{',' if len(value) == 1 else ''})"
        if kind is dict and all(type(k) is str for k in value):
            return "{" + ", ".join(f"{k!r}: {self.literal(v)}" for k, v in value.items()) + "}"
        if kind is slice:
            return f"slice({self.literal(value.start)}, {self.literal(value.stop)}, " \
                   f"{self.literal(value.step)})"
        text = _scalar_source(value)
        if text is not None:
            return text
        if id(value) in self._by_id:
            return self._by_id[id(value)]
        self._constants.append(value)
        return self._bind(value, f"c{len(self._constants) - 1}")

    def _bind(self, obj, name: str) -> str:
        self.names[name] = obj
        self._by_id[id(obj)] = name
        return name


def _scalar_source(value) -> str | None:
    """Python source that evaluates to ``value``, for plain Python scalars; else None."""
    kind = type(value)
    if value is None or value is Ellipsis or kind in (bool, int, str):
        return repr(value)
    if kind is float and math.isfinite(value):
        return repr(value)
    if kind is complex and math.isfinite(value.real) and math.isfinite(value.imag):
        return repr(value)
    return None


def _identifier(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "fn"
    if cleaned[0].isdigit() or keyword.iskeyword(cleaned):
        cleaned = "_" + cleaned
    return cleaned

