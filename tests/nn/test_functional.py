"""chainrule.nn.functional: activations, layers as functions, convolution and pooling.

Values are checked against closed forms and, when torch is installed, against
torch; derivatives against finite differences up to second order, and forward
mode against reverse mode.
"""

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.ops.convolution  # noqa: F401  (registers the primitives before ops/__init__ does)
from chainrule.nn import functional as F
from chainrule.testing import check_grads

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)) * 2

ACTIVATIONS = {
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "softplus": lambda x: F.softplus(x, beta=2.0, threshold=3.0),
    "softmax": lambda x: F.softmax(x, axis=0),
    "log_softmax": F.log_softmax,
}


def _normal_cdf(x):
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _log_softmax_closed_form(x, axis=-1):
    return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))


CLOSED_FORMS = {
    "relu": lambda x: np.where(x > 0, x, 0.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "gelu": lambda x: x * _normal_cdf(x),
    "gelu_tanh": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "softplus": lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(axis=0),
    "log_softmax": _log_softmax_closed_form,
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_match_closed_forms(name):
    out = ACTIVATIONS[name](cr.tensor(X))
    np.testing.assert_allclose(out.numpy(), CLOSED_FORMS[name](X), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivatives_match_finite_differences_to_second_order(name):
    x = X + 0.05  # keep entries away from the kinks at 0 and the softplus threshold
    check_grads(ACTIVATIONS[name], x, order=2, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_keeps_float32(name):
    x = cr.tensor(X.astype(np.float32), requires_grad=True)
    out = ACTIVATIONS[name](x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_forward_mode_matches_reverse_mode(name):
    fn = ACTIVATIONS[name]
    direction = RNG.standard_normal(X.shape)
    cotangent = RNG.standard_normal(X.shape)
    _, tangent = cr.jvp(fn, [X], [direction])
    _, pullback = cr.vjp(fn, X)
    (reverse,) = pullback(cotangent)
    assert np.sum(tangent * cotangent) == pytest.approx(np.sum(reverse * direction), rel=1e-12)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch(name):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    reference = {
        "relu": tf.relu, "leaky_relu": lambda x: tf.leaky_relu(x, 0.2),
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "gelu": tf.gelu,
        "gelu_tanh": lambda x: tf.gelu(x, approximate="tanh"), "silu": tf.silu,
        "softplus": lambda x: tf.softplus(x, beta=2.0, threshold=3.0),
        "softmax": lambda x: tf.softmax(x, dim=0), "log_softmax": lambda x: tf.log_softmax(x, -1),
    }[name]
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 2e-6)):
        data = X.astype(dtype)
        ours = cr.tensor(data, requires_grad=True)
        theirs = torch.tensor(data, requires_grad=True)
        cotangent = RNG.standard_normal(X.shape).astype(dtype)
        out = ACTIVATIONS[name](ours)
        (out * cotangent).sum().backward()
        expected = reference(theirs)
        (expected * torch.tensor(cotangent)).sum().backward()
        np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tol, atol=tol)


def test_sigmoid_is_exact_at_extremes():
    out = F.sigmoid(np.array([-800.0, -40.0, 0.0, 40.0, 800.0]))
    np.testing.assert_allclose(out, [0.0, math.exp(-40) / (1 + math.exp(-40)), 0.5, 1.0, 1.0],
                               rtol=1e-15)


def test_softmax_and_log_softmax_do_not_overflow():
    x = cr.tensor([[1000.0, 1000.0, -1000.0]], requires_grad=True)
    np.testing.assert_allclose(F.softmax(x).numpy(), [[0.5, 0.5, 0.0]])
    log_p = F.log_softmax(x)
    np.testing.assert_allclose(log_p.numpy(), [[-math.log(2), -math.log(2), -2000 - math.log(2)]])
    log_p[0, 0].backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, -0.5, 0.0]])


def test_relu_gradient_at_zero_is_zero():
    x = cr.tensor([0.0, 1.0, -1.0], requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_functions_accept_plain_arrays_and_return_arrays():
    assert isinstance(F.relu(X), np.ndarray)
    assert isinstance(F.softmax(X), np.ndarray)


def test_hessian_of_log_softmax_entry_is_the_negative_softmax_covariance():
    x = RNG.standard_normal(4)
    hessian = cr.jacobian(cr.grad(lambda v: F.log_softmax(v)[0]))(x)
    p = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(hessian, -(np.diag(p) - np.outer(p, p)), atol=1e-14)


# --- linear, dropout, normalisation, embedding ---------------------------------------------
def test_linear_is_x_times_weight_transposed_plus_bias():
    w, b = RNG.standard_normal((5, 4)), RNG.standard_normal(5)
    np.testing.assert_allclose(F.linear(cr.tensor(X), w, b).numpy(), X @ w.T + b, rtol=1e-14)
    np.testing.assert_allclose(F.linear(X, w), X @ w.T, rtol=1e-14)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (4,)], ids=["matrix", "batched", "vector"])
