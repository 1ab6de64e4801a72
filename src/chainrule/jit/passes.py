"""Simplifying a traced program before it is compiled.

Each pass takes a program and returns it simplified: dead code goes, repeated
computations are computed once, and operations that change nothing (``x * 1``,
``x + 0``) are dropped. A program that writes into arrays in place keeps its
order and its repeated reads, because a write changes what a later read sees.
"""

from __future__ import annotations

import numpy as np

from .program import Equation, Guard, Program, Var, map_vars

# Functions that give the same result for the same inputs (not np.random's).
_PURE_MODULES = ("numpy", "chainrule")


def simplify(program: Program) -> Program:
    """All passes, in an order where each helps the next."""
    if not program.has_in_place:
        program = drop_identities(program)
        program = merge_common_subexpressions(program)
        program = factor_broadcast_products(program)
        program = reassociate_scaled_products(program)
        program = eliminate_dead_code(program)
        return reuse_buffers(program)
    return eliminate_dead_code(program)


def split_program(program: Program, late_inputs: list,
                  early_outputs: int) -> tuple[Program, Program] | None:
    """Cut ``program`` in two: what does not depend on the ``late_inputs``, run first,
    and the rest, run later (a backward pass waiting for its cotangent). The first
    part returns the first ``early_outputs`` outputs and then the values the second
    part reads from it (its residuals); the second part takes those residuals, then
    the late inputs, and returns the other outputs. Both parts are simplified.

    None when the cut is not possible: in-place writes (a late one could change a
    residual), or an early output that depends on a late input.
    """
    if program.has_in_place:
        return None
    program = eliminate_dead_code(reassociate_scaled_products(factor_broadcast_products(
        merge_common_subexpressions(drop_identities(program)))))
    late = set(late_inputs)
    early_equations, late_equations = [], []
    for eq in program.equations:
        if any(v in late for v in eq.in_vars()):
            late.update(eq.out_vars())
            late_equations.append(eq)
        else:
            early_equations.append(eq)
    first_outputs, second_outputs = (program.outputs[:early_outputs],
                                     program.outputs[early_outputs:])
    if any(type(v) is Var and v in late for v in first_outputs):
        return None
    read_later = {v for eq in late_equations for v in eq.in_vars()}
    read_later.update(v for v in second_outputs if type(v) is Var)
    residuals = sorted(read_later - late)
    first = _part(program, early_equations, [v for v in program.inputs if v not in late_inputs],
                  first_outputs + residuals)
    second = _part(program, late_equations, residuals + list(late_inputs), second_outputs)
    return reuse_buffers(eliminate_dead_code(first)), reuse_buffers(second)


def _part(program: Program, equations: list, inputs: list, outputs: list) -> Program:
    return Program(equations, inputs, outputs, dict(program.shapes), dict(program.dtypes),
                   count=program.count)


def eliminate_dead_code(program: Program) -> Program:
    """Drop equations whose results nothing uses (guards and in-place writes stay)."""
    live = {v for v in program.outputs if type(v) is Var}
    kept = []
    for eq in reversed(program.equations):
        needed = (isinstance(eq, Guard) or eq.in_place
                  or any(v in live for v in eq.out_vars()))
        if needed:
            live.update(eq.in_vars())
            kept.append(eq)
    program.equations = kept[::-1]
    return program


def merge_common_subexpressions(program: Program) -> Program:
    """Compute each distinct (function, arguments) once."""
    seen: dict = {}
    renamed: dict = {}
    kept = []
    for eq in program.equations:
        eq = _renamed(eq, renamed)
        key = _key(eq) if isinstance(eq, Equation) else None
        if key is not None and key in seen:
            for old, new in zip(eq.out_vars(), seen[key].out_vars()):
                renamed[old] = new
            continue
        if key is not None:
            seen[key] = eq
        kept.append(eq)
    program.equations = kept
    program.outputs = [renamed.get(v, v) if type(v) is Var else v for v in program.outputs]
    return program


def drop_identities(program: Program) -> Program:
    """Remove ``x * 1``, ``x / 1``, ``x + 0``, ``x - 0`` that keep x's shape and dtype."""
    renamed: dict = {}
    kept = []
    for eq in program.equations:
        eq = _renamed(eq, renamed)
        same = _identity_operand(eq, program) if isinstance(eq, Equation) else None
        if same is not None:
            renamed[eq.outs] = same
            continue
        kept.append(_cheaper_power(eq, program) if isinstance(eq, Equation) else eq)
    program.equations = kept
    program.outputs = [renamed.get(v, v) if type(v) is Var else v for v in program.outputs]
    return program


