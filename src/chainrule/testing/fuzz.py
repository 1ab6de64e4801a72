"""A fuzzer: random straight-line NumPy programs, every derivative checked.

A program is a scalar function of one to three float64 arrays: 3 to 25
operations drawn from the table in ``fuzz_ops`` (ufuncs with broadcasting,
reductions, shape functions, products, linear algebra, FFT, scipy.special), each
applied to an earlier value, and at the end a weighted sum of every value no
later operation used. It is written as Python source over two namespaces,
``np`` and ``special``, so the same program runs on plain NumPy, on Tensors
through NumPy's dispatch, and through ``chainrule.numpy``. ``check_program``
asserts, at one point kept away from kinks and domain edges:

- the value by dispatch and by ``chainrule.numpy`` equals plain NumPy's, and so
  do their gradients (each other's);
- the reverse gradient equals central finite differences, ``Tensor.backward()``,
  ``jacfwd`` and ``jvp``;
- the Hessian-vector product by ``hvp`` (forward over reverse) and by reverse
  over reverse equals central differences of the gradient.

Finite differences are taken at two steps; their difference bounds their error,
and the tolerance is that bound plus a small multiple of the derivative's size.
A point where they do not settle is rejected, never checked loosely.

Hypothesis (a test-only dependency) draws and shrinks the programs. From the
command line it runs as long as asked and saves each failure as a runnable,
minimal reproducer::

    python -m chainrule.testing.fuzz --programs 10000 --seed 1 --out fuzz-failures
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .fuzz_checks import FuzzFailure, Rejected, check_program
from .fuzz_ops import MAX_SIZE, OPS, Op

# Shapes an input can have: scalars, vectors, matrices (square ones for linear
# algebra), stacks, and length-1 axes that broadcast.
INPUT_SHAPES = [(), (3,), (2,), (4,), (2, 3), (3, 3), (3, 2), (1, 3), (3, 1), (2, 2),
                (2, 3, 3), (2, 1, 3), (3, 3), (2, 2, 2)]
# A drawn value must stay this small, so nothing overflows and differences are stable.
MAX_MAGNITUDE = 1e3
# Tries to find an operation that suits the values at each step.
ATTEMPTS = 25


def weights(shape: tuple) -> np.ndarray:
    """The fixed, uneven weights of the final weighted sum over a value of ``shape``."""
    size = math.prod(shape)
    return np.cos(np.arange(size) * 1.3 + 0.4).reshape(shape)


@dataclass
class Program:
    """A straight-line program: ``lines`` over inputs ``x0, x1, ...``, summing ``outputs``."""

    input_shapes: list[tuple]
    lines: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)

    def source(self) -> str:
        """The program as the source of ``def program(np, special, x0, ...)``."""
        params = ", ".join(["np", "special"] + [f"x{i}" for i in range(len(self.input_shapes))])
        terms = [f"np.sum({v} * weights(np.shape({v})))" for v in self.outputs]
        total = "\n            + ".join(terms)
        body = [f"    {line}" for line in self.lines]
        body.append(f"    return ({total})" if len(terms) > 1 else f"    return {total}")
        return "\n".join([f"def program({params}):"] + body) + "\n"

    def without(self, index: int) -> Program | None:
        """This program without line ``index``, or None if a later line uses its value.
        Values only that line used join the final sum."""
        name, expression = self.lines[index].split(" = ", 1)
        later = self.lines[index + 1:]
        if any(_uses(line, name) for line in later):
            return None
        rest = self.lines[:index] + later
        orphans = [n for n in dict.fromkeys(re.findall(r"\bv\d+\b", expression))
                   if n not in self.outputs and not any(_uses(line, n) for line in rest)]
        outputs = [n for n in self.outputs if n != name] + orphans
        if not outputs:
            return None
        return Program(self.input_shapes, rest, outputs, self.ops[:index] + self.ops[index + 1:])

    def function(self) -> Callable:
        """The program, compiled."""
        namespace = {"weights": weights}
        exec(compile(self.source(), "<fuzzed program>", "exec"), namespace)
        return namespace["program"]


def _uses(line: str, name: str) -> bool:
    """Whether the right-hand side of ``line`` reads the value ``name``."""
    return re.search(rf"\b{name}\b", line.split(" = ", 1)[1]) is not None


# --- drawing programs ------------------------------------------------------------------


class _Chooser:
    """The choices an operation's builder makes, drawn by Hypothesis (so they shrink)."""

    def __init__(self, draw: Callable, strategies: types.ModuleType):
        self._draw = draw
        self._st = strategies

    def integer(self, low: int, high: int) -> int:
        return self._draw(self._st.integers(low, high))

    def choice(self, items: Sequence):
        return self._draw(self._st.sampled_from(items))

    def flag(self) -> bool:
        return self._draw(self._st.booleans())


