"""Layers: forward values and gradients against finite differences (float64) and against
torch with copied weights (float32 and float64); train/eval behaviour; initialisers."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.ops.convolution  # noqa: F401  (registers the primitives before ops/__init__ does)
from chainrule import nn
from chainrule.testing import numerical_gradient

RNG = np.random.default_rng(5)


def _layers(dtype=np.float64):
    """name -> (our layer, input shape, the torch layer's constructor or None)."""
    return {
        "Linear": (nn.Linear(4, 3, dtype=dtype, rng=0), (5, 4),
                   lambda t: t.nn.Linear(4, 3)),
        "Linear-batched": (nn.Linear(4, 3, dtype=dtype, rng=1), (2, 3, 4),
                           lambda t: t.nn.Linear(4, 3)),
        "Linear-no-bias": (nn.Linear(4, 2, bias=False, dtype=dtype, rng=2), (3, 4),
                           lambda t: t.nn.Linear(4, 2, bias=False)),
        "Conv1d": (nn.Conv1d(2, 4, 3, stride=2, padding=1, dtype=dtype, rng=3), (2, 2, 7),
                   lambda t: t.nn.Conv1d(2, 4, 3, stride=2, padding=1)),
        "Conv2d": (nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=1, groups=2, dtype=dtype,
                             rng=4), (2, 2, 5, 4),
                   lambda t: t.nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=1, groups=2)),
        "Conv2d-dilated": (nn.Conv2d(1, 2, 2, dilation=2, bias=False, dtype=dtype, rng=5),
                           (1, 1, 5, 5),
                           lambda t: t.nn.Conv2d(1, 2, 2, dilation=2, bias=False)),
        "MaxPool2d": (nn.MaxPool2d(2), (2, 2, 4, 6), lambda t: t.nn.MaxPool2d(2)),
        "MaxPool1d": (nn.MaxPool1d(3, stride=2, padding=1), (2, 2, 7),
                      lambda t: t.nn.MaxPool1d(3, stride=2, padding=1)),
        "AvgPool2d": (nn.AvgPool2d(3, stride=2, padding=1), (2, 2, 5, 5),
                      lambda t: t.nn.AvgPool2d(3, stride=2, padding=1)),
        "AvgPool1d": (nn.AvgPool1d(2), (2, 2, 6), lambda t: t.nn.AvgPool1d(2)),
        "Flatten": (nn.Flatten(), (2, 3, 2, 2), lambda t: t.nn.Flatten()),
        "LayerNorm": (nn.LayerNorm((2, 3), dtype=dtype), (4, 2, 3),
                      lambda t: t.nn.LayerNorm((2, 3))),
        "BatchNorm1d": (nn.BatchNorm1d(3, dtype=dtype), (5, 3), lambda t: t.nn.BatchNorm1d(3)),
        "BatchNorm1d-3d": (nn.BatchNorm1d(2, dtype=dtype), (3, 2, 4),
                           lambda t: t.nn.BatchNorm1d(2)),
        "BatchNorm2d": (nn.BatchNorm2d(2, momentum=0.3, dtype=dtype), (3, 2, 2, 3),
                        lambda t: t.nn.BatchNorm2d(2, momentum=0.3)),
        "ReLU": (nn.ReLU(), (3, 4), lambda t: t.nn.ReLU()),
        "LeakyReLU": (nn.LeakyReLU(0.1), (3, 4), lambda t: t.nn.LeakyReLU(0.1)),
        "Tanh": (nn.Tanh(), (3, 4), lambda t: t.nn.Tanh()),
        "Sigmoid": (nn.Sigmoid(), (3, 4), lambda t: t.nn.Sigmoid()),
        "GELU": (nn.GELU(), (3, 4), lambda t: t.nn.GELU()),
        "GELU-tanh": (nn.GELU("tanh"), (3, 4), lambda t: t.nn.GELU("tanh")),
        "SiLU": (nn.SiLU(), (3, 4), lambda t: t.nn.SiLU()),
        "Softplus": (nn.Softplus(beta=2.0), (3, 4), lambda t: t.nn.Softplus(beta=2.0)),
        "Softmax": (nn.Softmax(axis=1), (3, 4), lambda t: t.nn.Softmax(dim=1)),
        "LogSoftmax": (nn.LogSoftmax(axis=0), (3, 4), lambda t: t.nn.LogSoftmax(dim=0)),
        "Dropout-eval": (nn.Dropout(0.5).eval(), (3, 4), lambda t: t.nn.Dropout(0.5).eval()),
        "Identity": (nn.Identity(), (3, 4), lambda t: t.nn.Identity()),
        "Sequential": (nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, dtype=dtype, rng=6),
                                     nn.BatchNorm2d(2, dtype=dtype), nn.Tanh(), nn.AvgPool2d(2),
                                     nn.Flatten(), nn.Linear(8, 3, dtype=dtype, rng=7)),
                       (2, 1, 4, 4),
                       lambda t: t.nn.Sequential(t.nn.Conv2d(1, 2, 3, padding=1),
                                                 t.nn.BatchNorm2d(2), t.nn.Tanh(),
                                                 t.nn.AvgPool2d(2), t.nn.Flatten(),
                                                 t.nn.Linear(8, 3))),
    }