_NEUTRAL = {np.multiply: (1, "either"), np.true_divide: (1, "right"), np.add: (0, "either"),
            np.subtract: (0, "right")}


def _identity_operand(eq: Equation, program: Program):
    if eq.fn is np.power and not eq.kwargs and len(eq.args) == 2 and _is_number(eq.args[1], 1):
        return _same_as_output(eq.args[0], eq, program)
    rule = _NEUTRAL.get(eq.fn)
    if rule is None or eq.kwargs or len(eq.args) != 2 or type(eq.outs) is not Var:
        return None
    neutral, side = rule
    left, right = eq.args
    candidates = [(left, right)] + ([(right, left)] if side == "either" else [])
    for operand, other in candidates:
        if _is_number(other, neutral) and _same_as_output(operand, eq, program) is not None:
            return operand
    return None


_POWERS = {2: np.square, 0.5: np.sqrt, -1: np.reciprocal}


def _cheaper_power(eq: Equation, program: Program) -> Equation:
    """``x ** 2`` as ``square(x)`` (and ``sqrt``, ``reciprocal``), for float arrays."""
    if eq.fn is not np.power or eq.kwargs or len(eq.args) != 2 or type(eq.args[1]) not in (
            int, float) or eq.args[1] not in _POWERS:
        return eq
    base = eq.args[0]
    if type(base) is not Var or program.dtypes[base] != program.dtypes[eq.outs] or \
            program.dtypes[base].kind not in "fc":
        return eq
    fn = _POWERS[eq.args[1]]
    return Equation(fn, fn.__name__, (base,), {}, eq.outs)


def _is_number(value, number) -> bool:
    """Whether ``value`` is a constant (a scalar or an array) equal to ``number`` throughout."""
    if type(value) in (int, float):
        return value == number
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biuf":
        return bool(np.all(value == number))
    return False


def _same_as_output(operand, eq: Equation, program: Program):
    """``operand`` if it is a variable of the same shape and dtype as ``eq``'s output."""
    if (type(operand) is Var and program.shapes[operand] == program.shapes[eq.outs]
            and program.dtypes[operand] == program.dtypes[eq.outs]):
        return operand
    return None


def factor_broadcast_products(program: Program) -> Program:
    """Keep a big array times smaller factors as the big array and one small factor.

    Batched tangents (a Hessian's) are big arrays that elementwise rules multiply by
    vectors again and again: ``T * a``, then ``(T * a) * b + (T * a) * c``. Written
    as ``T * s`` with the small ``s = a * b + a * c`` computed first, the big array
    is multiplied once, where a value is needed whole (a matmul, an output). Sums
    and negations of products with the same big array stay in this form too.
    """
    factored = _Factoring(program)
    for eq in program.equations:
        if not (isinstance(eq, Equation) and factored.absorb(eq)):
            factored.emit(eq)
    program.equations = factored.equations
    for v in program.outputs:
        if type(v) is Var:
            factored.materialize(v)
    program.equations = factored.equations
    return program


def reassociate_scaled_products(program: Program) -> Program:
    """``((T @ C) * s) @ D`` as ``T @ ((C * s) @ D)`` when ``T`` has at least as many
    rows as ``C``: the long dimension that ``s`` scales is multiplied through once
    instead of once per row of ``T``. This is a Hessian's ``X^T diag(w) X`` when the
    basis ``T`` of the tangents is an input of the program (a transform of a jitted
    function) rather than a constant folded into ``X``.
    """
    uses: dict = {}
    for v in [v for eq in program.equations for v in eq.in_vars()] + program.outputs:
        if type(v) is Var:
            uses[v] = uses.get(v, 0) + 1
    made = {eq.outs: eq for eq in program.equations
            if isinstance(eq, Equation) and type(eq.outs) is Var}
    equations = []
    for eq in program.equations:
        equations.extend(_reassociated(eq, made, uses, program) or (eq,))
    program.equations = equations
    return program


