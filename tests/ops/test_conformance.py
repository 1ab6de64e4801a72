"""Every registered primitive against finite differences: the conformance table.

For each case and dtype: the forward value equals NumPy's; the reverse-mode
gradient of <u, f(x)> matches a central difference along a random direction;
and (order 2) the derivative of <w, gradient> along a direction matches a
central difference of the first-order gradients.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops.registry import PRIMITIVES

from . import case as case_module


def _load_cases():
    cases = []
    package = __name__.rsplit(".", 1)[0]
    directory = case_module.__file__.rsplit("/", 1)[0]
    for info in pkgutil.iter_modules([directory]):
        if info.name.startswith("cases_"):
            module = importlib.import_module(f"{package}.{info.name}")
            cases.extend(case_module.split_complex(c) if c.complex else c
                         for c in module.CASES)
    return cases


CASES = _load_cases()
TOLERANCE = {np.float64: 1e-5, np.float32: 2e-2}


def _inputs(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [arg.make(rng, dtype) for arg in case.args]


def _wrt(case):
    return [i for i, arg in enumerate(case.args) if arg.differentiable]


def _gradient(case, values, cotangent, create_graph=False):
    """Reverse-mode gradient of <cotangent, f(values)> for the differentiable inputs."""
    tensors = list(values)
    for i in _wrt(case):
        tensors[i] = cr.tensor(values[i], requires_grad=True)
    out = case.fn(*tensors)
    total = (out * cotangent).sum()
    return cr.gradients(total, [tensors[i] for i in _wrt(case)], create_graph=create_graph,
                        allow_unused=True), tensors, out


def _objective(case, values, cotangent):
    return float(np.sum(np.asarray(case.fn(*values), dtype=np.float64) * cotangent))


def _shifted(case, values, directions, step):
    shifted = list(values)
    for i, d in zip(_wrt(case), directions):
        shifted[i] = values[i] + step * d
    return shifted


def _dot(grads, directions):
    return sum(float(np.sum(np.asarray(g.numpy() if g is not None else 0.0,
                                       dtype=np.float64) * d))
               for g, d in zip(grads, directions))


def _case_ids():
    return [c.id for c in CASES]


COMPLEX_CASES = [c for c in CASES if c.complex_source is not None]


@pytest.mark.parametrize("case", COMPLEX_CASES, ids=[c.id for c in COMPLEX_CASES])
def test_complex_gradient_is_d_dx_minus_i_d_dy(case):
    """JAX's convention, checked at the complex inputs themselves: the gradient of a
    real loss L(x + iy) is dL/dx - i dL/dy (found from the case's real split)."""
    source, wrt = case.complex_source, _wrt(case)
    values = _inputs(case, np.float64)
    cotangent = np.random.default_rng(5).standard_normal(np.shape(case.fn(*values)))
    split_grads, _, _ = _gradient(case, values, cotangent)
    parts = [np.zeros_like(values[i]) if g is None else g.numpy()
             for g, i in zip(split_grads, wrt)]
    expected = [x - 1j * y for x, y in zip(parts[::2], parts[1::2])]

    complex_values, position = [], iter(values)
    for arg in source.args:
        complex_values.append(next(position) + 1j * next(position) if arg.differentiable
                              else next(position))
    complex_wrt = [i for i, arg in enumerate(source.args) if arg.differentiable]

    def loss(*zs):
        out = source.fn(*_replace(complex_values, complex_wrt, zs))
        return np.sum(cotangent[0] * np.real(out) + cotangent[1] * np.imag(out))

    got = cr.grad(loss, argnums=tuple(range(len(complex_wrt))))(
        *[complex_values[i] for i in complex_wrt])
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def test_every_primitive_is_in_the_table():
    covered = {c.prim for c in CASES} | {p for c in CASES for p in c.extra_prims}
    missing = sorted(set(PRIMITIVES) - covered)
    assert not missing, f"primitives with no conformance case: {missing}"


def test_every_case_names_a_registered_primitive():
    unknown = sorted({c.prim for c in CASES} - set(PRIMITIVES))
    assert not unknown, f"cases name primitives that are not registered: {unknown}"


def _primitives_used(out):
    names, stack, seen = set(), [out._node], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(node.name)
        stack.extend(parent for parent in node.parents if parent is not None)
    return names


@pytest.mark.parametrize("case", CASES, ids=_case_ids())
def test_forward_matches_numpy_and_uses_the_primitive(case):
    values = _inputs(case, np.float64)
    expected = case.fn(*values)
    _, _, out = _gradient(case, values, np.ones(np.shape(expected)))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    if _wrt(case):
        assert case.prim in _primitives_used(out)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=_case_ids())