def test_linear_derivatives_match_finite_differences(shape):
    x = RNG.standard_normal(shape)
    w, b = RNG.standard_normal((5, 4)), RNG.standard_normal(5)
    check_grads(F.linear, x, w, b, order=2)
    check_grads(lambda x, w: F.linear(x, w), x, w, order=2)


def test_linear_forward_mode_matches_reverse_mode():
    w, b = RNG.standard_normal((5, 4)), RNG.standard_normal(5)
    directions = [RNG.standard_normal(a.shape) for a in (X, w, b)]
    cotangent = RNG.standard_normal((3, 5))
    _, tangent = cr.jvp(F.linear, [X, w, b], directions)
    _, pullback = cr.vjp(F.linear, X, w, b)
    reverse = pullback(cotangent)
    assert np.sum(tangent * cotangent) == pytest.approx(
        sum(np.sum(g * d) for g, d in zip(reverse, directions, strict=True)), rel=1e-12)


def test_dropout_in_evaluation_is_the_identity():
    x = cr.tensor(X)
    assert F.dropout(x, 0.5, training=False) is x


def test_dropout_zeroes_and_rescales_with_a_seeded_generator():
    x = np.ones((200, 50))
    out = F.dropout(x, 0.3, training=True, rng=np.random.default_rng(1))
    again = F.dropout(x, 0.3, training=True, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(out, again)
    assert set(np.unique(out)) == {0.0, 1 / 0.7}
    assert np.mean(out == 0) == pytest.approx(0.3, abs=0.02)


def test_dropout_gradient_is_the_mask():
    x = cr.tensor(np.ones((4, 5)), requires_grad=True)
    out = F.dropout(x, 0.5, rng=np.random.default_rng(2))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.numpy())


def test_dropout_with_probability_one_gives_zeros_and_zero_gradient():
    x = cr.tensor(np.ones(3), requires_grad=True)
    out = F.dropout(x, 1.0)
    out.sum().backward()
    np.testing.assert_array_equal(out.numpy(), 0.0)
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)


def test_dropout_rejects_a_probability_outside_zero_one():
    with pytest.raises(ValueError, match="probability"):
        F.dropout(X, 1.5)


def test_layer_norm_normalises_trailing_axes():
    x = RNG.standard_normal((2, 3, 4)) * 3 + 1
    out = F.layer_norm(x, (3, 4), eps=0.0)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0.0, atol=1e-14)
    np.testing.assert_allclose(out.var(axis=(1, 2)), 1.0, rtol=1e-12)


def test_layer_norm_derivatives_match_finite_differences():
    x = RNG.standard_normal((2, 3))
    w, b = RNG.standard_normal(3), RNG.standard_normal(3)
    check_grads(lambda x, w, b: F.layer_norm(x, 3, w, b), x, w, b, order=2)


def test_layer_norm_rejects_a_shape_that_is_not_trailing():
    with pytest.raises(ValueError, match="normalized_shape"):
        F.layer_norm(X, (3,))


def test_batch_norm_in_training_uses_batch_statistics_and_updates_running_ones():
    x = RNG.standard_normal((6, 2, 3)) * 2 + 5
    mean, var = np.zeros(2), np.ones(2)
    out = F.batch_norm(x, mean, var, training=True, momentum=0.25, eps=0.0)
    np.testing.assert_allclose(out.mean(axis=(0, 2)), 0.0, atol=1e-13)
    np.testing.assert_allclose(out.var(axis=(0, 2)), 1.0, rtol=1e-12)
    np.testing.assert_allclose(mean, 0.25 * x.mean(axis=(0, 2)), rtol=1e-14)
    np.testing.assert_allclose(var, 0.75 + 0.25 * x.var(axis=(0, 2), ddof=1), rtol=1e-14)


def test_batch_norm_in_evaluation_uses_running_statistics():
    x = RNG.standard_normal((4, 2))
    mean, var = np.array([1.0, -1.0]), np.array([4.0, 0.25])
    out = F.batch_norm(x, mean, var, weight=np.array([2.0, 3.0]), bias=np.array([0.5, 0.0]),
                       eps=0.0)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var) * [2.0, 3.0] + [0.5, 0.0])


def test_batch_norm_derivatives_match_finite_differences():
    x = RNG.standard_normal((4, 2, 3))
    w, b = RNG.standard_normal(2), RNG.standard_normal(2)
    check_grads(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), x, w, b,
                order=2)