def _plain_namespace() -> dict:
    import scipy.special

    return {"np": np, "special": scipy.special, "weights": weights}


def _evaluate(expression: str, namespace: dict) -> np.ndarray | None:
    """The value of ``expression`` by plain NumPy, or None if it fails, warns, is not
    a real float array, or is too large."""
    try:
        with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
            warnings.simplefilter("error")
            value = np.asarray(eval(expression, namespace))
    except Exception:  # noqa: BLE001 - any failure just means: draw another operation
        return None
    if (value.dtype.kind != "f" or value.size > MAX_SIZE or not np.all(np.isfinite(value))
            or np.max(np.abs(value), initial=0.0) > MAX_MAGNITUDE):
        return None
    return value


def _operand(chooser: _Chooser, count: int) -> int:
    """An earlier value, most often the latest one, so operations compose deeply."""
    return count - 1 if chooser.flag() else chooser.integer(0, count - 1)


def _try_step(chooser: _Chooser, op: Op, names: list, values: list, namespace: dict):
    """Apply ``op`` to drawn earlier values: ``(expression, value, used names)`` or None."""
    first = _operand(chooser, len(values))
    used = [first]
    if op.arity == 2:
        partners = [j for j, b in enumerate(values) if op.fits(values[first], b)]
        if not partners:
            return None
        used.append(chooser.choice(partners))
    template = op.build(chooser, *(values[i] for i in used))
    if template is None:
        return None
    expression = template.format(*(names[i] for i in used))
    value = _evaluate(expression, namespace)
    return None if value is None else (expression, value, [names[i] for i in used])


def grow_program(chooser: _Chooser, inputs: list[np.ndarray], length: int) -> Program:
    """A program of up to ``length`` operations over ``inputs``, drawn step by step
    (evaluating each step with NumPy to know the shapes and where each value lies)."""
    program = Program([x.shape for x in inputs])
    names = [f"x{i}" for i in range(len(inputs))]
    values = list(inputs)
    namespace = {**_plain_namespace(), **dict(zip(names, values))}
    unused = []
    kinds = sorted(OPS)
    for step in range(length):
        for _ in range(ATTEMPTS):
            op = chooser.choice(OPS[chooser.choice(kinds)])
            found = _try_step(chooser, op, names, values, namespace)
            if found is not None:
                break
        else:
            break
        expression, value, used = found
        name = f"v{step}"
        program.lines.append(f"{name} = {expression}")
        program.ops.append(op.name)
        unused = [n for n in unused if n not in used] + [name]
        names.append(name)
        values.append(value)
        namespace[name] = value
    program.outputs = unused
    return program


def programs():
    """The Hypothesis strategy of ``(program, inputs)`` pairs."""
    hypothesis, st = _hypothesis()

    @st.composite
    def draw_program(draw):
        shapes = draw(st.lists(st.sampled_from(INPUT_SHAPES), min_size=1, max_size=3))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        inputs = [rng.uniform(-2.0, 2.0, size=shape) for shape in shapes]
        program = grow_program(_Chooser(draw, st), inputs, draw(st.integers(3, 25)))
        hypothesis.assume(len(program.lines) >= 3)
        return program, inputs

    return draw_program()


def _hypothesis():
    try:
        import hypothesis
        import hypothesis.strategies as st
    except ImportError as error:
        raise ImportError("the chainrule fuzzer needs Hypothesis, a test dependency: "
                          "pip install chainrule[test]") from error
    return hypothesis, st


# --- running ------------------------------------------------------------------------------


def reproducer(program: Program, inputs: Sequence[np.ndarray], error: BaseException) -> str:
    """A runnable Python file that checks ``program`` at ``inputs`` and so raises ``error``."""
    message = f"{type(error).__name__}: {error}".replace('"""', "'''")
    arrays = "".join(f"    numpy.array({np.asarray(x).tolist()!r}),\n" for x in inputs)
    return (f'"""A program on which chainrule fails the fuzzer\'s checks.\n\n{message}\n\n'
            f'Run this file to reproduce it.\n"""\n\nimport numpy\n\n'
            f"from chainrule.testing.fuzz import check_program, weights  # noqa: F401\n\n\n"
            f"{program.source()}\n\ninputs = [\n{arrays}]\n\n"
            f'if __name__ == "__main__":\n    check_program(program, inputs)\n')


class _Tally:
    """Programs checked before the first failure, and the last failing program
    (after shrinking, Hypothesis replays the minimal one last)."""

    def __init__(self):
        self.checked = 0
        self.failure: tuple | None = None

    def record(self, program: Program, inputs: list, error: BaseException | None) -> None:
        if self.failure is None:
            self.checked += 1
        if error is not None:
            self.failure = (program, inputs, error)