def test_first_order_matches_finite_differences(case, dtype):
    if dtype not in case.dtypes or not _wrt(case):
        pytest.skip("not applicable")
    values = _inputs(case, dtype)
    rng = np.random.default_rng(1)
    cotangent = rng.standard_normal(np.shape(case.fn(*values))).astype(dtype)
    directions = [rng.standard_normal(np.shape(values[i])) for i in _wrt(case)]
    grads, _, out = _gradient(case, values, cotangent)
    for g, i in zip(grads, _wrt(case)):
        if g is not None:
            assert g.dtype == dtype, f"gradient of input {i} has dtype {g.dtype}"
            assert g.shape == np.shape(values[i])
    exact = _dot(grads, directions)
    values64 = [np.asarray(v, np.float64) if isinstance(v, np.ndarray) and
                v.dtype.kind == "f" else v for v in values]
    step = 1e-6
    numeric = (_objective(case, _shifted(case, values64, directions, step), cotangent)
               - _objective(case, _shifted(case, values64, directions, -step), cotangent)
               ) / (2 * step)
    tol = TOLERANCE[dtype] * max(case.rtol / 1e-5, 1.0)
    assert exact == pytest.approx(numeric, rel=tol, abs=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", [c for c in CASES if c.order >= 2],
                         ids=[c.id for c in CASES if c.order >= 2])
def test_second_order_matches_finite_differences(case, dtype):
    if dtype not in case.dtypes or not _wrt(case):
        pytest.skip("not applicable")
    values = _inputs(case, dtype)
    rng = np.random.default_rng(2)
    cotangent = rng.standard_normal(np.shape(case.fn(*values))).astype(dtype)
    directions = [rng.standard_normal(np.shape(values[i])).astype(dtype) for i in _wrt(case)]
    weights = [rng.standard_normal(np.shape(values[i])).astype(dtype) for i in _wrt(case)]

    grads, tensors, _ = _gradient(case, values, cotangent, create_graph=True)
    inner = sum((g * w).sum() for g, w in zip(grads, weights) if g is not None)
    traced = isinstance(inner, cr.Tensor) and inner.requires_grad
    if case.linear:
        assert not traced, "the case is marked linear=True but its gradient depends on its inputs"
        pytest.skip("linear in its inputs: the second derivative is zero")
    assert traced, ("the gradient is not traced under create_graph=True; if the case is linear "
                    "(or piecewise linear) in its inputs, mark it linear=True")
    second = cr.gradients(inner, [tensors[i] for i in _wrt(case)], allow_unused=True)
    exact = _dot(second, directions)

    values64 = [np.asarray(v, np.float64) if isinstance(v, np.ndarray) and
                v.dtype.kind == "f" else v for v in values]
    cot64 = np.asarray(cotangent, np.float64)
    step = 1e-5

    def first(shift):
        g, _, _ = _gradient(case, _shifted(case, values64, directions, shift), cot64)
        return _dot(g, [np.asarray(w, np.float64) for w in weights])

    numeric = (first(step) - first(-step)) / (2 * step)
    tol = (1e-4 if dtype == np.float64 else 3e-2) * max(case.rtol / 1e-5, 1.0)
    assert exact == pytest.approx(numeric, rel=tol, abs=tol)


# --- forward mode ---------------------------------------------------------------

# Primitives deliberately without a JVP rule, with the reason. Everything else
# must have one for every differentiable argument.
REVERSE_ONLY: dict[str, str] = {}


def _jvp(case, values, directions):
    """Forward-mode derivative of f along ``directions`` (one per differentiable input)."""
    wrt = _wrt(case)

    def along(*xs):
        full = list(values)
        for i, x in zip(wrt, xs):
            full[i] = x
        return case.fn(*full)

    return cr.jvp(along, [values[i] for i in wrt], directions)


def test_every_primitive_has_jvp_rules_or_a_stated_reason():
    missing = []
    for name, prim in PRIMITIVES.items():
        if name in REVERSE_ONLY:
            continue
        vjps = prim.vjps
        count = len(vjps) if isinstance(vjps, list) else None
        jvps = prim.jvps
        if count is None:
            ok = not isinstance(jvps, list) or len(jvps) > 0
        else:
            ok = isinstance(jvps, list) and len(jvps) >= count and all(
                j is not None for v, j in zip(vjps, jvps) if v is not None)
        if not ok:
            missing.append(name)
    assert not missing, f"primitives without JVP rules (and not listed reverse-only): {missing}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=_case_ids())