NAMES = sorted(_layers())


def _projected_loss(layer, x, cotangent):
    with cr.no_grad():
        return float(np.sum(layer(cr.tensor(x)).numpy() * cotangent))


def _replace_value(param, value):
    with cr.no_grad():
        param[...] = value


@pytest.mark.parametrize("name", NAMES)
def test_layer_gradients_match_finite_differences(name):
    layer, shape, _ = _layers()[name]
    x = RNG.standard_normal(shape) + 0.1  # away from the kinks of ReLU at zero
    inputs = cr.tensor(x, requires_grad=True)
    out = layer(inputs)
    cotangent = RNG.standard_normal(out.shape)
    (out * cotangent).sum().backward()
    expected = numerical_gradient(lambda v: _projected_loss(layer, v, cotangent), x)
    np.testing.assert_allclose(inputs.grad.numpy(), expected, rtol=1e-6, atol=1e-8)
    for param_name, param in layer.named_parameters():
        original = param.numpy().copy()

        def loss_at(value, param=param):
            _replace_value(param, value)
            return _projected_loss(layer, x, cotangent)

        expected = numerical_gradient(loss_at, original)
        _replace_value(param, original)
        np.testing.assert_allclose(param.grad.numpy(), expected, rtol=1e-6, atol=1e-8,
                                   err_msg=param_name)


def _torch_twin(torch, layer, make_torch, dtype):
    twin = make_torch(torch).to(torch.float64 if dtype == np.float64 else torch.float32)
    twin.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    return twin


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layer_matches_torch_with_copied_weights(name, dtype):
    torch = pytest.importorskip("torch")
    layer, shape, make_torch = _layers(dtype)[name]
    twin = _torch_twin(torch, layer, make_torch, dtype)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    x = RNG.standard_normal(shape).astype(dtype)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = layer(ours), twin(theirs)
    cotangent = RNG.standard_normal(expected.shape).astype(dtype)
    (out * cotangent).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    assert out.dtype == dtype and ours.grad.dtype == dtype
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tol, atol=tol)
    theirs_grads = dict(twin.named_parameters())
    for param_name, param in layer.named_parameters():
        assert param.grad.dtype == dtype
        np.testing.assert_allclose(param.grad.numpy(), theirs_grads[param_name].grad.numpy(),
                                   rtol=tol, atol=tol, err_msg=param_name)
    for key, value in twin.state_dict().items():  # running statistics too
        np.testing.assert_allclose(layer.state_dict()[key], value.numpy(), rtol=tol, atol=tol,
                                   err_msg=key)


def test_embedding_matches_torch_and_finite_differences():
    torch = pytest.importorskip("torch")
    layer = nn.Embedding(6, 3, padding_idx=2, rng=0)
    twin = torch.nn.Embedding(6, 3, padding_idx=2).double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    indices = np.array([[0, 2, 5], [5, 1, 2]])
    cotangent = RNG.standard_normal((2, 3, 3))
    (layer(indices) * cotangent).sum().backward()
    (twin(torch.tensor(indices)) * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), twin.weight.grad.numpy(), rtol=1e-14)
    expected = numerical_gradient(lambda w: np.sum(w[indices] * cotangent) -
                                  np.sum(w[2] * cotangent[indices == 2]), layer.weight.numpy())
    np.testing.assert_allclose(layer.weight.grad.numpy(), expected, rtol=1e-6, atol=1e-8)


