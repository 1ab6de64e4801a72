"""Foreign array types next to Tensors: containers that wrap arrays (xarray.DataArray,
or the tiny ``Labelled`` below with the same protocols) are left to wrap the Tensor,
whichever side it is on; masked arrays and matrices refuse loudly; plain ndarray
subclasses are arrays."""

import numpy as np
import pytest
from numpy.lib.mixins import NDArrayOperatorsMixin

import chainrule as cr


class Labelled(NDArrayOperatorsMixin):
    """An array with a label, wrapping whatever array it is given (as xarray does)."""

    __array_priority__ = 60

    def __init__(self, data, label="x"):
        self.data, self.label = data, label

    @staticmethod
    def _unwrap(x):
        if isinstance(x, Labelled):
            return x.data
        if isinstance(x, (list, tuple)):
            return type(x)(Labelled._unwrap(item) for item in x)
        return x

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        result = getattr(ufunc, method)(*map(self._unwrap, inputs), **kwargs)
        return Labelled(result, self.label)

    def __array_function__(self, func, types, args, kwargs):
        result = func(*map(self._unwrap, args), **kwargs)
        return Labelled(result, self.label)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.data, dtype=dtype)


THREE = Labelled(np.array(3.0))


@pytest.mark.parametrize("product", [
    lambda x: x * THREE * x, lambda x: THREE * x * x, lambda x: x * (x * THREE),
    lambda x: np.multiply(x, THREE) * x,
])
def test_a_container_wraps_the_tensor_whichever_side_it_is_on(product):
    out = product(cr.tensor(1.0))
    assert isinstance(out, Labelled) and isinstance(out.data, cr.Tensor)
    assert cr.grad(lambda x: product(x).data)(1.0) == pytest.approx(6.0)
    assert cr.jvp(lambda x: product(x).data, (1.0,), (1.0,))[1] == pytest.approx(6.0)
    assert cr.hessian(lambda x: product(x).data)(1.0) == pytest.approx(6.0)


def test_numpy_functions_on_a_container_holding_a_tensor_keep_the_gradient():
    weights = Labelled(np.array([2.0, 3.0]))
    gradient = cr.grad(lambda x: np.sum(np.sin(x) * weights).data)(np.array([0.1, 0.2]))
    np.testing.assert_allclose(gradient, np.cos([0.1, 0.2]) * [2.0, 3.0])


@pytest.mark.parametrize("transform", [
    lambda f: cr.grad(f)(1.0),
    lambda f: cr.value_and_grad(f)(1.0),
    lambda f: cr.jvp(f, (1.0,), (1.0,)),
    lambda f: cr.vjp(f, 1.0),
    lambda f: cr.elementwise_grad(f)(np.ones(2)),
])
def test_returning_the_container_instead_of_the_array_inside_is_refused(transform):
    with pytest.raises(TypeError, match="container that wraps arrays"):
        transform(lambda x: x * THREE)


def test_masked_arrays_refuse_on_either_side_instead_of_dropping_the_mask():
    masked = np.ma.masked_array([2.0, 3.0], mask=[False, True])
    for product in (lambda x: x * masked, lambda x: masked * x,
                    lambda x: np.multiply(x, masked)):
        with pytest.raises(TypeError):
            cr.grad(lambda x, product=product: np.sum(product(x)))(np.ones(2))


def test_plain_ndarray_subclasses_are_arrays():
    class Plain(np.ndarray):
        pass

    weights = np.array([2.0, 3.0]).view(Plain)
    for product in (lambda x: x * weights, lambda x: weights * x):
        gradient = cr.grad(lambda x, product=product: np.sum(product(x)))(np.ones(2))
        np.testing.assert_allclose(gradient, [2, 3])


def test_xarray_dataarray_on_either_side_gives_the_gradient():
    xr = pytest.importorskip("xarray")
    da = xr.DataArray(np.array([2.0, 3.0]), dims="x")
    for product in (lambda x: x * da * x, lambda x: da * x * x):
        assert isinstance(product(cr.tensor(np.ones(2))).data, cr.Tensor)
        gradient = cr.grad(lambda x, product=product: np.sum(product(x)).data)(
            np.array([1.0, 2.0]))
        np.testing.assert_allclose(gradient, 2 * np.array([1.0, 2.0]) * [2.0, 3.0])
    with pytest.raises(TypeError, match=r"\.data of an xarray.DataArray"):
        cr.grad(lambda x: np.sum(x * da))(np.ones(2))
