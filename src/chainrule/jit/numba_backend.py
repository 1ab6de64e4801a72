"""The numba backend: chains of elementwise operations become one compiled loop each.

A program is cut into *groups*: connected sets of elementwise equations (NumPy ufunc
calls, ``np.where``) whose results have one shape, with constants and smaller arrays
broadcast in. Each group becomes one ``numba.njit`` kernel that loops over the
elements once, keeping intermediate values in registers, and writes only the values
read outside the group. Everything else is generated exactly as the NumPy backend
does (``codegen``). Kernels are compiled once per distinct source in the process.
"""

from __future__ import annotations

import threading

import numpy as np

from .codegen import Namer, define_function, statement
from .program import Equation, Program, Var

try:
    import numba
except ImportError as error:  # the optional extra
    raise ImportError("cr.jit(backend='numba') needs numba, the optional extra 'jit': "
                      "pip install chainrule[jit]") from error

# Elementwise ufuncs a kernel computes as NumPy does (checked one by one in the tests).
FUSIBLE_UFUNCS = frozenset(getattr(np, name) for name in (
    "add", "subtract", "multiply", "divide", "negative", "positive", "absolute", "fabs",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "hypot",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "logaddexp", "logaddexp2",
    "sqrt", "cbrt", "square", "reciprocal", "power", "sign", "copysign",
    "maximum", "minimum", "fmax", "fmin", "floor", "ceil", "trunc", "rint",
    "deg2rad", "rad2deg", "greater", "greater_equal", "less", "less_equal", "equal",
    "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not",
    "isnan", "isinf", "isfinite", "signbit",
))
# Arithmetic and comparisons as Python operators on numbers of the loop's dtype (the
# same IEEE operations as the ufuncs, and numba types them much faster than np.* calls).
_OPERATORS = {np.add: "{} + {}", np.subtract: "{} - {}", np.multiply: "{} * {}",
              np.divide: "{} / {}", np.negative: "-{}", np.positive: "+{}",
              np.greater: "{} > {}", np.greater_equal: "{} >= {}", np.less: "{} < {}",
              np.less_equal: "{} <= {}", np.equal: "{} == {}", np.not_equal: "{} != {}"}
# Kernels produce float32, float64 or boolean arrays and read those and integers
# (numba has no float16 or long double arithmetic: such programs stay NumPy calls).
_RESULT_DTYPES = frozenset(map(np.dtype, (np.float32, np.float64, np.bool_)))
_OPERAND_DTYPES = _RESULT_DTYPES | frozenset(np.dtype(t) for t in (
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64))
# error_model="numpy": x / 0 is inf or nan, as in NumPy, not a ZeroDivisionError.
_DECORATOR = '@numba.njit(cache=False, fastmath=False, error_model="numpy")'

# numba's compile time grows faster than the kernel's length (seconds for a few hundred
# operations), so a long chain becomes several kernels; a chain that repeats a pattern
# (a loop unrolled by tracing) repeats kernel sources, which are compiled once. 96 is a
# multiple of most short periods (2, 3, 4, 6, 8, 12, 16, 24, 32, 48).
MAX_KERNEL_EQUATIONS = 96

_kernels: dict = {}  # kernel source -> numba dispatcher, shared by every program
_kernels_lock = threading.Lock()


def compile_program_numba(program: Program, name: str):
    """The program as a Python function of its inputs, with its elementwise chains
    fused into numba kernels; and the source of the function and of its kernels."""
    namer = Namer(name)
    body: list = []
    kernel_sources: dict = {}
    units = plan(program)
    read_outside, passed_on = _read_outside(program, units)
    scratch = _scratch_rows(units, passed_on, program, namer)
    for unit in units:
        if isinstance(unit, Group):
            if unit.chain in scratch and unit is scratch[unit.chain]["first"]:
                body += scratch[unit.chain]["allocations"]
            rows = scratch[unit.chain]["rows"] if unit.chain in scratch else {}
            kernel_name, kernel_source = _kernel_call(unit, program, namer, body,
                                                      read_outside, rows)
            kernel_sources[kernel_name] = kernel_source.replace(
                "def kernel(", f"def {kernel_name}(", 1)
        else:
            index, eq = unit
            body.append(statement(eq, index, namer))
    run, source = define_function(program, body, namer)
    return run, "\n\n".join([source, *kernel_sources.values()])


