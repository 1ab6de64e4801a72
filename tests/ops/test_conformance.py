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
            cases.extend(importlib.import_module(f"{package}.{info.name}").CASES)
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
        stack.extend(parent for _, parent in node.parents)
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
    if not isinstance(inner, cr.Tensor) or not inner.requires_grad:
        return  # the function is linear in its inputs: nothing second-order to check
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
