"""Errors and bad input (SPEC §9): every misuse raises an error that names the
problem and the fix, and no failed call changes any tensor's ``.grad``.

Each test asserts the error type and fragments of the message: what went wrong
(the operation, the shapes, the function) and what to do instead.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import chainrule as cr


def message_of(excinfo) -> str:
    return str(excinfo.value)


def assert_mentions(excinfo, *fragments: str) -> None:
    message = message_of(excinfo)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"message {message!r} does not mention {missing}"


def snapshot_grads(*tensors):
    """The exact .grad of each tensor: None, or (the same object, a copy of its values)."""
    return [None if t.grad is None else (t.grad, t.grad.numpy().copy()) for t in tensors]


def assert_grads_unchanged(tensors, snapshot) -> None:
    for t, before in zip(tensors, snapshot, strict=True):
        if before is None:
            assert t.grad is None, f"a failed call set .grad to {t.grad!r}"
        else:
            obj, values = before
            assert t.grad is obj, "a failed call replaced .grad"
            np.testing.assert_array_equal(t.grad.numpy(), values)


# --- backward() arguments ----------------------------------------------------------------

def test_backward_gradient_of_the_wrong_shape_names_both_shapes():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    with pytest.raises(ValueError) as excinfo:
        y.backward(gradient=np.ones(3))
    assert_mentions(excinfo, "(3,)", "(2,)", "gradient")


def test_backward_gradient_that_would_broadcast_is_still_rejected():
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError) as excinfo:
        (x * 2.0).backward(gradient=np.ones(3))
    assert_mentions(excinfo, "(3,)", "(2, 3)")


def test_backward_of_a_non_scalar_without_gradient_says_to_pass_one():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as excinfo:
        (x * 3.0).backward()
    assert_mentions(excinfo, "(2,)", "gradient", ".sum().backward()")


def test_backward_on_a_tensor_that_does_not_require_grad_says_how_to_fix():
    with pytest.raises(RuntimeError) as excinfo:
        (cr.tensor([1.0]) * 2.0).backward()
    assert_mentions(excinfo, "does not require grad", "requires_grad=True")


def test_backward_on_a_result_made_under_no_grad_mentions_no_grad():
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        y = x * 2.0
    with pytest.raises(RuntimeError) as excinfo:
        y.backward()
    assert_mentions(excinfo, "no_grad")


def test_second_backward_through_a_freed_graph_names_the_operation_and_retain_graph():
    x = cr.tensor([2.0], requires_grad=True)
    y = np.sin(x) * x
    y.backward()
    with pytest.raises(RuntimeError) as excinfo:
        y.backward()
    assert_mentions(excinfo, "second time", "freed", "retain_graph=True", "'multiply'")


def test_backward_after_gradients_freed_the_graph_is_an_error():
    x = cr.tensor([2.0], requires_grad=True)
    y = x * x
    cr.gradients(y, x)
    with pytest.raises(RuntimeError) as excinfo:
        y.backward()
    assert_mentions(excinfo, "retain_graph=True")


def test_gradients_with_an_unused_input_says_allow_unused():
    x = cr.tensor([1.0], requires_grad=True)
    unused = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError) as excinfo:
        cr.gradients(x * 2.0, [x, unused])
    assert_mentions(excinfo, "not used", "allow_unused=True")


# --- NumPy functions without a derivative rule -------------------------------------------

NO_RULE = {
    "unwrap": (lambda t: np.unwrap(t), "numpy.unwrap"),
    "cond": (lambda t: np.linalg.cond(t.reshape(2, 2)), "numpy.linalg.cond"),
    "ufunc-method": (lambda t: np.add.reduceat(t, [0, 2]), "numpy.add.reduceat"),
}


@pytest.mark.parametrize("name", list(NO_RULE))
def test_numpy_function_without_a_rule_raises_instead_of_returning_an_array(name):
    call, qualified_name = NO_RULE[name]
    x = cr.tensor([1.0, 2.0, 0.5, -1.0], requires_grad=True)
    with pytest.raises(TypeError) as excinfo:
        call(x)
    assert_mentions(excinfo, "no derivative rule", "primitive", ".detach()")
    assert qualified_name.rsplit(".", 1)[-1] in message_of(excinfo)


@pytest.mark.parametrize("name", list(NO_RULE))
def test_numpy_function_without_a_rule_is_named_by_its_full_numpy_name(name):
    call, qualified_name = NO_RULE[name]
    x = cr.tensor([1.0, 2.0, 0.5, -1.0], requires_grad=True)
    with pytest.raises(TypeError) as excinfo:
        call(x)
    assert re.search(rf"\b{re.escape(qualified_name)}\b", message_of(excinfo)), \
        message_of(excinfo)


def test_numpy_function_without_a_rule_raises_inside_grad():
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda v: np.unwrap(v)[0])(np.array([1.0, 2.0]))
    assert_mentions(excinfo, "unwrap", "no derivative rule")


def test_the_suggested_fix_detach_works_for_a_function_without_a_rule():
    x = cr.tensor([1.0, 2.0, 0.5, -1.0], requires_grad=True)
    np.testing.assert_allclose(np.unwrap(x.detach()), np.unwrap([1.0, 2.0, 0.5, -1.0]))


def test_ufunc_where_argument_is_rejected_with_the_np_where_alternative():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as excinfo:
        np.sin(x, where=np.array([True, False]))
    assert_mentions(excinfo, "where=", "np.where")


def test_np_asarray_of_a_tracked_tensor_says_to_detach():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as excinfo:
        np.asarray(x)
    assert_mentions(excinfo, "requires grad", "gradient would be lost", ".detach()")


def test_np_array_of_a_tracked_tensor_says_to_detach():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as excinfo:
        np.array(x)
    assert_mentions(excinfo, ".detach()")


def test_np_asarray_of_an_untracked_tensor_is_allowed():
    np.testing.assert_array_equal(np.asarray(cr.tensor([1.0, 2.0])), [1.0, 2.0])


# --- integer and boolean inputs ----------------------------------------------------------

@pytest.mark.parametrize("value", [2, np.array([1, 2]), True, np.int32(3)],
                         ids=["int", "int-array", "bool", "numpy-int"])
def test_grad_with_respect_to_an_integer_input_says_to_pass_floats(value):
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda a: np.sum(a * a))(value)
    assert_mentions(excinfo, "integer", "float")


def test_grad_argnums_pointing_at_an_integer_input_is_an_error():
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda a, n: a * n, argnums=1)(2.0, 3)
    assert_mentions(excinfo, "integer", "2.0")


def test_integer_inputs_not_differentiated_are_fine():
    assert cr.grad(lambda a, n: a * n)(2.0, 3) == 3.0


def test_requires_grad_on_an_int_tensor_names_the_dtype_and_the_fix():
    with pytest.raises(TypeError) as excinfo:
        cr.tensor([1, 2], requires_grad=True)
    assert_mentions(excinfo, "int64", "float", "dtype=")


def test_requires_grad_setter_on_an_int_tensor_is_an_error():
    t = cr.tensor([1, 2])
    with pytest.raises(TypeError) as excinfo:
        t.requires_grad = True
    assert_mentions(excinfo, "float")
    assert not t.requires_grad


def test_requires_grad_on_a_non_leaf_says_to_detach():
    y = cr.tensor([1.0], requires_grad=True) * 2.0
    with pytest.raises(RuntimeError) as excinfo:
        y.requires_grad_(False)
    assert_mentions(excinfo, "leaf", ".detach()")


# --- leaving the graph through Python numbers --------------------------------------------

def test_float_of_a_traced_value_inside_grad_names_the_problem():
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda a: float(a) * a)(1.5)
    assert_mentions(excinfo, "float()", "derivative", "np.sin")


def test_int_of_a_traced_value_inside_grad_is_an_error():
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda a: int(a) * a)(1.5)
    assert_mentions(excinfo, "int()")


def test_math_function_on_a_traced_value_inside_grad_points_to_numpy():
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda a: math.sin(a))(1.5)
    assert_mentions(excinfo, "math.", "np.sin")


def test_float_of_an_ordinary_scalar_tensor_is_allowed():
    assert float(cr.tensor(2.5, requires_grad=True)) == 2.5


def test_tensor_of_a_tracked_tensor_says_clone_or_detach():
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError) as excinfo:
        cr.tensor(x)
    assert_mentions(excinfo, "clone()", "detach()")


def test_tensor_of_a_list_of_tracked_tensors_points_to_an_existing_function():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as excinfo:
        cr.tensor([x[0], x[1]])
    assert_mentions(excinfo, "chainrule.numpy.array")
    for name in re.findall(r"\bcr\.(\w+)", message_of(excinfo)):
        assert hasattr(cr, name), f"the message suggests cr.{name}, which does not exist"


def test_the_suggested_chainrule_numpy_array_keeps_the_gradient():
    import chainrule.numpy as cnp

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cnp.array([x[1], x[0] * 3.0])
    y.backward(gradient=np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 1.0])


# --- in-place changes of values the graph saved ------------------------------------------

# A constant (untraced) array is copied when a node saves it, so changing it later
# leaves the derivative of the value that was computed: d(x * c)/dx is c as it was.

def test_assignment_into_a_saved_constant_leaves_the_gradient_as_at_use():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0, 4.0])
    y = x * c
    c[0] = 5.0
    y.backward(gradient=np.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_in_place_operator_on_a_saved_constant_leaves_the_gradient_as_at_use():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0, 4.0])
    y = np.sin(x * c)
    c += 1.0
    y.backward(gradient=np.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), np.cos([3.0, 8.0]) * [3.0, 4.0])


def test_no_grad_update_of_a_saved_leaf_is_reported_at_backward():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    y = w * w
    with cr.no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError) as excinfo:
        y.backward(gradient=np.ones(2))
    assert_mentions(excinfo, "'multiply'", "modified in place")
    assert w.grad is None


def test_no_grad_assignment_into_a_saved_leaf_is_reported_at_backward():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    y = np.sin(w)
    with cr.no_grad():
        w[1] = 0.0
    with pytest.raises(RuntimeError) as excinfo:
        y.backward(gradient=np.ones(2))
    assert_mentions(excinfo, "'sin'", "modified in place")


def test_no_grad_update_of_a_saved_output_is_reported_at_backward():
    # exp's derivative reads its output: changing y in place changes what backward uses.
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    y = np.exp(x)
    with cr.no_grad():
        y += 1.0
    with pytest.raises(RuntimeError) as excinfo:
        y.backward(gradient=np.ones(2))
    assert_mentions(excinfo, "'exp'", "modified in place")


def test_changing_a_constant_through_a_slice_view_leaves_the_gradient_as_at_use():
    x = cr.tensor([1.0, 1.0], requires_grad=True)
    c = cr.tensor([1.0, 2.0, 3.0])
    y = x * c[:2]
    c[0] = 5.0
    y.backward(gradient=np.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])


def test_changing_a_leaf_after_detach_leaves_the_gradient_as_at_use():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([1.0, 1.0], requires_grad=True)
    y = w * x.detach()
    with cr.no_grad():
        x -= 1.0
    y.backward(gradient=np.ones(2))
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])


def test_changing_a_saved_leaf_through_its_detached_twin_is_reported_at_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    twin = x.detach()
    twin += 1.0
    with pytest.raises(RuntimeError) as excinfo:
        y.backward(gradient=np.ones(2))
    assert_mentions(excinfo, "'multiply'", "modified in place", "clone()")


def test_changing_a_value_the_graph_did_not_save_is_allowed():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0, 4.0])
    y = x + c  # the gradient of + does not need c
    c[0] = 5.0
    y.backward(gradient=np.array([2.0, 3.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 3.0])


def test_in_place_operator_on_a_leaf_that_requires_grad_says_no_grad_or_clone():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as excinfo:
        w *= 2.0
    assert_mentions(excinfo, "leaf", "no_grad", "clone()")


def test_assignment_into_a_leaf_that_requires_grad_says_no_grad_or_clone():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as excinfo:
        w[0] = 3.0
    assert_mentions(excinfo, "leaf", "no_grad", "clone()")
    assert w.tolist() == [1.0, 2.0]


def test_differentiable_assignment_through_repeated_indices_is_an_error():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = cr.tensor([1.0, 2.0], requires_grad=True)
    t = x * 1.0
    t[np.array([0, 0])] = v
    with pytest.raises(ValueError) as excinfo:
        t.backward(gradient=np.ones(3))
    assert_mentions(excinfo, "repeats", "unique indices")


# --- transforms and checkpoint ------------------------------------------------------------

def test_grad_of_a_non_scalar_function_points_to_jacobian():
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda a: a * 2.0)(np.ones(2))
    assert_mentions(excinfo, "scalar output", "(2,)", "jacobian()")


def test_checkpoint_of_a_function_that_captures_a_tracked_tensor_says_to_pass_it():
    w = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError) as excinfo:
        cr.checkpoint(lambda a: a * w, cr.tensor([2.0]))
    assert_mentions(excinfo, "args")


# --- failures leave .grad exactly as it was -----------------------------------------------

def _raise(g):
    raise ValueError("hook failed")


def test_exception_in_the_middle_of_backward_leaves_every_grad_unchanged():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, -1.0], requires_grad=True)
    (a * b).backward(gradient=np.ones(2))  # a.grad = b, b.grad = a
    fresh = cr.tensor([0.5, 0.5], requires_grad=True)
    hb = b * fresh  # the walk goes from the newest record to the oldest: this one is last
    hb.register_hook(_raise)
    late = cr.tensor([2.0, 2.0], requires_grad=True)  # newer than hb: reached before it
    late.grad = cr.tensor([5.0, 5.0])
    ha = a * late
    ha.retain_grad()
    before = snapshot_grads(a, b, fresh, late, ha)
    with pytest.raises(ValueError, match="hook failed"):
        (ha * 2.0 + hb + late).backward(gradient=np.ones(2))
    assert_grads_unchanged([a, b, fresh, late, ha], before)
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, -1.0])
    np.testing.assert_array_equal(late.grad.numpy(), [5.0, 5.0])


def test_exception_in_a_leaf_hook_leaves_the_other_leaves_unchanged():
    a = cr.tensor([1.0], requires_grad=True)
    b = cr.tensor([2.0], requires_grad=True)
    a.grad = cr.tensor([10.0])
    b.register_hook(_raise)
    before = snapshot_grads(a, b)
    with pytest.raises(ValueError, match="hook failed"):
        (a * b).backward()
    assert_grads_unchanged([a, b], before)


def test_in_place_error_during_backward_leaves_every_grad_unchanged():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.grad = cr.tensor([7.0, 7.0])
    c = cr.tensor([3.0, 4.0], requires_grad=True)
    saved = x * c
    late = cr.tensor([1.0, 1.0], requires_grad=True)  # newer: reached before the multiply
    late.grad = cr.tensor([9.0, 9.0])
    y = saved + np.exp(late)
    with cr.no_grad():
        c[1] = 0.0
    before = snapshot_grads(x, late)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward(gradient=np.ones(2))
    assert_grads_unchanged([x, late], before)


def test_failed_backward_does_not_touch_an_unrelated_tensors_grad():
    other = cr.tensor([1.0, 2.0], requires_grad=True)
    (other * 3.0).backward(gradient=np.ones(2))
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    before = snapshot_grads(other, x)
    with pytest.raises(ValueError):
        y.backward(gradient=np.ones(5))
    with pytest.raises(RuntimeError):
        y.backward()
    y.backward(gradient=np.ones(2))  # the graph is still usable after rejected calls
    assert_grads_unchanged([other], before[:1])
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_failed_second_backward_keeps_the_first_gradient():
    x = cr.tensor([2.0], requires_grad=True)
    y = x * x
    y.backward()
    before = snapshot_grads(x)
    with pytest.raises(RuntimeError):
        y.backward()
    assert_grads_unchanged([x], before)
    np.testing.assert_allclose(x.grad.numpy(), [4.0])


def test_rejected_in_place_update_of_a_leaf_keeps_its_grad():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w * w).backward(gradient=np.ones(2))
    before = snapshot_grads(w)
    with pytest.raises(RuntimeError):
        w += 1.0
    assert_grads_unchanged([w], before)


@pytest.mark.parametrize("mode", [cr.grad, lambda f: lambda a: cr.jvp(f, (a,), (a,))[1]])
def test_eigvals_at_a_repeated_eigenvalue_is_an_error_not_nan(mode):
    sum_of_real_parts = lambda a: np.sum(np.real(np.linalg.eigvals(a)))
    with pytest.raises(np.linalg.LinAlgError) as excinfo:
        mode(sum_of_real_parts)(np.diag([3.0, 3.0, 1.0]))
    assert_mentions(excinfo, "eigvals", "equal", "np.trace")
    # Away from the tie the gradient exists: d trace(A) / dA = I.
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(cr.grad(sum_of_real_parts)(a), np.eye(2), atol=1e-12)


@pytest.mark.parametrize("fn", [lambda x: x > 0, lambda x: np.sum(x) > 0,
                                lambda x: np.isfinite(x)])
def test_grad_of_a_function_returning_a_boolean_says_so(fn):
    with pytest.raises(TypeError) as excinfo:
        cr.grad(fn)(np.array(1.5))
    assert_mentions(excinfo, "boolean", "comparison", "return the float value")