def test_batch_norm_training_needs_more_than_one_value_per_channel():
    with pytest.raises(ValueError, match="more than one value"):
        F.batch_norm(np.ones((1, 3)), None, None, training=True)


def test_embedding_picks_rows_and_accumulates_repeated_indices():
    weight = cr.tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    indices = np.array([[0, 2], [2, 4]])
    out = F.embedding(indices, weight)
    np.testing.assert_array_equal(out.numpy(), weight.numpy()[indices])
    out.sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy()[:, 0], [1, 0, 2, 0, 1])


def test_embedding_padding_row_gets_no_gradient():
    weight = cr.tensor(RNG.standard_normal((4, 2)), requires_grad=True)
    F.embedding(np.array([1, 0, 1]), weight, padding_idx=1).sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy()[:, 0], [1, 0, 0, 0])


def test_embedding_rejects_float_indices():
    with pytest.raises(TypeError, match="integers"):
        F.embedding(np.array([0.0]), np.ones((2, 2)))


# --- convolution and pooling -------------------------------------------------------------------
CONV_SETTINGS = [
    ("plain", (2, 3, 6, 5), (4, 3, 3, 3), {}),
    ("stride-padding", (2, 3, 7, 6), (4, 3, 3, 2), {"stride": 2, "padding": 1}),
    ("dilation", (1, 2, 8, 7), (3, 2, 3, 3), {"dilation": (2, 1), "padding": (2, 0)}),
    ("groups", (2, 4, 5, 5), (6, 2, 3, 3), {"groups": 2, "stride": (1, 2)}),
    ("same", (2, 2, 5, 6), (3, 2, 4, 3), {"padding": "same"}),
]


def _conv_reference(x, w, b, stride=1, padding=0, dilation=1, groups=1):
    """Direct summation over output pixels: slow, obviously right."""
    n, c_in, height, width = x.shape
    c_out, c_group, kh, kw = w.shape
    stride = (stride, stride) if isinstance(stride, int) else stride
    dilation = (dilation, dilation) if isinstance(dilation, int) else dilation
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip((kh, kw), dilation, strict=True)]
        pads = [(t // 2, t - t // 2) for t in totals]
    else:
        pad = (padding, padding) if isinstance(padding, int) else padding
        pads = [(p, p) for p in pad]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    out_h = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c_out, out_h, out_w))
    per_group = c_out // groups
    for o in range(c_out):
        channels = slice((o // per_group) * c_group, (o // per_group + 1) * c_group)
        for i in range(out_h):
            for j in range(out_w):
                rows = i * stride[0] + dilation[0] * np.arange(kh)
                cols = j * stride[1] + dilation[1] * np.arange(kw)
                patch = xp[:, channels][:, :, rows][:, :, :, cols]
                out[:, o, i, j] = np.sum(patch * w[o], axis=(1, 2, 3)) + b[o]
    return out


@pytest.mark.parametrize("name,x_shape,w_shape,settings", CONV_SETTINGS,
                         ids=[s[0] for s in CONV_SETTINGS])
def test_conv2d_matches_direct_summation(name, x_shape, w_shape, settings):
    x, w = RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)
    b = RNG.standard_normal(w_shape[0])
    np.testing.assert_allclose(F.conv2d(x, w, b, **settings),
                               _conv_reference(x, w, b, **settings), rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name,x_shape,w_shape,settings", CONV_SETTINGS,
                         ids=[s[0] for s in CONV_SETTINGS])
def test_conv2d_matches_torch_in_value_and_gradient(name, x_shape, w_shape, settings):
    torch = pytest.importorskip("torch")
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        arrays = [RNG.standard_normal(s).astype(dtype) for s in (x_shape, w_shape,
                                                                 (w_shape[0],))]
        ours = [cr.tensor(a, requires_grad=True) for a in arrays]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        out = F.conv2d(*ours, **settings)
        expected = torch.nn.functional.conv2d(*theirs, **settings)
        cotangent = RNG.standard_normal(expected.shape).astype(dtype)
        (out * cotangent).sum().backward()
        (expected * torch.tensor(cotangent)).sum().backward()
        assert out.dtype == dtype
        np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=tol, atol=tol)
        for a, t in zip(ours, theirs, strict=True):
            assert a.grad.dtype == dtype
            np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


def test_conv1d_derivatives_match_finite_differences_to_second_order():
    x, w, b = RNG.standard_normal((2, 2, 7)), RNG.standard_normal((4, 1, 3)), RNG.standard_normal(4)
    check_grads(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2), x, w, b,
                order=2)


def test_conv2d_derivatives_match_finite_differences_to_second_order():
    x, w, b = RNG.standard_normal((2, 2, 4, 5)), RNG.standard_normal((3, 2, 2, 3)), \
        RNG.standard_normal(3)
    check_grads(lambda x, w, b: F.conv2d(np.tanh(x), w, b, stride=(2, 1), padding=1), x, w, b,
                order=2)