def kernel_cache_size() -> int:
    """How many distinct kernels this process has compiled (or will on first use)."""
    return len(_kernels)


# --- which equations go together ------------------------------------------------------------
class Group:
    """Elementwise equations of one result shape, computed by one kernel."""

    __slots__ = ("shape", "members", "open", "chain")

    def __init__(self, shape: tuple, chain: Group | None = None) -> None:
        self.shape = shape
        self.members: list = []  # (index, equation), in program order
        self.open = True  # nothing outside has read its values yet: it may still grow
        self.chain = chain or self  # the whole group, when this is one kernel's piece of it


def plan(program: Program) -> list:
    """The program as a list of units in run order: ``(index, equation)`` for a statement
    the NumPy backend generates, a ``Group`` for a kernel of two or more equations.

    A group grows while nothing outside it has read its values; the first outside
    reader closes it, and its kernel runs just before that reader. So every kernel runs
    after all the values it reads and before every reader of its values.
    """
    units: list = []
    group_of: dict = {}  # Var -> the open or closed Group that computes it
    open_groups: dict = {}  # used as an ordered set

    def close(group: Group) -> None:
        open_groups.pop(group, None)
        if group.open:
            group.open = False
            units.append(group)

    for index, eq in enumerate(program.equations):
        if isinstance(eq, Equation) and eq.in_place:
            for group in list(open_groups):  # a write may change what a kernel reads
                close(group)
        readers_group = _joinable(eq, program, group_of)
        for var in eq.in_vars():
            group = group_of.get(var)
            if group is not None and group is not readers_group:
                close(group)
        if readers_group is None:
            units.append((index, eq))
            continue
        readers_group.members.append((index, eq))
        group_of[eq.outs] = readers_group
        open_groups[readers_group] = None
    for group in list(open_groups):  # in order of creation
        close(group)
    return [piece for unit in units for piece in _pieces(unit)]


def _pieces(unit) -> list:
    """A group as kernels of at most ``MAX_KERNEL_EQUATIONS``; a lone equation stays a
    NumPy call (a kernel gains nothing on one operation)."""
    if not isinstance(unit, Group):
        return [unit]
    pieces = []
    for start in range(0, len(unit.members), MAX_KERNEL_EQUATIONS):
        piece = Group(unit.shape, chain=unit)
        piece.members = unit.members[start:start + MAX_KERNEL_EQUATIONS]
        pieces.append(piece if len(piece.members) > 1 else piece.members[0])
    return pieces


def _joinable(eq, program: Program, group_of: dict):
    """The group ``eq`` joins (merging the open groups of its shape it reads from), a new
    group, or None when ``eq`` is not elementwise over floats."""
    if not isinstance(eq, Equation) or _loop_dtypes(eq, program) is None:
        return None
    shape = program.shapes[eq.outs]
    sources = [group_of[v] for v in eq.in_vars() if v in group_of]
    mergeable = list(dict.fromkeys(g for g in sources if g.open and g.shape == shape))
    if not mergeable:
        return Group(shape)
    target = mergeable[0]
    for other in mergeable[1:]:
        target.members = sorted(target.members + other.members, key=lambda m: m[0])
        for _, member in other.members:
            group_of[member.outs] = target
        other.open = False  # merged away: never emitted on its own
        other.members = []
    return target


def _loop_dtypes(eq: Equation, program: Program):
    """The dtypes NumPy computes ``eq`` in (operands..., result), or None when a kernel
    must not compute it."""
    if eq.in_place or eq.kwargs or type(eq.outs) is not Var:
        return None
    out_shape, out_dtype = program.shapes[eq.outs], program.dtypes[eq.outs]
    if out_dtype not in _RESULT_DTYPES:
        return None
    operand_dtypes = []
    for arg in eq.args:
        dtype = _operand_dtype(arg, out_shape, program)
        if dtype is None:
            return None
        operand_dtypes.append(dtype)
    if eq.fn is np.where and len(eq.args) == 3:
        if operand_dtypes[0] != np.dtype(bool) or out_dtype.kind != "f":
            return None
        return (np.dtype(bool), out_dtype, out_dtype, out_dtype)
    if eq.fn not in FUSIBLE_UFUNCS or len(eq.args) != eq.fn.nin:
        return None
    try:
        loop = eq.fn.resolve_dtypes((*operand_dtypes, None))
    except (TypeError, ValueError):
        return None
    return loop if loop[-1] == out_dtype else None