def test_embedding_starts_normal_with_a_zero_padding_row():
    layer = nn.Embedding(500, 40, padding_idx=-1, rng=0)
    weights = layer.weight.numpy()
    assert layer.padding_idx == 499
    np.testing.assert_array_equal(weights[499], 0.0)
    assert weights[:499].std() == pytest.approx(1.0, abs=0.02)


# --- train and eval -----------------------------------------------------------------------
def test_dropout_drops_in_training_and_is_the_identity_in_evaluation():
    layer = nn.Dropout(0.4, rng=0)
    x = np.ones((50, 40))
    dropped = layer(x)
    assert np.mean(dropped == 0) == pytest.approx(0.4, abs=0.03)
    np.testing.assert_allclose(dropped[dropped != 0], 1 / 0.6)
    layer.eval()
    np.testing.assert_array_equal(layer(x), x)


def test_dropout_masks_are_reproducible_from_a_seed():
    x = np.ones((4, 5))
    np.testing.assert_array_equal(nn.Dropout(0.5, rng=3)(x), nn.Dropout(0.5, rng=3)(x))


def test_batch_norm_running_statistics_follow_torch_over_several_steps():
    torch = pytest.importorskip("torch")
    for momentum in (0.1, None):
        layer = nn.BatchNorm2d(3, momentum=momentum)
        twin = torch.nn.BatchNorm2d(3, momentum=momentum).double()
        for _ in range(4):
            x = RNG.standard_normal((4, 3, 2, 2)) * 3 + 1
            np.testing.assert_allclose(layer(x).numpy(), twin(torch.tensor(x)).detach().numpy(),
                                       rtol=1e-12, atol=1e-12)
        for key, value in twin.state_dict().items():
            np.testing.assert_allclose(layer.state_dict()[key], value.numpy(), rtol=1e-13)
        layer.eval()
        twin.eval()
        x = RNG.standard_normal((2, 3, 2, 2))
        np.testing.assert_allclose(layer(x).numpy(), twin(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-12, atol=1e-12)


def test_batch_norm_evaluation_uses_running_statistics_not_the_batch():
    layer = nn.BatchNorm1d(2, momentum=1.0)
    x = RNG.standard_normal((8, 2)) * 2 + 3
    layer(x)
    np.testing.assert_allclose(layer.running_mean, x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(layer.running_var, x.var(axis=0, ddof=1), rtol=1e-14)
    layer.eval()
    shifted = x + 10
    expected = (shifted - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + layer.eps)
    np.testing.assert_allclose(layer(shifted).numpy(), expected, rtol=1e-12)
    assert int(layer.num_batches_tracked) == 1


def test_batch_norm_without_running_statistics_always_uses_the_batch():
    layer = nn.BatchNorm1d(2, track_running_stats=False, affine=False).eval()
    x = RNG.standard_normal((6, 2))
    out = layer(x)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-14)
    assert list(layer.state_dict()) == []


def test_batch_norm_rejects_wrong_inputs():
    with pytest.raises(ValueError, match="channels"):
        nn.BatchNorm1d(3)(np.ones((4, 2)))
    with pytest.raises(ValueError, match="4 dimensions"):
        nn.BatchNorm2d(3)(np.ones((4, 3)))


def test_train_and_eval_reach_every_sub_module():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


# --- dtypes and initialisation ------------------------------------------------------------
def test_float32_model_stays_float32_end_to_end():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, dtype=np.float32, rng=0), nn.BatchNorm2d(
        2, dtype=np.float32), nn.GELU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(2, 3, dtype=np.float32, rng=1), nn.LayerNorm(3, dtype=np.float32))
    x = RNG.standard_normal((4, 1, 4, 4)).astype(np.float32)
    loss = nn.functional.cross_entropy(model(x), np.array([0, 1, 2, 0]))
    loss.backward()
    assert loss.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    assert all(b.dtype in (np.float32, np.int64) for b in model.buffers())