def test_forward_mode_matches_finite_differences_and_reverse_mode(case, dtype):
    if dtype not in case.dtypes or not _wrt(case) or case.prim in REVERSE_ONLY:
        pytest.skip("not applicable")
    values = _inputs(case, dtype)
    rng = np.random.default_rng(3)
    cotangent = rng.standard_normal(np.shape(case.fn(*values))).astype(dtype)
    directions = [rng.standard_normal(np.shape(values[i])).astype(dtype) for i in _wrt(case)]
    out, tangent = _jvp(case, values, directions)
    assert np.asarray(tangent).dtype == np.asarray(out).dtype
    forward = float(np.sum(np.asarray(tangent, np.float64) * cotangent))

    grads, _, _ = _gradient(case, values, cotangent)
    reverse = _dot(grads, directions)
    tol = TOLERANCE[dtype] * max(case.rtol / 1e-5, 1.0)
    assert forward == pytest.approx(reverse, rel=tol * 1e-2, abs=tol * 1e-2)

    values64 = [np.asarray(v, np.float64) if isinstance(v, np.ndarray) and
                v.dtype.kind == "f" else v for v in values]
    step = 1e-6
    numeric = (_objective(case, _shifted(case, values64, directions, step), cotangent)
               - _objective(case, _shifted(case, values64, directions, -step), cotangent)
               ) / (2 * step)
    assert forward == pytest.approx(numeric, rel=tol, abs=tol)


@pytest.mark.parametrize("case", [c for c in CASES if c.order >= 2],
                         ids=[c.id for c in CASES if c.order >= 2])
def test_forward_over_reverse_and_forward_over_forward_second_order(case):
    if not _wrt(case) or case.prim in REVERSE_ONLY:
        pytest.skip("not applicable")
    values = _inputs(case, np.float64)
    rng = np.random.default_rng(4)
    cotangent = rng.standard_normal(np.shape(case.fn(*values)))
    directions = [rng.standard_normal(np.shape(values[i])) for i in _wrt(case)]
    weights = [rng.standard_normal(np.shape(values[i])) for i in _wrt(case)]
    wrt = _wrt(case)

    def weighted_gradient(*xs):
        full = list(values)
        for i, x in zip(wrt, xs):
            full[i] = x

        def objective(*ys):
            inner = list(full)
            for i, y in zip(wrt, ys):
                inner[i] = y
            return np.sum(case.fn(*inner) * cotangent)

        grads = cr.grad(objective, argnums=tuple(range(len(wrt))))(*xs)
        return sum(np.sum(g * w) for g, w in zip(grads, weights))

    _, over_reverse = cr.jvp(weighted_gradient, [values[i] for i in wrt], directions)
    step = 1e-5
    shifted = lambda s: weighted_gradient(*[values[i] + s * d for i, d in zip(wrt, directions)])
    numeric = (shifted(step) - shifted(-step)) / (2 * step)
    tol = 1e-4 * max(case.rtol / 1e-5, 1.0)
    assert float(over_reverse) == pytest.approx(numeric, rel=tol, abs=tol)

    def directional(*xs):
        _, t = _jvp(case, [*values[:0], *_replace(values, wrt, xs)], directions)
        return np.sum(t * cotangent)

    _, over_forward = cr.jvp(directional, [values[i] for i in wrt], directions)
    shifted_f = lambda s: directional(*[values[i] + s * d for i, d in zip(wrt, directions)])
    numeric_f = (shifted_f(step) - shifted_f(-step)) / (2 * step)
    assert float(over_forward) == pytest.approx(numeric_f, rel=tol, abs=tol)


def _replace(values, wrt, xs):
    full = list(values)
    for i, x in zip(wrt, xs):
        full[i] = x
    return full


@pytest.mark.parametrize("case", CASES, ids=_case_ids())
def test_batched_jacobians_match_one_direction_at_a_time(case):
    """jacfwd and jacobian push a whole basis through each rule at once (or one by one
    for rules that cannot batch); for every differentiable input, both must equal the
    Jacobian built row by row from unbatched vector-Jacobian products."""
    if not _wrt(case) or case.prim in REVERSE_ONLY:
        pytest.skip("not applicable")
    values = _inputs(case, np.float64)
    # The other inputs stay Tensors (not requiring grad), as a plain array could meet a
    # Tensor in a NumPy method that cannot dispatch (``ndarray.dot``, ``y[i] = v``).
    constants = [cr.tensor(values[i]) for i in _wrt(case)]
    for position in _wrt(case):
        def along(x, position=position):
            return case.fn(*_replace(_replace(values, _wrt(case), constants), [position], [x]))

        out, pullback = cr.vjp(along, values[position])
        out_shape = np.shape(out)
        rows = [pullback(e.reshape(out_shape))[0] for e in np.eye(int(np.prod(out_shape)))]
        expected = np.reshape(np.array(rows), out_shape + np.shape(values[position]))
        for transform in (cr.jacobian, cr.jacfwd):
            np.testing.assert_allclose(transform(along)(values[position]), expected,
                                       rtol=1e-10, atol=1e-12,
                                       err_msg=f"{transform.__name__} of input {position}")