def _operand_dtype(arg, out_shape: tuple, program: Program):
    """The dtype NumPy's type resolution sees for an operand (``int``/``float`` for a
    Python number), or None when a kernel cannot read it."""
    if type(arg) is Var:
        dtype, shape = program.dtypes[arg], program.shapes[arg]
    elif type(arg) is float or type(arg) is int and -2**63 <= arg < 2**63:
        return type(arg)  # (numba reads a larger int literal as no type at all)
    elif type(arg) is bool:
        return np.dtype(bool)
    elif isinstance(arg, (np.ndarray, np.generic)):
        dtype, shape = arg.dtype, arg.shape
    else:
        return None
    if dtype not in _OPERAND_DTYPES:
        return None
    return dtype if _broadcasts_to(shape, out_shape) else None


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    if len(shape) > len(target):
        return False
    return all(n in (1, m) for n, m in zip(shape[::-1], target[::-1]))


# --- kernels ----------------------------------------------------------------------------
def _kernel_call(group: Group, program: Program, namer: Namer, body: list,
                 read_outside: set, rows: dict):
    """Append the Python lines calling ``group``'s kernel to ``body``; return the kernel's
    name in the generated function and its source."""
    writer = _KernelWriter(group.shape, namer, rows)
    for _, eq in group.members:
        writer.equation(eq, _loop_dtypes(eq, program), program)
        if eq.outs in rows:
            writer.row_write(eq.outs)
        elif eq.outs in read_outside:
            writer.output(eq.outs, program.dtypes[eq.outs])
    source = writer.source()
    kernel_name = namer.function(_kernel(source), "fused")
    call = f"{kernel_name}({', '.join(writer.final_call_args())})"
    outs = ", ".join(repr(v) for v in writer.outputs)
    body.append(f"{outs}, = {call}" if outs else call)
    if not group.shape:  # numba returns Python numbers; NumPy would give NumPy scalars
        for var in writer.outputs:
            scalar_type = namer.function(program.dtypes[var].type, program.dtypes[var].name)
            body.append(f"{var!r} = {scalar_type}({var!r})")
    return kernel_name, source


def _read_outside(program: Program, units: list):
    """The variables computed in a kernel and read outside it (or returned); and those
    of them read only by later kernels of the same group (``passed on``)."""
    group_at: dict = {}  # equation index -> its Group
    computed_in: dict = {}  # Var -> the Group computing it
    for unit in units:
        for index, eq in unit.members if isinstance(unit, Group) else ():
            group_at[index] = unit
            computed_in[eq.outs] = unit
    leaves = {v for v in program.outputs if type(v) is Var and v in computed_in}
    read: set = set()
    for index, eq in enumerate(program.equations):
        reader = group_at.get(index)
        for v in eq.in_vars():
            if v in computed_in and computed_in[v] is not reader:
                read.add(v)
                if reader is None or reader.chain is not computed_in[v].chain:
                    leaves.add(v)
    return read | leaves, read - leaves


def _scratch_rows(units: list, passed_on: set, program: Program, namer: Namer) -> dict:
    """For each group cut into several kernels: one scratch array per dtype holding, row
    by row, the values one kernel passes to a later one, so a kernel call takes and
    returns a few arrays, not one per value (the per-array cost of a call dominates on
    small arrays). Kernels address their rows through an array of row numbers, so
    pieces of a repeating pattern keep one source."""
    scratch: dict = {}
    for unit in units:
        if not isinstance(unit, Group) or not unit.shape:
            continue
        entry = scratch.setdefault(unit.chain, {"first": unit, "rows": {}, "buffers": {}})
        for _, eq in unit.members:
            if eq.outs in passed_on:
                dtype = program.dtypes[eq.outs]
                buffer = entry["buffers"].setdefault(dtype, [_new_name(namer, "scratch"), 0])
                entry["rows"][eq.outs] = (buffer[0], buffer[1])
                buffer[1] += 1
    empty = namer.function(np.empty, "empty") if scratch else ""
    for chain, entry in list(scratch.items()):
        if not entry["rows"]:
            del scratch[chain]
            continue
        entry["allocations"] = [
            f"{name} = {empty}({(count, *chain.shape)!r}, "
            f"{namer.function(dtype.type, dtype.name)})"
            for dtype, (name, count) in entry["buffers"].items()]
    return scratch


