"""Transforms that used to raise where the derivative exists: Jacobians of outputs that
share intermediates, ufunc methods, jacfwd over several arguments at once."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule._core.rules import JointVjp


def central_jacobian(f, x, eps=1e-6):
    """d f(x) / d x by central differences, shaped ``f(x).shape + x.shape``."""
    x = np.asarray(x, dtype=float)
    columns = []
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = eps
        step = step.reshape(x.shape)
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    out_shape = np.shape(f(x))
    return np.moveaxis(np.array(columns), 0, -1).reshape(out_shape + x.shape)


X = np.array([0.5, 1.5, -0.7])
V = np.array([0.3, -1.1])


# --- jacobian of outputs whose leaves share an intermediate ---------------------------

def shared_pair(x):
    y = x * x
    return y * 2.0, np.sin(y)


def test_jacobian_of_a_tuple_whose_leaves_share_an_intermediate():
    jac = cr.jacobian(shared_pair)(X)
    for k in range(2):
        expected = central_jacobian(lambda x, k=k: shared_pair(x)[k], X)
        np.testing.assert_allclose(jac[k], expected, rtol=1e-6, atol=1e-8)


def test_jacobian_of_a_dict_whose_leaves_share_an_intermediate():
    def f(x):
        y = np.exp(x)
        return {"total": np.sum(y), "scaled": y * 3.0, "again": y}

    jac = cr.jacobian(f)(X)
    for key in ("total", "scaled", "again"):
        expected = central_jacobian(lambda x, key=key: f(x)[key], X)
        np.testing.assert_allclose(jac[key], expected, rtol=1e-6, atol=1e-8)


def test_jacobian_of_the_same_output_twice():
    def f(x):
        y = np.tanh(x)
        return y, y

    jac = cr.jacobian(f)(X)
    expected = np.diag(1 - np.tanh(X) ** 2)
    np.testing.assert_allclose(jac[0], expected)
    np.testing.assert_allclose(jac[1], expected)


def test_jacobian_of_a_gradient_over_two_arguments():
    def g(a, b):
        return np.sum(np.sin(a * b))

    x = np.array([0.5, 1.5])
    jac = cr.jacobian(cr.grad(g, argnums=(0, 1)), argnums=(0, 1))(x, x)
    for out in range(2):
        for wrt in range(2):
            def part(z, out=out, wrt=wrt):
                args = [x, x]
                args[wrt] = z
                return cr.grad(g, argnums=(0, 1))(*args)[out]

            np.testing.assert_allclose(jac[out][wrt], central_jacobian(part, x), rtol=1e-6,
                                       atol=1e-8)


def test_jacobian_nested_in_jacobian_with_tuple_outputs():
    inner = cr.jacobian(shared_pair)
    outer = cr.jacobian(lambda x: inner(x)[1])(X)
    expected = central_jacobian(lambda x: inner(x)[1], X)
    np.testing.assert_allclose(outer, expected, rtol=1e-5, atol=1e-7)


def test_hessian_over_two_arguments_from_reverse_over_reverse():
    def g(a, b):
        return np.sum(np.exp(a) * b ** 2)

    rev = cr.jacobian(cr.grad(g, argnums=(0, 1)), argnums=(0, 1))(X, X)
    fwd = cr.hessian(g, argnums=(0, 1))(X, X)
    for out in range(2):
        for wrt in range(2):
            np.testing.assert_allclose(rev[out][wrt], fwd[out][wrt], rtol=1e-12)


# --- ufunc methods --------------------------------------------------------------------

@pytest.mark.parametrize(("name", "method", "args"), [
    ("add", "outer", (X, V)),
    ("multiply", "reduce", (X,)),
    ("add", "accumulate", (X,)),
    ("maximum", "reduce", (X,)),
    ("subtract", "accumulate", (X,)),
])
def test_dropin_ufunc_methods_work_on_plain_arrays(name, method, args):
    result = getattr(getattr(cnp, name), method)(*args)
    np.testing.assert_array_equal(result, getattr(getattr(np, name), method)(*args))


def test_dropin_ufunc_keeps_numpy_attributes_and_keyword_calls():
    assert cnp.add.nin == 2 and cnp.add.identity == 0 and cnp.add.__name__ == "add"
    out = np.empty(3)
    cnp.multiply(X, X, out=out)
    np.testing.assert_array_equal(out, X * X)


@pytest.mark.parametrize("f", [
    lambda a: np.multiply.outer(a, a),
    lambda a: np.subtract.outer(a, a[:2] ** 2),
    lambda a: np.add.outer(np.array([1.0, 2.0]), np.sin(a)),
    lambda a: cnp.power.outer(np.exp(a), a),
    lambda a: np.add.accumulate(a ** 3),
    lambda a: np.multiply.accumulate(a),
    lambda a: np.maximum.accumulate(a),
    lambda a: np.subtract.accumulate(np.exp(a)),
    lambda a: np.add.reduce(np.outer(a, a), axis=1),
    lambda a: np.maximum.reduce(np.outer(a, a), axis=0, keepdims=True),
    lambda a: np.minimum.reduce(a),
    lambda a: np.logaddexp.reduce(a),
    lambda a: np.hypot.accumulate(a),
    lambda a: np.subtract.reduce(np.outer(a, a), axis=-1, keepdims=True),
    lambda a: np.divide.accumulate(np.reshape(np.exp(a), (3, 1)) * np.ones((3, 2)), axis=0),
], ids=["multiply.outer", "subtract.outer", "add.outer-plain-first", "power.outer",
        "add.accumulate", "multiply.accumulate", "maximum.accumulate", "subtract.accumulate",
        "add.reduce-axis", "maximum.reduce-keepdims", "minimum.reduce", "logaddexp.reduce",
        "hypot.accumulate", "subtract.reduce-keepdims", "divide.accumulate-2d"])
def test_ufunc_methods_on_tensors_match_numpy_and_finite_differences(f):
    np.testing.assert_allclose(f(cr.tensor(X)).numpy(), f(X), rtol=1e-12)
    jac = cr.jacobian(f)(X)
    np.testing.assert_allclose(jac, central_jacobian(f, X), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(cr.jacfwd(f)(X), jac, rtol=1e-10, atol=1e-12)


def test_ufunc_reduce_with_initial_matches_numpy_and_its_gradient():
    f = lambda a: np.logaddexp.reduce(a, initial=0.5)  # noqa: E731
    assert float(f(cr.tensor(X)).numpy()) == pytest.approx(f(X), rel=1e-12)
    np.testing.assert_allclose(cr.grad(f)(X), central_jacobian(f, X), rtol=1e-6)


def test_ufunc_method_without_a_rule_names_the_method():
    with pytest.raises(TypeError, match=r"numpy\.add\.reduceat has no derivative rule"):
        np.add.reduceat(cr.tensor(X, requires_grad=True), [0, 2])


def test_fold_over_several_axes_says_to_reduce_one_at_a_time():
    t = cr.tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(TypeError, match="reduce one axis at a time"):
        np.logaddexp.reduce(t, axis=None)


# --- jacfwd over several arguments ----------------------------------------------------

def test_jacfwd_traces_every_argument_together():
    a = np.array([[1.0, 2.0], [3.0, -1.0]])
    f = lambda a, v: np.sum(a.dot(v))  # noqa: E731  (plain ndarray.dot meets a Tensor)
    fwd = cr.jacfwd(f, argnums=(0, 1))(a, V)
    rev = cr.jacobian(f, argnums=(0, 1))(a, V)
    np.testing.assert_allclose(fwd[0], np.outer(np.ones(2), V))
    np.testing.assert_allclose(fwd[1], a.sum(axis=0))
    for f_part, r_part in zip(fwd, rev):
        np.testing.assert_allclose(f_part, r_part)


def test_jacfwd_over_pytree_arguments_matches_finite_differences():
    def f(params, x):
        return {"y": np.tanh(params["w"] * x + params["b"]), "s": np.sum(x ** 2) * params["b"]}

    params = {"w": np.array([0.4, -0.2, 1.1]), "b": np.array(0.3)}
    jac = cr.jacfwd(f, argnums=(0, 1))(params, X)
    rev = cr.jacobian(f, argnums=(0, 1))(params, X)
    for key in ("y", "s"):
        expected = central_jacobian(lambda x, key=key: f(params, x)[key], X)
        np.testing.assert_allclose(jac[key][1], expected, rtol=1e-6, atol=1e-8)
        for name in ("w", "b"):
            def part(p, key=key, name=name):
                return f({**params, name: p}, X)[key]

            expected = central_jacobian(part, params[name])
            np.testing.assert_allclose(jac[key][0][name], expected, rtol=1e-6, atol=1e-8)
            np.testing.assert_allclose(jac[key][0][name], rev[key][0][name], rtol=1e-12)


def test_jacfwd_over_arguments_of_different_dtypes_keeps_each_dtype():
    f = lambda a, b: a * b  # noqa: E731
    a, b = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0])
    ja, jb = cr.jacfwd(f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ja, np.diag(b))
    np.testing.assert_allclose(jb, np.diag(a))


def test_hessian_over_two_arguments_matches_finite_differences_of_the_gradient():
    def g(a, v):
        return np.sum(np.sin(a @ v))

    a = np.array([[1.0, 2.0], [3.0, -1.0]])
    hess = cr.hessian(g, argnums=(0, 1))(a, V)
    grad_v = lambda a_, v_: cr.grad(g, argnums=1)(a_, v_)  # noqa: E731
    np.testing.assert_allclose(hess[1][1], central_jacobian(lambda v: grad_v(a, v), V),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hess[1][0], central_jacobian(lambda m: grad_v(m, V), a),
                               rtol=1e-6, atol=1e-8)


def test_jacfwd_with_aux_over_two_arguments_runs_the_function_once():
    calls = []

    def f(a, b):
        calls.append(1)
        return a * b, "aux"

    jac, aux = cr.jacfwd(f, argnums=(0, 1), has_aux=True)(X, X)
    assert aux == "aux" and len(calls) == 1
    np.testing.assert_allclose(jac[0], np.diag(X))


# --- checkpoint: one recomputation gives every argument's cotangent -------------------

def test_checkpoint_with_an_index_array_and_a_flag_among_its_arguments():
    def block(u, index, mode):
        return np.sin(u[index]) ** 2 if mode == "square" else u

    f = lambda x: cr.checkpoint(block, x, np.array([0, 2]), "square")  # noqa: E731
    plain = lambda x: block(x, np.array([0, 2]), "square")  # noqa: E731
    np.testing.assert_allclose(cr.jacobian(f)(X), central_jacobian(plain, X), rtol=1e-6,
                               atol=1e-8)
    np.testing.assert_allclose(cr.grad(lambda x: np.sum(f(x)))(X),
                               cr.grad(lambda x: np.sum(plain(x)))(X))


def test_checkpoint_recomputes_once_per_backward_pass_for_all_its_arguments():
    calls = []

    def block(u, v):
        calls.append(1)
        return u * v + np.sin(u)

    a = cr.tensor(X, requires_grad=True)
    b = cr.tensor(X[::-1].copy(), requires_grad=True)
    np.sum(cr.checkpoint(block, a, b)).backward()
    assert len(calls) == 2  # the forward pass, and one recomputation in backward
    np.testing.assert_allclose(a.grad.numpy(), X[::-1] + np.cos(X))
    np.testing.assert_allclose(b.grad.numpy(), X)


def test_reverse_over_reverse_through_a_checkpoint_matches_the_plain_hessian():
    def block(u, v):
        return np.sin(u * v) * u

    checkpointed = lambda x: np.sum(cr.checkpoint(block, x, x[::-1]))  # noqa: E731
    plain = lambda x: np.sum(block(x, x[::-1]))  # noqa: E731
    np.testing.assert_allclose(cr.jacobian(cr.grad(checkpointed))(X), cr.hessian(plain)(X),
                               rtol=1e-12)


def product_with_a_joint_rule():
    """``a * b`` whose one VJP rule returns both arguments' cotangents, counting its calls."""
    calls = []

    def both(g, ans, a, b):
        calls.append(1)
        return g * b, g * a

    prim = cr.primitive(lambda a, b: a * b)
    prim.vjps = JointVjp(both)
    prim.saves_args = True
    return prim, calls


