"""Teaching modules: Neuron, Layer and MLP on scalar Values."""

import math
import random

import pytest

from chainrule.teach import MLP, Layer, Neuron
from chainrule.value import Value


def test_mlp_2_4_1_has_17_parameters():
    assert len(MLP(2, [4, 1]).parameters()) == 17


def test_parameter_counts_of_neuron_and_layer():
    assert len(Neuron(3).parameters()) == 4
    assert len(Layer(3, 5).parameters()) == 20


def test_parameters_are_values():
    assert all(isinstance(p, Value) for p in MLP(2, [3, 1], rng=0).parameters())


def test_same_seed_gives_same_weights():
    first = [p.data for p in MLP(2, [4, 1], rng=7).parameters()]
    second = [p.data for p in MLP(2, [4, 1], rng=7).parameters()]
    assert first == second


def test_different_seeds_give_different_weights():
    first = [p.data for p in MLP(2, [4, 1], rng=1).parameters()]
    second = [p.data for p in MLP(2, [4, 1], rng=2).parameters()]
    assert first != second


def test_accepts_a_random_instance_and_draws_from_it():
    rng = random.Random(3)
    neuron = Neuron(2, rng=rng)
    expected = random.Random(3)
    assert [w.data for w in neuron.weights] == [expected.uniform(-1, 1) for _ in range(2)]


def test_weights_start_in_unit_interval_and_bias_at_zero():
    neuron = Neuron(50, rng=0)
    assert all(-1.0 <= w.data <= 1.0 for w in neuron.weights)
    assert neuron.bias.data == 0.0


@pytest.mark.parametrize(
    "activation, f",
    [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("linear", lambda z: z),
    ],
)
def test_neuron_computes_activation_of_weighted_sum(activation, f):
    neuron = Neuron(2, activation=activation, rng=5)
    w1, w2 = (w.data for w in neuron.weights)
    neuron.bias.data = 0.3
    out = neuron([0.5, -2.0])
    assert out.data == pytest.approx(f(w1 * 0.5 + w2 * -2.0 + 0.3))


def test_tanh_neuron_gradients_match_closed_form():
    neuron = Neuron(2, activation="tanh", rng=11)
    neuron.bias.data = 0.1
    x = [0.5, -1.5]
    out = neuron(x)
    out.backward()
    slope = 1 - out.data**2
    assert [w.grad for w in neuron.weights] == pytest.approx([slope * xi for xi in x])
    assert neuron.bias.grad == pytest.approx(slope)


def test_neuron_accepts_value_inputs_and_propagates_to_them():
    neuron = Neuron(2, activation="linear", rng=0)
    x = [Value(1.0), Value(2.0)]
    neuron(x).backward()
    assert [xi.grad for xi in x] == [w.data for w in neuron.weights]


def test_unknown_activation_is_rejected():
    with pytest.raises(ValueError, match="unknown activation 'gelu'.*relu, tanh"):
        Neuron(2, activation="gelu")


def test_wrong_number_of_inputs_is_rejected():
    with pytest.raises(ValueError, match="takes 2 inputs but got 3"):
        Neuron(2)([1.0, 2.0, 3.0])


def test_empty_sizes_are_rejected():
    with pytest.raises(ValueError, match="at least one layer"):
        MLP(2, [])


def test_layer_returns_one_value_per_neuron():
    outputs = Layer(2, 3, rng=0)([1.0, 2.0])
    assert len(outputs) == 3 and all(isinstance(o, Value) for o in outputs)


def test_mlp_with_one_output_returns_a_value():
    assert isinstance(MLP(2, [4, 1], rng=0)([1.0, 2.0]), Value)


def test_mlp_with_several_outputs_returns_a_list():
    outputs = MLP(2, [4, 3], rng=0)([1.0, 2.0])
    assert isinstance(outputs, list) and len(outputs) == 3


def test_mlp_uses_activation_for_hidden_and_output_activation_last():
    model = MLP(2, [4, 4, 1], activation="tanh", output_activation="sigmoid")
    assert [layer.neurons[0].activation for layer in model.layers] == ["tanh", "tanh", "sigmoid"]
    assert model([0.1, 0.2]).op == "sigmoid"


def test_default_output_layer_is_linear():
    assert MLP(2, [4, 1]).layers[-1].neurons[0].activation == "linear"


def test_zero_grad_clears_every_parameter():
    model = MLP(2, [4, 1], rng=0)
    (model([1.0, -1.0]) ** 2).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_mlp_gradient_matches_finite_differences():
    model = MLP(2, [3, 1], activation="tanh", rng=4)
    x = [0.3, -0.8]
    model(x).backward()
    step = 1e-6
    for p in model.parameters():
        original = p.data
        p.data = original + step
        up = model(x).data
        p.data = original - step
        down = model(x).data
        p.data = original
        assert p.grad == pytest.approx((up - down) / (2 * step), rel=1e-5, abs=1e-8)


def test_repr_reads_as_the_architecture():
    assert repr(Neuron(3, activation="tanh")) == "Neuron(3 inputs, tanh)"
    assert repr(Layer(3, 5)) == "Layer(3 -> 5, tanh)"
    assert repr(MLP(2, [4, 1])) == (
        "MLP([Layer(2 -> 4, tanh), Layer(4 -> 1, linear)], 17 parameters)"
    )


def test_gradient_descent_drives_loss_down():
    model = MLP(1, [8, 1], activation="tanh", rng=0)
    xs = [i / 5 - 1 for i in range(11)]
    ys = [x * x for x in xs]

    def loss() -> Value:
        return sum((model([x]) - y) ** 2 for x, y in zip(xs, ys, strict=True))

    start = loss().data
    for _ in range(300):
        model.zero_grad()
        current = loss()
        current.backward()
        for p in model.parameters():
            p.data -= 0.02 * p.grad
    assert loss().data < 0.05 * start