def _new_name(namer: Namer, base: str) -> str:
    """A name no function, constant or other local of the generated function has."""
    n = 0
    while f"{base}{n}" in namer.names:
        n += 1
    namer.names[f"{base}{n}"] = None
    return f"{base}{n}"


def _kernel(source: str):
    """The compiled kernel for ``source``, shared by every program that needs it."""
    with _kernels_lock:
        kernel = _kernels.get(source)
        if kernel is None:
            namespace = {"np": np, "numba": numba}
            exec(compile(source, "<cr.jit numba kernel>", "exec"), namespace)  # noqa: S102
            kernel = _kernels[source] = namespace["kernel"]
        return kernel


class _KernelWriter:
    """Builds one kernel's source: parameters, per-element reads, statements, writes."""

    def __init__(self, shape: tuple, namer: Namer, rows: dict) -> None:
        self.shape = shape
        self.namer = namer
        self.rows = rows  # Var -> (scratch array, row) for values passed between kernels
        self.row_names: dict = {}  # Var -> its row's name in the kernel
        self.row_numbers: dict = {}  # scratch array -> (its parameters, rows it uses)
        self.views: list = []
        self.params = [f"n{axis}" for axis in range(len(shape))]
        self.call_args = [str(n) for n in shape]
        self.reads: list = []
        self.lines: list = []
        self.writes: list = []
        self.allocations: list = []
        self.outputs: list = []  # program Vars, in the order the kernel returns them
        self.locals: dict = {}  # program Var -> its name inside the loop
        self.constants: dict = {}  # id of an array constant -> its name inside the loop
        self.index = ", ".join(f"i{axis}" for axis in range(len(shape)))
        self.column_major = False  # loop over the first axis fastest (Fortran order)

    def equation(self, eq: Equation, loop: tuple, program: Program) -> None:
        operands = [self.operand(arg, dtype, program) for arg, dtype in zip(eq.args, loop)]
        if eq.fn is np.where:
            condition, if_true, if_false = operands
            expression = f"{if_true} if {condition} else {if_false}"
        elif eq.fn in _OPERATORS:
            expression = _OPERATORS[eq.fn].format(*operands)
        else:
            expression = f"np.{eq.fn.__name__}({', '.join(operands)})"
        name = self.locals[eq.outs] = f"t{len(self.locals)}"
        self.lines.append(f"{name} = {expression}")

    def output(self, var: Var, dtype: np.dtype) -> None:
        name = f"y{len(self.outputs)}"
        self.outputs.append(var)
        if self.shape:
            self.allocations.append((name, _type_name(dtype)))
            self.writes.append(f"{name}[{self.index}] = {self.locals[var]}")
        else:
            self.writes.append(f"{name} = {self.locals[var]}")

    def operand(self, arg, dtype: np.dtype, program: Program) -> str:
        """Source for one operand inside the loop, converted to the loop's ``dtype``."""
        if type(arg) is Var and arg in self.locals:
            return _converted(self.locals[arg], program.dtypes[arg], dtype)
        if type(arg) in (bool, int, float):
            return _number(arg, dtype)
        if type(arg) is Var and arg in self.rows:
            if arg not in self.constants:
                self.constants[arg] = f"u{len(self.constants)}"
                self.reads.append(f"{self.constants[arg]} = {self._row(arg)}[{self.index}]")
            return _converted(self.constants[arg], program.dtypes[arg], dtype)
        if type(arg) is Var:
            have, shape, passed = program.dtypes[arg], program.shapes[arg], repr(arg)
        else:
            have, shape, passed = arg.dtype, arg.shape, self.namer.literal(arg)
        key = arg if type(arg) is Var else id(arg)
        if key not in self.constants:
            self.constants[key] = self._parameter(passed, shape, arg)
        return _converted(self.constants[key], have, dtype)

    def final_call_args(self) -> list:
        """The call's arguments, with the row numbers each scratch array is read at."""
        args = list(self.call_args)
        for position, arg in enumerate(args):
            if arg is None:
                rows = self.row_numbers[args[position - 1]][1]
                args[position] = self.namer.literal(np.array(rows, dtype=np.intp))
        return args

    def row_write(self, var: Var) -> None:
        self.writes.append(f"{self._row(var)}[{self.index}] = {self.locals[var]}")

    def _row(self, var: Var) -> str:
        """The kernel's name for ``var``'s row of its scratch array."""
        if var not in self.row_names:
            scratch, row = self.rows[var]
            if scratch not in self.row_numbers:
                k = len(self.row_numbers)
                self.params += [f"s{k}", f"k{k}"]
                self.row_numbers[scratch] = ((f"s{k}", f"k{k}"), [])
                self.call_args += [scratch, None]  # the row numbers, once all are known
            (array, numbers), used = self.row_numbers[scratch]
            name = self.row_names[var] = f"r{len(self.row_names)}"
            self.views.append(f"{name} = {array}[{numbers}[{len(used)}]]")
            used.append(row)
        return self.row_names[var]

    def _parameter(self, passed: str, shape: tuple, passed_value) -> str:
        """A new kernel parameter for an array the loop reads; its per-element name."""
        param = f"x{len(self.constants)}"
        self.params.append(param)
        if not shape:  # passed as a NumPy scalar, which numba reads as a number
            self.call_args.append(f"{passed}[()]")
            return param
        self.call_args.append(passed)
        if isinstance(passed_value, np.ndarray) and passed_value.shape == self.shape and \
                passed_value.ndim > 1 and not passed_value.flags.c_contiguous and \
                passed_value.flags.f_contiguous:
            self.column_major = True  # read it in memory order (a transposed constant)
        offset = len(self.shape) - len(shape)
        index = ", ".join(f"i{offset + axis}" if n == self.shape[offset + axis] else "0"
                          for axis, n in enumerate(shape))
        element = f"u{len(self.constants)}"
        self.reads.append(f"{element} = {param}[{index}]")
        return element

    def source(self) -> str:
        lines = [_DECORATOR, f"def kernel({', '.join(self.params)}):"]
        axes = list(range(len(self.shape)))
        if self.column_major:
            axes.reverse()
        dims = ", ".join(f"n{axis}" for axis in axes) + ("," if len(axes) == 1 else "")
        for name, type_name in self.allocations:  # a transposed C array is in Fortran order
            lines.append(f"    {name} = np.empty(({dims}), np.{type_name})"
                         + (".T" if self.column_major else ""))
        lines += ["    " + line for line in self.views]
        depth = 1
        for axis in axes:
            lines.append("    " * depth + f"for i{axis} in range(n{axis}):")
            depth += 1
        lines += ["    " * depth + line for line in self.reads + self.lines + self.writes]
        returned = "".join(f"y{k}, " for k in range(len(self.outputs)))
        lines.append(f"    return ({returned.rstrip(' ')})")
        return "\n".join(lines) + "\n"


def _converted(expression: str, have, want: np.dtype) -> str:
    return expression if have == want else f"np.{_type_name(want)}({expression})"


def _number(value, dtype: np.dtype) -> str:
    """A Python number as a kernel literal of ``dtype``."""
    if dtype.kind == "b":
        return repr(bool(value))
    if value != value:
        text = "np.nan"
    elif value in (float("inf"), float("-inf")):
        text = "np.inf" if value > 0 else "-np.inf"
    else:
        text = repr(value)
    return text if dtype == np.float64 and type(value) is float else \
        f"np.{_type_name(dtype)}({text})"


def _type_name(dtype: np.dtype) -> str:
    return "bool_" if dtype.kind == "b" else dtype.name