def _reassociated(eq, made: dict, uses: dict, program: Program) -> list | None:
    """The equations computing ``eq`` reassociated, if it is ``((T @ C) * s) @ D``."""
    if not _plain_call(eq, np.matmul, 2):
        return None
    scaled, right = eq.args
    scaling = _used_once(scaled, made, uses)
    if not _plain_call(scaling, np.multiply, 2):
        return None
    product, scale = scaling.args
    if not _plain_call(_used_once(product, made, uses), np.matmul, 2):
        product, scale = scale, product
    if not _plain_call(_used_once(product, made, uses), np.matmul, 2):
        return None
    batch, left = made[product].args
    operands = (batch, left, scale, right)
    b_shape, c_shape, s_shape, d_shape = [_shape_of(x, program) for x in operands]
    if not (len(b_shape) == len(c_shape) == len(d_shape) == 2 and b_shape[1] == c_shape[0]
            and c_shape[1] == d_shape[0] and s_shape in ((c_shape[1],), (1, c_shape[1]))
            and b_shape[0] >= c_shape[0]):
        return None
    dtype = program.dtypes[eq.outs]
    if any(_dtype_of(x, program) != dtype for x in operands):
        return None
    left_scaled = program.new_var_like(c_shape, dtype)
    reduced = program.new_var_like((c_shape[0], d_shape[1]), dtype)
    return [Equation(np.multiply, "multiply", (left, scale), {}, left_scaled),
            Equation(np.matmul, "matmul", (left_scaled, right), {}, reduced),
            Equation(np.matmul, "matmul", (batch, reduced), {}, eq.outs)]


def _used_once(x, made: dict, uses: dict):
    """The equation making variable ``x`` if only one equation reads it, else None."""
    return made.get(x) if type(x) is Var and uses.get(x) == 1 else None


def _shape_of(x, program: Program) -> tuple:
    return tuple(program.shapes[x]) if type(x) is Var else np.shape(x)


def _dtype_of(x, program: Program):
    return program.dtypes[x] if type(x) is Var else np.asarray(x).dtype


def _plain_call(eq, fn, arity: int) -> bool:
    return isinstance(eq, Equation) and eq.fn is fn and not eq.kwargs \
        and len(eq.args) == arity and type(eq.outs) is Var


FACTOR_ABOVE = 1024  # entries of a product worth keeping factored


