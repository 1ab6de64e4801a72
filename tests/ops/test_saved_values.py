"""What a recorded call keeps alive for backward: the ``reads=`` declarations.

A primitive's VJP rules declare what they read from the forward pass; a node
keeps only that. A declaration that reads too little hands a rule None; one
that reads too much keeps arrays alive for nothing. The guard below checks
every built-in declaration against a reading of the rules' bytecode, a lint
kept here only: the engine never reads bytecode.
"""

from __future__ import annotations

import dis
import gc
import importlib.util
import inspect
import sys
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule._core.graph import JointVjp
from chainrule._core.primitive import Primitive
from chainrule.ops.registry import PRIMITIVES

if importlib.util.find_spec("scipy") is not None:
    import chainrule.scipy  # noqa: F401  (registers its primitives)

# Bytecode of the Pythons where the reading below is known to find every read
# of a parameter. 3.13 reads a local through STORE_FAST_LOAD_FAST too, and later
# versions add further fused instructions.
BYTECODE_READING_RELIABLE = (3, 10) <= sys.version_info[:2] <= (3, 12)
_LOADS = {"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR", "LOAD_DEREF", "LOAD_CLOSURE"}
_ALL_POSITIONS = frozenset(range(64))


def _positions_read(rule) -> frozenset[int]:
    """Which positional parameters ``rule``'s bytecode reads (all, if it has none)."""
    code = getattr(rule, "__code__", None)
    if code is None:
        return _ALL_POSITIONS
    loaded = {ins.argval for ins in dis.get_instructions(code) if ins.opname in _LOADS}
    loaded |= set(code.co_cellvars)  # read by an inner function
    names = code.co_varnames[:code.co_argcount]
    read = {i for i, name in enumerate(names) if name in loaded}
    if code.co_flags & inspect.CO_VARARGS:
        varargs = code.co_varnames[code.co_argcount + code.co_kwonlyargcount]
        if varargs in loaded:
            read |= set(range(code.co_argcount, 64))
    return frozenset(read)


def _reads_found_in_bytecode(prim: Primitive) -> tuple[bool, bool]:
    """(reads args, reads ans) as the rules' bytecode shows it."""
    if type(prim.vjps) is JointVjp:  # defvjp_joint: rule(g, ans, *args)
        read = _positions_read(prim.vjps.rule)
    elif hasattr(prim.vjps, "rule"):  # defvjp_all: rule(argnum, g, ans, *args)
        read = {p - 1 for p in _positions_read(prim.vjps.rule) if p > 0}
    else:
        read = set().union(*(_positions_read(r) for r in prim.vjps if r is not None))
    return any(p >= 2 for p in read), 1 in read


def _declared(prim: Primitive) -> tuple[bool, bool]:
    return prim.saves_args, prim.saves_ans


def _built_in_primitives() -> dict[str, Primitive]:
    """Every registered primitive, and those the modules keep unregistered."""
    found = dict(PRIMITIVES)
    for name, module in list(sys.modules.items()):
        if name.startswith("chainrule.") and module is not None:
            for value in vars(module).values():
                if isinstance(value, Primitive):
                    found.setdefault(value.name, value)
    return found


BUILT_IN = _built_in_primitives()


def _as_reads(saves: tuple[bool, bool]) -> tuple[str, ...]:
    return tuple(what for what, saved in zip(("args", "ans"), saves) if saved)


@pytest.mark.skipif(not BYTECODE_READING_RELIABLE,
                    reason="the bytecode reading is only checked on Python 3.10-3.12")
@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_declared_reads_equal_what_the_rules_read(name):
    prim = BUILT_IN[name]
    found = _reads_found_in_bytecode(prim)
    assert _declared(prim) == found, (
        f"{name} declares reads={_as_reads(_declared(prim))} but its VJP rules read "
        f"{_as_reads(found)}: declare exactly what they read")


def test_the_guard_sees_unregistered_primitives_too():
    assert all(BUILT_IN[name] is prim for name, prim in PRIMITIVES.items())
    assert {"orthonormal_complement", "eig_vectors"} <= set(BUILT_IN)


# --- the engine keeps what is declared, and only that --------------------------------

def _doubling(**declaration):
    @cr.primitive
    def double(x):
        return 2.0 * x

    double.defvjp(lambda g, ans, x: 2.0 * g, **declaration)
    return double


def test_a_rule_without_a_declaration_keeps_both():
    assert _declared(_doubling()) == (True, True)


def test_a_rule_reading_ans_in_a_comprehension_works_without_a_declaration():
    # Python 3.13 reads ``ans`` here through STORE_FAST_LOAD_FAST, which a
    # bytecode reading missed: the rule was then handed None.
    @cr.primitive
    def exp(x):
        return np.exp(x)

    exp.defvjp(lambda g, ans, x: [ans * g for _ in (0,)][0])
    x = np.array([-0.5, 0.25, 1.5])
    assert np.allclose(cr.grad(lambda v: np.sum(exp(v)))(x), np.exp(x), rtol=1e-14)


@pytest.mark.parametrize("reads", [(), "args", "ans", ("args", "ans")])
def test_a_node_keeps_alive_exactly_what_its_rules_read(reads):
    double = _doubling(reads=reads)
    x = cr.tensor(np.arange(3.0), requires_grad=True)
    inner = x * 1.0  # an intermediate: only the graph can keep its array alive
    out = double(inner)
    loss = out + 0.0  # add keeps neither its inputs nor its output
    input_array, output_array = weakref.ref(inner.data), weakref.ref(out.data)
    del inner, out
    gc.collect()
    names = (reads,) if isinstance(reads, str) else reads
    assert (input_array() is not None, output_array() is not None) == (
        "args" in names, "ans" in names)
    loss.sum().backward()
    assert np.array_equal(x.grad.data, np.full(3, 2.0))


@pytest.mark.parametrize("reads, error, fragment", [
    ("input", ValueError, "'input'"),
    (("args", "grad"), ValueError, "'grad'"),
    (None, TypeError, "NoneType"),
    (1, TypeError, "int"),
])
def test_an_invalid_declaration_is_refused(reads, error, fragment):
    with pytest.raises(error, match=fragment) as caught:
        _doubling(reads=reads)
    assert "'args', 'ans'" in str(caught.value)


def test_defvjp_all_checks_its_declaration_too():
    prim = cr.primitive(lambda *xs: sum(xs))
    with pytest.raises(ValueError, match="'outputs'"):
        prim.defvjp_all(lambda argnum, g, ans, *xs: g, reads="outputs")
    assert _declared(prim.defvjp_all(lambda argnum, g, ans, *xs: g, reads=())) == (False, False)