def test_a_joint_rule_runs_once_per_node_and_serves_every_order():
    prim, calls = product_with_a_joint_rule()
    a = cr.tensor(X, requires_grad=True)
    b = cr.tensor(X ** 2, requires_grad=True)
    np.sum(prim(a, b)).backward()
    assert len(calls) == 1
    np.testing.assert_allclose(a.grad.numpy(), X ** 2)
    np.testing.assert_allclose(b.grad.numpy(), X)
    np.testing.assert_allclose(cr.jacobian(lambda x: prim(x, np.sin(x)))(X),
                               np.diag(np.sin(X) + X * np.cos(X)))
    np.testing.assert_allclose(cr.grad(cr.grad(lambda x: prim(x, x ** 2)))(0.7), 6 * 0.7)


def test_a_joint_rule_without_a_cotangent_for_a_traced_argument_names_it():
    prim = cr.primitive(lambda a, b: a * b)
    prim.vjps = JointVjp(lambda g, ans, a, b: (g * b, None))
    prim.saves_args = True
    x = cr.tensor(X, requires_grad=True)
    with pytest.raises(NotImplementedError, match="no derivative rule .VJP. for its argument 1"):
        np.sum(prim(x, x)).backward()


def test_ufunc_method_options_without_a_rule_are_named():
    t = cr.tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.multiply\.outer with \['dtype'\]"):
        np.multiply.outer(t, t, dtype=np.float32)
    with pytest.raises(TypeError, match=r"numpy\.subtract\.reduce with \['where'\]"):
        np.subtract.reduce(t, where=np.array([True, False, True]))


# --- tall Jacobians: seeds pushed back in chunks of rows ------------------------------

def test_jacobian_in_chunks_of_seed_rows_equals_forward_mode(monkeypatch):
    import chainrule.transforms as transforms

    a = np.random.default_rng(3).standard_normal((50, 7))

    def f(x):
        return np.tanh(a @ x) * x.sum(), x * 2.0

    x = np.random.default_rng(4).standard_normal(7)
    whole = cr.jacobian(f)(x)
    monkeypatch.setattr(transforms, "SEED_CHUNK_BYTES", 8 * 50 * 3)  # 3 rows a chunk
    assert len(transforms._identity_rows(50, (50,), np.float64)) == 17
    chunked = cr.jacobian(f)(x)
    for got, exact, forward in zip(chunked, whole, cr.jacfwd(f)(x)):
        np.testing.assert_allclose(got, exact, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got, forward, rtol=1e-12, atol=1e-12)
    scalar = lambda x: np.sum(np.tanh(a @ x) ** 2)
    np.testing.assert_allclose(cr.jacobian(cr.jacobian(scalar))(x),
                               cr.jacfwd(cr.jacfwd(scalar))(x), rtol=1e-10, atol=1e-12)
