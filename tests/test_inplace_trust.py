"""In-place changes never give a silently wrong value or derivative.

Three mechanisms, each tested here:
- a view made by indexing writes through to its base (and the base's other views
  follow), as in NumPy; other views of traced values refuse in-place changes;
- an untraced array a node saves is copied, so changing it later cannot change the
  derivative of a value already computed;
- a traced value's array handed out raw (``.data``, ``detach()``) and then written is
  reported by backward(); ``.numpy()`` of a traced value is read-only.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def central_gradient(f, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(x.size)])


def assert_value_and_grad_match_numpy(f, x):
    value, grad = cr.value_and_grad(f)(x)
    assert value == pytest.approx(f(x), rel=1e-12)
    np.testing.assert_allclose(grad, central_gradient(f, x), rtol=1e-6, atol=1e-8)
    return grad


X = np.array([1.0, 2.0, 3.0])


# --- views made by indexing write through to their base ------------------------------

def test_in_place_change_of_a_slice_changes_the_base_value_and_gradient():
    def f(x):
        y = x * 1.0
        v = y[0:2]
        v += 1.0
        return (y * y).sum()

    grad = assert_value_and_grad_match_numpy(f, X)
    np.testing.assert_allclose(grad, [4.0, 6.0, 6.0])  # 2 (x + [1, 1, 0])


def test_augmented_index_assignment_counts_the_change_once():
    def f(x):
        y = x * 1.0
        y[0:2] += x[1:]
        return (y * y).sum()

    assert_value_and_grad_match_numpy(f, X)


def test_other_views_of_the_base_see_the_change():
    def f(x):
        y = x * 1.0
        a, b = y[0:2], y[1:3]
        a *= x[:2]
        return (b * b).sum() + (y * y).sum()

    assert_value_and_grad_match_numpy(f, X)


def test_views_of_views_write_through_every_level():
    def f(x):
        y = x * 1.0
        a = y[0:2]
        b = a[1:]
        b *= 3.0
        return (y * y).sum() + (a * a).sum() + b.sum()

    assert_value_and_grad_match_numpy(f, X)


def test_views_follow_an_in_place_change_of_their_base():
    def f(x):
        y = x * 2.0
        v = y[1:]
        y += x
        return (v * v).sum()

    assert_value_and_grad_match_numpy(f, X)


def test_write_through_works_in_forward_mode():
    def f(x):
        y = x * 1.0
        v = y[0:2]
        v *= x[1:]
        return (y * y).sum()

    direction = np.array([0.3, -0.2, 0.5])
    value, tangent = cr.jvp(f, (X,), (direction,))
    assert value == pytest.approx(f(X))
    assert tangent == pytest.approx(central_gradient(f, X) @ direction, rel=1e-6)


def test_write_through_into_an_untraced_base_makes_it_traced():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([10.0, 20.0, 30.0])
    v = c[0:2]
    v += x * x
    c.sum().backward()
    np.testing.assert_array_equal(c.numpy(), [11.0, 24.0, 30.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_in_place_change_of_a_slice_of_a_leaf_that_requires_grad_is_refused():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = x[0:2]
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        v += 1.0


def test_in_place_change_of_a_reshaped_view_is_refused():
    def f(x):
        y = x * 1.0
        t = y.reshape(3, 1)
        t += 1.0
        return y.sum()

    with pytest.raises(RuntimeError, match=r"view \(reshape\).*v.copy\(\)"):
        cr.grad(f)(X)


# --- untraced arrays a node saves are copied -----------------------------------------

def test_changing_a_numpy_array_after_use_leaves_the_gradient_as_at_use():
    a = np.array([1.0, 2.0])
    x = cr.tensor([3.0, 4.0], requires_grad=True)
    y = (x * a).sum()
    a[:] = 100.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])


def test_a_buffer_reused_in_a_loop_gives_each_step_its_own_values():
    def f(x):
        buffer = np.empty(2)
        total = 0.0
        for k in range(3):
            buffer[:] = k + 1.0
            total = total + (x * buffer).sum()
        return total

    np.testing.assert_array_equal(cr.grad(f)(np.array([1.0, 1.0])), [6.0, 6.0])


@pytest.mark.parametrize("write", [
    lambda w: np.copyto(w, np.array([9.0, 9.0])),
    lambda w: np.put(w, [0], [9.0]),
    lambda w: np.add.at(w, [0], 9.0),
    lambda w: np.put_along_axis(w, np.array([0]), 9.0, axis=0),
    lambda w: w.data.__setitem__(0, 9.0),
    lambda w: w.numpy().__setitem__(0, 9.0),
], ids=["copyto", "put", "add.at", "put_along_axis", "data", "numpy"])
def test_numpy_writes_into_a_constant_tensor_after_use_leave_the_gradient(write):
    x = cr.tensor([3.0, 4.0], requires_grad=True)
    w = cr.tensor([1.0, 2.0])
    y = (x * w).sum()
    write(w)
    assert w.numpy()[0] != 1.0  # the write happened
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])


def test_fill_diagonal_of_a_constant_after_use_leaves_the_gradient():
    x = cr.tensor(np.ones((2, 2)), requires_grad=True)
    w = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = (x * w).sum()
    np.fill_diagonal(w, 0.0)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 2.0], [3.0, 4.0]])


def test_read_only_arrays_are_saved_without_a_copy():
    a = np.array([1.0, 2.0])
    a.flags.writeable = False
    x = cr.tensor([3.0, 4.0], requires_grad=True)
    y = x * a
    assert y.grad_fn.vals[1] is a


@pytest.mark.parametrize("mode", ["jvp", "grad"])
def test_changing_a_constant_inside_a_transform_leaves_the_derivative(mode):
    def f(x):
        w = np.array([1.0, 2.0])
        out = x * w
        w += 100.0
        return out

    x = np.array([1.0, 1.0])
    if mode == "jvp":
        tangent = cr.jvp(f, (x,), (np.ones(2),))[1]
    else:
        tangent = cr.grad(lambda x: f(x).sum())(x)
    np.testing.assert_array_equal(tangent, [1.0, 2.0])


# --- raw hand-outs of traced values ---------------------------------------------------

def test_writing_through_data_after_use_is_reported_at_backward():
    x = cr.tensor([3.0, 4.0], requires_grad=True)
    y = (x * x).sum()
    x.data[0] = 9.0
    with pytest.raises(RuntimeError, match=r"'multiply'.*raw NumPy array.*clone\(\)"):
        y.backward()
    assert x.grad is None


def test_writing_through_a_detached_array_after_use_is_reported_at_backward():
    x = cr.tensor([3.0, 4.0], requires_grad=True)
    y = (x * x).sum()
    x.detach().numpy()[0] = 9.0
    with pytest.raises(RuntimeError, match="raw NumPy array"):
        y.backward()


def test_numpy_of_a_traced_tensor_is_read_only():
    x = cr.tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(ValueError, match="read-only"):
        x.numpy()[0] = 9.0
    np.testing.assert_array_equal(x.numpy(), [3.0, 4.0])


def test_reading_data_between_forward_and_backward_is_allowed():
    x = cr.tensor([3.0, 4.0], requires_grad=True)
    y = (x * x).sum()
    assert x.data.sum() == 7.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 8.0])


def test_parameter_update_through_data_after_backward_is_allowed():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(2):
        loss = (w * w).sum()
        loss.backward()
        w.data -= 0.25 * w.grad.numpy()
        w.grad = None
    np.testing.assert_allclose(w.numpy(), [0.25, 0.5])


def test_writing_into_a_traced_input_inside_forward_mode_is_reported():
    def f(x):
        y = np.sin(x)
        x.data[0] = 5.0
        return y

    with pytest.raises(RuntimeError, match=r"'sin'.*raw NumPy array"):
        cr.jvp(f, (np.array([0.1, 0.2]),), (np.ones(2),))


def test_numpy_writing_functions_refuse_a_traced_destination():
    x = cr.tensor([3.0, 4.0], requires_grad=True)
    y = x * 2.0
    with pytest.raises(TypeError, match="numpy.copyto"):
        np.copyto(y, np.zeros(2))