def test_to_casts_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).to(np.float32)
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float32
    assert model[1].num_batches_tracked.dtype == np.int64


def test_linear_and_conv_start_like_torch_within_one_over_root_fan_in():
    linear = nn.Linear(100, 50, rng=0)
    bound = 1 / np.sqrt(100)
    assert np.abs(linear.weight.numpy()).max() <= bound
    assert np.abs(linear.bias.numpy()).max() <= bound
    assert linear.weight.numpy().std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
    conv = nn.Conv2d(4, 8, 3, rng=0)
    assert np.abs(conv.weight.numpy()).max() <= 1 / np.sqrt(36)


def test_same_seed_gives_same_initial_weights():
    np.testing.assert_array_equal(nn.Linear(3, 2, rng=7).weight.numpy(),
                                  nn.Linear(3, 2, rng=7).weight.numpy())


INIT_STATISTICS = {
    "xavier_uniform": (lambda p, rng: nn.init.xavier_uniform(p, gain=2.0, rng=rng),
                       2.0 * np.sqrt(2.0 / (200 + 300))),
    "xavier_normal": (lambda p, rng: nn.init.xavier_normal(p, rng=rng), np.sqrt(2.0 / 500)),
    "kaiming_uniform": (lambda p, rng: nn.init.kaiming_uniform(p, nonlinearity="relu", rng=rng),
                        np.sqrt(2.0 / 300)),
    "kaiming_normal": (lambda p, rng: nn.init.kaiming_normal(p, mode="fan_out",
                                                              nonlinearity="relu", rng=rng),
                       np.sqrt(2.0 / 200)),
    "normal": (lambda p, rng: nn.init.normal(p, 1.0, 0.5, rng=rng), 0.5),
    "uniform": (lambda p, rng: nn.init.uniform(p, -1.0, 1.0, rng=rng), 1 / np.sqrt(3)),
}


@pytest.mark.parametrize("name", sorted(INIT_STATISTICS))
def test_initialisers_have_the_documented_spread(name):
    fill, std = INIT_STATISTICS[name]
    param = nn.Parameter(np.zeros((200, 300), np.float32))
    assert fill(param, np.random.default_rng(0)) is param
    assert param.dtype == np.float32 and param.is_leaf and param.grad is None
    assert param.numpy().std() == pytest.approx(std, rel=0.02)
    again = nn.Parameter(np.zeros((200, 300), np.float32))
    fill(again, np.random.default_rng(0))
    np.testing.assert_array_equal(param.numpy(), again.numpy())


def test_constant_initialisers():
    param = nn.Parameter(np.full((2, 3), 7.0))
    np.testing.assert_array_equal(nn.init.zeros(param).numpy(), 0.0)
    np.testing.assert_array_equal(nn.init.ones(param).numpy(), 1.0)
    np.testing.assert_array_equal(nn.init.constant(param, 0.5).numpy(), 0.5)


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform(nn.Parameter(np.zeros(3)))


def test_calculate_gain_knows_the_usual_nonlinearities():
    assert nn.init.calculate_gain("relu") == pytest.approx(np.sqrt(2))
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(np.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        nn.init.calculate_gain("swish")


def test_double_backward_through_a_model_matches_finite_differences():
    # A gradient penalty: the gradient of |d loss / d x|^2 with respect to the weights.
    model = nn.Sequential(nn.Conv2d(1, 2, 2, padding=1, rng=0), nn.GELU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.LayerNorm(2), nn.Linear(2, 3, rng=1))
    x = RNG.standard_normal((2, 1, 2, 2))
    labels = np.array([0, 2])

    def penalty(create_graph):
        inputs = cr.tensor(x, requires_grad=True)
        loss = nn.functional.cross_entropy(model(inputs), labels)
        (grad,) = cr.gradients(loss, [inputs], create_graph=create_graph)
        return (grad ** 2).sum()

    penalty(True).backward()
    weight = model[0].weight
    original = weight.numpy().copy()

    def penalty_at(value):
        _replace_value(weight, value)
        return penalty(False).item()

    expected = numerical_gradient(penalty_at, original)
    _replace_value(weight, original)
    np.testing.assert_allclose(weight.grad.numpy(), expected, rtol=1e-5, atol=1e-9)
