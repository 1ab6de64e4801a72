"""The conformance table on Dask arrays: every case's value, reverse-mode gradient and
forward-mode derivative, with its differentiable inputs as chunked Dask arrays, equal
the NumPy run (the rules are the same), and building them computes nothing.

A primitive declared NumPy-only (``numpy_only``, set where it is defined) must refuse
Dask arrays with a TypeError instead; a few cases use indexing forms or NumPy
functions that Dask itself refuses, each listed below with Dask's error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule._core.arrays import is_lazy
from chainrule._core.primitive import strip
from chainrule.ops.registry import PRIMITIVES

from ..ops.test_conformance import CASES, _inputs, _wrt

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
from chainrule.testing import forbid_compute  # noqa: E402  (needs Dask)

NUMPY_ONLY = {name for name, prim in PRIMITIVES.items() if prim.numpy_only}

# Cases Dask refuses before any primitive of chainrule's is reached, or in a way
# that does not depend on chainrule: the case id and a fragment of Dask's error.
DASK_REFUSES = {
    "getitem-pairs": "nd fancy indexing",
    "getitem-linalg.diagonal": "nd fancy indexing",
    "getitem-diagonal": "nd fancy indexing",
    "getitem-diagonal-offset": "nd fancy indexing",
    "getitem-diagonal-axes": "nd fancy indexing",
    "getitem-diag-of-matrix": "nd fancy indexing",
    "getitem-take-along-axis": "nd fancy indexing",
    "getitem-take-along-axis-broadcast": "nd fancy indexing",
    "getitem-take-axis": "not supported between instances",  # a 2-d integer index
    "clip-corrcoef": "nd fancy indexing",
    "scatter_add-diag-of-vector": "at most one dimension",
    "scatter_add-diag-offset": "at most one dimension",
    "tril-vector": "Chunks and shape",
    "triu-vector": "Chunks and shape",
    # np.convolve and np.correlate gather with a 2-d integer index:
    "matmul-convolve-full": "not supported between instances",
    "matmul-convolve-same": "not supported between instances",
    "matmul-convolve-valid": "not supported between instances",
    "matmul-correlate": "not supported between instances",
    "where-interp": "_meta",
    "real-real-if-close": "not implemented by Dask",
    "permute_along-partition": "not implemented by Dask",
    "permute_along-partition-flat": "not implemented by Dask",
    "matmul-correlate-longer-kernel": "not supported between instances",
    "reshape-2d": "reshape only supports",
    "reshape-complex": "reshape only supports",
    "reshape-minus-one": "reshape only supports",
    "reshape-order-f": "reshape only supports",
    "reshape-method": "reshape only supports",
}


# Where the call Dask refuses is a NumPy function chainrule calls to prepare a primitive's
# arguments (argpartition's order, interp's bins, real_if_close's test), not a primitive.
FAILS_OUTSIDE_A_PRIMITIVE = {"where-interp", "real-real-if-close", "permute_along-partition",
                             "permute_along-partition-flat"}


def _chunks(shape: tuple) -> tuple:
    """Chunks of half the longest axis along every axis: the longest is split in two,
    and axes of equal length are split alike (as einsum's repeated indices need)."""
    if not shape or max(shape) < 2:
        return shape
    return ((max(shape) + 1) // 2,) * len(shape)


def _lazy(x):
    return da.from_array(np.asarray(x), chunks=_chunks(np.shape(x)))


def _derivatives(case, values, cotangent, directions):
    """The case's value, its gradients of <cotangent, f> and its tangent along
    ``directions``, for the differentiable inputs given in ``values``."""
    wrt = _wrt(case)
    tensors = list(values)
    for i in wrt:
        tensors[i] = cr.tensor(values[i], requires_grad=True)
    out = case.fn(*tensors)
    grads = cr.gradients((out * cotangent).sum(), [tensors[i] for i in wrt], allow_unused=True)

    def along(*xs):
        full = list(values)
        for i, x in zip(wrt, xs):
            full[i] = x
        return case.fn(*full)

    _, tangent = cr.jvp(along, [values[i] for i in wrt], directions)
    return strip(out), [None if g is None else strip(g) for g in grads], strip(tangent)


def _lazily(case, values, cotangent, directions):
    """``_derivatives`` on Dask inputs, checking that building them computes nothing
    and that no NumPy function falls back to computing a Dask array."""
    lazy_values = list(values)
    for i in _wrt(case):
        lazy_values[i] = _lazy(values[i])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*is not implemented by Dask array.*")
        with forbid_compute():
            return _derivatives(case, lazy_values, cotangent, [_lazy(d) for d in directions])


def _expected_refusal(case):
    if case.id in DASK_REFUSES:
        return Exception, DASK_REFUSES[case.id]
    if {case.prim, *case.extra_prims} & NUMPY_ONLY:
        return TypeError, "works on NumPy arrays only"
    return None


FLOAT32_SAMPLE = CASES[::12]


def _check(case, dtype, rtol):
    values = _inputs(case, dtype)
    rng = np.random.default_rng(1)
    expected_out = case.fn(*values)
    cotangent = rng.standard_normal(np.shape(expected_out)).astype(dtype)
    directions = [rng.standard_normal(np.shape(values[i])).astype(dtype) for i in _wrt(case)]

    refusal = _expected_refusal(case)
    if refusal is not None:
        error, fragment = refusal
        with pytest.raises(error, match=fragment.replace("(", r"\(").replace(")", r"\)")) as raised:
            _lazily(case, values, cotangent, directions)
        if hasattr(raised.value, "add_note") and case.id not in FAILS_OUTSIDE_A_PRIMITIVE:
            # Python 3.11+: a note on the error names the primitive and the array type
            notes = getattr(raised.value, "__notes__", ())
            assert any("primitive '" in note and "dask.array" in note for note in notes) \
                or "works on NumPy arrays only" in str(raised.value), notes
        return
    lazy = _lazily(case, values, cotangent, directions)
    out, grads, tangent = lazy
    assert is_lazy(out) and is_lazy(tangent), "the value and tangent should stay lazy"
    assert all(g is None or is_lazy(g) for g in grads), "gradients should stay lazy"

    eager = _derivatives(case, values, cotangent, directions)
    with dask.config.set(scheduler="synchronous"):
        computed = dask.compute(lazy)[0]
    for got, want, what in zip(computed, eager, ("value", "gradients", "tangent")):
        got = got if isinstance(got, list) else [got]
        want = want if isinstance(want, list) else [want]
        for g, w in zip(got, want):
            if w is None:
                assert g is None, f"{what}: a gradient where NumPy gives none"
                continue
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol, err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_dask_inputs_give_numpy_values_and_derivatives_lazily(case):
    if not _wrt(case):
        pytest.skip("no differentiable input")
    _check(case, np.float64, 1e-12)


@pytest.mark.parametrize("case", FLOAT32_SAMPLE, ids=[c.id for c in FLOAT32_SAMPLE])
def test_float32_dask_inputs_give_numpy_values_and_derivatives(case):
    if not _wrt(case) or np.float32 not in case.dtypes:
        pytest.skip("not applicable")
    _check(case, np.float32, 1e-5)


def test_the_refused_cases_exist():
    ids = {c.id for c in CASES}
    assert not set(DASK_REFUSES) - ids, "a listed case was renamed or removed"