def test_conv2d_hessian_is_exact_for_a_bilinear_loss():
    # loss = sum(conv(x, w) ** 2) / 2: its Hessian in w is sum of outer products of windows.
    x = RNG.standard_normal((1, 1, 3, 3))
    w = RNG.standard_normal((1, 1, 2, 2))
    hessian = cr.jacobian(cr.grad(lambda w: np.sum(F.conv2d(x, w) ** 2) / 2))(w)
    windows = np.array([x[0, 0, i:i + 2, j:j + 2].ravel() for i in range(2) for j in range(2)])
    np.testing.assert_allclose(hessian.reshape(4, 4), windows.T @ windows, rtol=1e-12)


def test_conv2d_accepts_an_unbatched_input():
    x, w = RNG.standard_normal((3, 5, 5)), RNG.standard_normal((2, 3, 3, 3))
    np.testing.assert_allclose(F.conv2d(x, w), F.conv2d(x[None], w)[0])


def test_conv2d_errors_name_the_problem():
    w = np.ones((4, 3, 3, 3))
    with pytest.raises(ValueError, match="input has 2 channels"):
        F.conv2d(np.ones((1, 2, 5, 5)), w)
    with pytest.raises(ValueError, match="does not fit"):
        F.conv2d(np.ones((1, 3, 2, 2)), w)
    with pytest.raises(ValueError, match="groups=2 must divide"):
        F.conv2d(np.ones((1, 3, 5, 5)), np.ones((4, 1, 3, 3)), groups=2)
    with pytest.raises(ValueError, match="expects an input of 4 dimensions"):
        F.conv2d(np.ones((5, 5)), w)
    with pytest.raises(ValueError, match="stride 1"):
        F.conv2d(np.ones((1, 3, 5, 5)), w, stride=2, padding="same")


POOL_SETTINGS = [
    ("plain", (2, 3, 6, 6), {"kernel_size": 2}),
    ("overlap-padding", (2, 2, 7, 5), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("rectangular", (1, 2, 6, 7), {"kernel_size": (2, 3), "stride": (1, 2)}),
]


@pytest.mark.parametrize("name,shape,settings", POOL_SETTINGS, ids=[p[0] for p in POOL_SETTINGS])
def test_pooling_matches_torch_in_value_and_gradient(name, shape, settings):
    torch = pytest.importorskip("torch")
    pairs = [(F.max_pool2d, torch.nn.functional.max_pool2d, {}),
             (F.avg_pool2d, torch.nn.functional.avg_pool2d, {}),
             (F.avg_pool2d, torch.nn.functional.avg_pool2d, {"count_include_pad": False})]
    for ours_fn, torch_fn, extra in pairs:
        for dtype, tol in ((np.float64, 1e-13), (np.float32, 1e-6)):
            data = RNG.standard_normal(shape).astype(dtype)
            ours, theirs = cr.tensor(data, requires_grad=True), torch.tensor(data,
                                                                             requires_grad=True)
            out = ours_fn(ours, **settings, **extra)
            expected = torch_fn(theirs, **settings, **extra)
            cotangent = RNG.standard_normal(expected.shape).astype(dtype)
            (out * cotangent).sum().backward()
            (expected * torch.tensor(cotangent)).sum().backward()
            assert out.dtype == dtype and ours.grad.dtype == dtype
            np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=tol, atol=tol)
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tol,
                                       atol=tol)


def test_max_pool_sends_the_gradient_to_the_first_maximum_on_ties():
    x = cr.tensor(np.array([[[[1.0, 3.0], [3.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 1.0], [0.0, 0.0]]]])


def test_max_pool_padding_never_wins():
    x = -np.ones((1, 1, 3, 3))
    np.testing.assert_array_equal(F.max_pool2d(x, 2, stride=2, padding=1), -np.ones((1, 1, 2, 2)))


def test_pooling_derivatives_match_finite_differences_to_second_order():
    x = RNG.standard_normal((2, 2, 5, 4))
    check_grads(lambda x: F.max_pool2d(x * x, 3, stride=1, padding=1), x, order=2)
    check_grads(lambda x: F.avg_pool2d(x * x, 2, stride=1, padding=1, count_include_pad=False),
                x, order=2)
    check_grads(lambda x: F.max_pool1d(np.sin(x[0]), 2) ** 2, x, order=2)
    check_grads(lambda x: F.avg_pool1d(x[0], 3, stride=2, padding=1) ** 2, x, order=2)


def test_pooling_rejects_padding_over_half_the_kernel():
    with pytest.raises(ValueError, match="at most half"):
        F.max_pool2d(np.ones((1, 1, 4, 4)), 2, padding=2)