def fuzz_test(max_examples: int, seed: int | None = None, derandomize: bool = False,
              tally: _Tally | None = None) -> Callable[[], None]:
    """A test, called without arguments, that checks ``max_examples`` random programs
    drawn by Hypothesis; on a failure it raises ``FuzzFailure`` with a reproducer of the
    minimal failing program (shrunk by Hypothesis, then stripped of lines it needs not)."""
    hypothesis, _ = _hypothesis()
    tally = tally if tally is not None else _Tally()
    settings = hypothesis.settings(
        max_examples=max_examples, deadline=None, database=None, derandomize=derandomize,
        suppress_health_check=list(hypothesis.HealthCheck), report_multiple_bugs=False,
        phases=[hypothesis.Phase.generate, hypothesis.Phase.shrink], print_blob=False,
        verbosity=hypothesis.Verbosity.quiet)

    @settings
    @hypothesis.given(programs())
    def check_random_program(case):
        program, inputs = case
        error = failure(program, inputs)
        tally.record(program, inputs, error)
        if error is not None:
            raise error

    if seed is not None:
        check_random_program = hypothesis.seed(seed)(check_random_program)

    def test() -> None:
        try:
            check_random_program()
        except Exception:
            if tally.failure is None:
                raise
            program, inputs, error = tally.failure
            tally.failure = (minimize(program, inputs, error), inputs, error)
            raise FuzzFailure(f"{_first_line(error)}\n\n{reproducer(*tally.failure)}") from error

    return test


def failure(program: Program, inputs: Sequence[np.ndarray]) -> Exception | None:
    """What goes wrong when checking ``program`` at ``inputs``: None when all is well
    (or the point cannot be checked), else the error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            check_program(program.function(), inputs)
    except Rejected:
        _hypothesis()[0].reject()
    except Exception as error:  # noqa: BLE001 - every error is a finding
        return error
    return None


def minimize(program: Program, inputs: Sequence[np.ndarray], error: Exception) -> Program:
    """``program`` without every line it can lose while failing the same way."""
    kind = _kind(error)
    shrinking = True
    while shrinking:
        shrinking = False
        for index in reversed(range(len(program.lines))):
            smaller = program.without(index)
            if smaller is None:
                continue
            try:
                found = failure(smaller, inputs)
            except Exception:  # noqa: BLE001 - Hypothesis's rejection: not the same failure
                continue
            if found is not None and _kind(found) == kind:
                program, shrinking = smaller, True
    return program


def _kind(error: BaseException) -> str:
    """What failed, without the numbers: two errors of one kind are one finding."""
    first = _first_line(error).split(" disagrees")[0]
    return re.sub(r"[-+]?[\d.]+(e[-+]?\d+)?", "#", first)


def run(count: int, seed: int, out: Path, batch: int = 100,
        log: Callable[[str], None] = print) -> int:
    """Check ``count`` random programs, ``batch`` per Hypothesis run (each seeded from
    ``seed``), saving each failure's minimal reproducer in ``out``. Returns the number
    of failures."""
    checked = failures = runs = 0
    kinds: set[str] = set()
    started = time.monotonic()
    while checked < count:
        tally = _Tally()
        try:
            fuzz_test(min(batch, count - checked), seed=seed * 1_000_003 + runs, tally=tally)()
        except Exception as error:  # noqa: BLE001 - a failure, or Hypothesis giving up
            if tally.failure is None:
                log(f"run {runs} stopped: {_first_line(error)}")
            else:
                failures += 1
                out.mkdir(parents=True, exist_ok=True)
                path = out / f"failure-{seed}-{runs}.py"
                path.write_text(reproducer(*tally.failure))
                kind = _kind(tally.failure[2])
                log(f"FAILURE saved to {path}{' (a kind seen before)' if kind in kinds else ''}"
                    f": {_first_line(tally.failure[2])}")
                kinds.add(kind)
        runs += 1
        checked += tally.checked
        if tally.checked == 0:
            log("no program could be checked in a whole run; stopping")
            break
        log(f"{checked} programs checked, {failures} failures, "
            f"{time.monotonic() - started:.0f} s")
    log(f"done: {checked} programs checked with seed {seed}, {failures} failures "
        f"of {len(kinds)} kinds")
    return failures


def _first_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``python -m chainrule.testing.fuzz --programs N --seed S``."""
    parser = argparse.ArgumentParser(
        prog="python -m chainrule.testing.fuzz",
        description="Check chainrule's derivatives on random NumPy programs.")
    parser.add_argument("--programs", type=int, default=1000, help="how many programs to check")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random programs")
    parser.add_argument("--out", type=Path, default=Path("fuzz-failures"),
                        help="folder for the reproducers of failures")
    parser.add_argument("--batch", type=int, default=100,
                        help="programs per Hypothesis run (a failure ends its run)")
    options = parser.parse_args(argv)
    failures = run(options.programs, options.seed, options.out, options.batch,
                   log=lambda line: print(line, flush=True))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