class _Factoring:
    """The state of ``factor_broadcast_products``: ``products[v] = (big, small)``
    means variable v equals ``big * small`` and has not been computed."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.products: dict = {}
        self.equations: list = []

    def emit(self, eq) -> None:
        for v in eq.in_vars():
            self.materialize(v)
        self.equations.append(eq)

    def materialize(self, v) -> None:
        product = self.products.pop(v, None)
        if product is not None:
            big, small = product
            self.materialize_operand(big)
            self.materialize_operand(small)
            self.equations.append(Equation(np.multiply, "multiply", (big, small), {}, v))

    def materialize_operand(self, x) -> None:
        if type(x) is Var:
            self.materialize(x)

    def absorb(self, eq: Equation) -> bool:
        """Record ``eq`` in factored form if it is a product, sum or negation that fits."""
        if eq.kwargs or type(eq.outs) is not Var or not self._float_like(eq.outs):
            return False
        if eq.fn is np.multiply and len(eq.args) == 2:
            return self._multiply(eq.outs, *eq.args) or self._multiply(eq.outs, *eq.args[::-1])
        if eq.fn in (np.add, np.subtract) and len(eq.args) == 2:
            return self._add(eq)
        if eq.fn is np.negative and len(eq.args) == 1:
            return self._negate(eq)
        return False

    def _multiply(self, out, a, b) -> bool:
        if not self._is_small(b, out):
            return False
        if type(a) is Var and a in self.products:
            big, small = self.products[a]
            self.products[out] = (big, self._small(np.multiply, out, small, b))
            return True
        if self._shape(a) == self._shape(out) and self._dtype(a) == self._dtype(out):
            self.products[out] = (a, b)
            return True
        return False

    def _add(self, eq: Equation) -> bool:
        a, b = eq.args
        if not (type(a) is Var and type(b) is Var and a in self.products and b in self.products):
            return False
        (big_a, small_a), (big_b, small_b) = self.products[a], self.products[b]
        if big_a is not big_b and not (type(big_a) is type(big_b) is Var and big_a == big_b):
            return False
        self.products[eq.outs] = (big_a, self._small(eq.fn, eq.outs, small_a, small_b))
        return True

    def _negate(self, eq: Equation) -> bool:
        (a,) = eq.args
        if type(a) is not Var or a not in self.products:
            return False
        big, small = self.products[a]
        self.products[eq.outs] = (big, self._small(np.negative, eq.outs, small))
        return True

    def _small(self, fn, product, *args) -> Var:
        """A new variable ``fn(*args)``: the small factor of ``product``."""
        shape = np.broadcast_shapes(*(self._shape(x) for x in args))
        out = self.program.new_var_like(shape, self._dtype(product))
        self.emit(Equation(fn, fn.__name__, args, {}, out))
        return out

    def _is_small(self, x, out) -> bool:
        """Whether ``x`` broadcasts into ``out`` and has fewer entries (a factor to keep),
        ``out`` being big enough for keeping factors apart to pay."""
        if int(np.prod(self._shape(out))) < FACTOR_ABOVE:
            return False
        if type(x) in (int, float):  # a Python number takes the array's dtype
            return True
        shape, out_shape = self._shape(x), self._shape(out)
        if shape is None or self._dtype(x) != self._dtype(out):
            return False
        try:
            if np.broadcast_shapes(shape, out_shape) != out_shape:
                return False
        except ValueError:
            return False
        return int(np.prod(shape)) * 4 <= int(np.prod(out_shape))

    def _float_like(self, v) -> bool:
        dtype = self._dtype(v)
        return dtype is not None and dtype.kind in "fc"

    def _shape(self, x):
        if type(x) is Var:
            return self.program.shapes[x]
        return () if type(x) in (int, float) else getattr(x, "shape", None)

    def _dtype(self, x):
        if type(x) is Var:
            return self.program.dtypes[x]
        return getattr(x, "dtype", None)


REUSE_ABOVE = 16384  # entries: below this, allocating costs less than passing out=


def reuse_buffers(program: Program) -> Program:
    """Write an elementwise result into an input array that is dead after it.

    Only arrays the program made itself with a ufunc (fresh memory, no views of
    it anywhere: every use is a ufunc call) and that it does not return are
    reused, when the shape and dtype match, so nothing else can see the write.
    """
    uses: dict = {}
    for index, eq in enumerate(program.equations):
        for v in eq.in_vars():
            uses.setdefault(v, []).append(index)
    fresh = {eq.outs for eq in program.equations
             if isinstance(eq, Equation) and _plain_ufunc_call(eq) and type(eq.outs) is Var}
    returned = {v for v in program.outputs if type(v) is Var}
    for index, eq in enumerate(program.equations):
        if not (isinstance(eq, Equation) and _plain_ufunc_call(eq) and type(eq.outs) is Var):
            continue
        if int(np.prod(program.shapes[eq.outs])) < REUSE_ABOVE:
            continue
        for v in eq.args:
            if (type(v) is Var and v in fresh and v not in returned and uses[v][-1] == index
                    and sum(type(a) is Var and a == v for a in eq.args) == 1
                    and program.shapes[v] == program.shapes[eq.outs]
                    and program.dtypes[v] == program.dtypes[eq.outs]
                    and all(_plain_ufunc_call(program.equations[i]) for i in uses[v])):
                eq.kwargs = {"out": v}
                fresh.discard(v)
                break
    return program


def _plain_ufunc_call(eq) -> bool:
    return isinstance(eq, Equation) and isinstance(eq.fn, np.ufunc) and not eq.kwargs \
        and eq.fn.nout == 1 and eq.fn.signature is None


def _renamed(eq, renamed: dict):
    if not renamed:
        return eq
    rename = lambda v: renamed.get(v, v)  # noqa: E731
    if isinstance(eq, Guard):
        return Guard(eq.var if eq.var is None else rename(eq.var), eq.kind, eq.expected)
    return Equation(eq.fn, eq.name, map_vars(eq.args, rename), map_vars(eq.kwargs, rename),
                    eq.outs, eq.in_place)


def _key(eq: Equation):
    """A hashable key for the call, or None when it must not be merged."""
    module = getattr(eq.fn, "__module__", None) or ""
    pure = isinstance(eq.fn, np.ufunc) or (module.startswith(_PURE_MODULES)
                                           and ".random" not in module)
    if not pure or eq.in_place:
        return None
    try:
        key = (id(eq.fn), _hashable(eq.args), _hashable(eq.kwargs))
        hash(key)
    except TypeError:
        return None
    return key


def _hashable(tree):
    if type(tree) is Var:
        return ("var", int(tree))
    if type(tree) in (tuple, list):
        return (type(tree).__name__,) + tuple(_hashable(item) for item in tree)
    if type(tree) is dict:
        return ("dict",) + tuple((k, _hashable(v)) for k, v in tree.items())
    if isinstance(tree, np.ndarray):
        return ("array", id(tree))
    if type(tree) in (float, complex) and tree != tree:
        return ("nan", id(tree))
    return (type(tree).__name__, tree)
