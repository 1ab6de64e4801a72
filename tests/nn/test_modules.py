"""Module, Parameter, Sequential and ModuleList: registration, traversal, modes,
state_dict round trips and clear errors, and a readable repr."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

RNG = np.random.default_rng(11)


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4, rng=0)
        self.norm = nn.BatchNorm1d(4)
        self.out = nn.Linear(4, 2, rng=1)
        self.scale = nn.Parameter(np.array(2.0))
        self.note = "not registered"

    def forward(self, x):
        return self.out(nn.functional.relu(self.norm(self.hidden(x)))) * self.scale


def _trained_once(model):
    model(RNG.standard_normal((5, 3)))  # moves the BatchNorm running statistics
    return model


# --- Parameter -----------------------------------------------------------------------------
def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(np.ones(3))
    assert isinstance(p, cr.Tensor) and p.requires_grad and p.is_leaf
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [2.0, 2.0, 2.0])


def test_parameter_keeps_its_dtype_and_copies_its_data():
    data = np.ones(2, np.float32)
    p = nn.Parameter(data)
    data[0] = 5
    assert p.dtype == np.float32 and p.numpy()[0] == 1.0


def test_parameter_repr_says_what_it_is():
    assert repr(nn.Parameter(np.zeros(2))).startswith("Parameter containing:\ntensor(")


def test_operations_on_parameters_give_plain_tensors():
    p = nn.Parameter(np.ones(2))
    assert type(p * 2) is cr.Tensor


# --- registration and traversal --------------------------------------------------------------
def test_parameters_are_found_in_assignment_order_with_dotted_names():
    names = [name for name, _ in TwoLayer().named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "norm.weight", "norm.bias",
                     "out.weight", "out.bias"]


def test_plain_attributes_are_not_registered():
    model = TwoLayer()
    assert model.note == "not registered"
    assert "note" not in model.state_dict()


def test_children_and_modules():
    model = TwoLayer()
    assert [type(m).__name__ for m in model.children()] == ["Linear", "BatchNorm1d", "Linear"]
    assert [name for name, _ in model.named_modules()] == ["", "hidden", "norm", "out"]


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 3


def test_reassigning_and_deleting_attributes_updates_the_registry():
    model = TwoLayer()
    model.out = nn.Linear(4, 5)
    assert model.out.out_features == 5
    assert [n for n, _ in model.named_parameters()][-2:] == ["out.weight", "out.bias"]
    del model.scale
    assert "scale" not in dict(model.named_parameters())
    model.hidden = None
    assert "hidden.weight" not in dict(model.named_parameters())


def test_assigning_a_non_parameter_to_a_parameter_name_is_an_error():
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="'weight', which is a parameter"):
        model.weight = np.zeros((2, 2))


def test_assignment_before_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Forgetful()


def test_forward_is_required():
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(1)


def test_zero_grad_clears_every_gradient():
    model = TwoLayer()
    model(RNG.standard_normal((4, 3))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_requires_grad_false_freezes_parameters():
    model = nn.Linear(2, 2).requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_apply_visits_children_before_parents():
    visited = []
    TwoLayer().apply(lambda m: visited.append(type(m).__name__))
    assert visited[-1] == "TwoLayer" and len(visited) == 4


def test_buffers_are_listed_and_reassigned_in_place_of_the_old():
    layer = nn.BatchNorm1d(3)
    assert [n for n, _ in layer.named_buffers()] == ["running_mean", "running_var",
                                                     "num_batches_tracked"]
    layer.running_mean = np.ones(3)
    np.testing.assert_array_equal(layer.state_dict()["running_mean"], 1.0)


def test_a_buffer_cannot_hold_a_tensor_that_requires_grad():
    layer = nn.Module()
    with pytest.raises(TypeError, match="buffer 'stat'"):
        layer.register_buffer("stat", cr.tensor([1.0], requires_grad=True))


# --- state_dict ---------------------------------------------------------------------------------
def test_state_dict_holds_copies_of_parameters_and_buffers():
    model = _trained_once(TwoLayer())
    state = model.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == ["scale", "hidden.weight", "hidden.bias", "norm.weight", "norm.bias",
                           "norm.running_mean", "norm.running_var", "norm.num_batches_tracked",
                           "out.weight", "out.bias"]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    state["hidden.weight"][...] = 0
    assert np.any(model.hidden.weight.numpy() != 0)


def test_state_dict_round_trip_restores_identical_outputs():
    source = _trained_once(TwoLayer()).eval()
    target = TwoLayer().eval()
    x = RNG.standard_normal((6, 3))
    assert not np.array_equal(source(x).numpy(), target(x).numpy())
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(source(x).numpy(), target(x).numpy())
    after = target.state_dict()
    for name, value in source.state_dict().items():
        np.testing.assert_array_equal(value, after[name], err_msg=name)


def test_loading_keeps_the_same_parameter_objects():
    model = TwoLayer()
    before = list(model.parameters())
    model.load_state_dict(TwoLayer().state_dict())
    assert all(a is b for a, b in zip(before, model.parameters(), strict=True))


def test_loading_casts_to_the_models_dtype():
    model = nn.Linear(2, 2, dtype=np.float32)
    model.load_state_dict(nn.Linear(2, 2).state_dict())
    assert model.weight.dtype == np.float32


def _bad_states():
    good = TwoLayer().state_dict()
    missing = OrderedDict(good)
    del missing["out.bias"]
    unexpected = OrderedDict(good, extra=np.zeros(1))
    wrong_shape = OrderedDict(good)
    wrong_shape["hidden.weight"] = np.zeros((3, 4))
    wrong_kind = OrderedDict(good)
    wrong_kind["out.weight"] = np.zeros((2, 4), dtype=complex)
    return {
        "missing": (missing, KeyError, r"missing keys \['out.bias'\]"),
        "unexpected": (unexpected, KeyError, r"unexpected keys \['extra'\]"),
        "shape": (wrong_shape, ValueError, r"'hidden.weight' has shape \(3, 4\) in the "
                                           r"state_dict but \(4, 3\) in the model"),
        "dtype": (wrong_kind, TypeError, "'out.weight' has dtype complex128"),
    }


@pytest.mark.parametrize("problem", sorted(_bad_states()))
def test_bad_load_names_the_key_and_changes_nothing(problem):
    state, error, message = _bad_states()[problem]
    model = _trained_once(TwoLayer())
    before = model.state_dict()
    with pytest.raises(error, match=message):
        model.load_state_dict(state)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_non_strict_load_skips_missing_and_unexpected_keys():
    model = TwoLayer()
    state = {"scale": np.array(5.0), "unknown": np.zeros(2)}
    model.load_state_dict(state, strict=False)
    assert model.scale.item() == 5.0


def test_loading_between_backward_passes_is_detected_by_the_graph():
    model = nn.Linear(2, 2)
    loss = (model(RNG.standard_normal((3, 2))) ** 2).sum()
    model.load_state_dict(nn.Linear(2, 2).state_dict())
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


# --- containers and repr -------------------------------------------------------------------------
def test_sequential_applies_modules_in_order_and_indexes_like_a_list():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 1, rng=1))
    x = RNG.standard_normal((2, 3))
    expected = model[2](np.tanh(model[0](x)))
    np.testing.assert_array_equal(model(x).numpy(), expected.numpy())
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    assert isinstance(model[:2], nn.Sequential) and len(model[:2]) == 2
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "Linear"]
    model.append(nn.Sigmoid())
    assert len(model) == 4


def test_sequential_from_a_dict_uses_its_names():
    model = nn.Sequential({"first": nn.Linear(2, 2), "act": nn.ReLU()})
    assert [n for n, _ in model.named_parameters()] == ["first.weight", "first.bias"]


def test_module_list_registers_its_modules():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and len(list(layers.parameters())) == 8
    layers[0] = nn.Linear(2, 2, bias=False)
    assert len(list(layers.parameters())) == 7
    assert "0.weight" in layers.state_dict() and "0.bias" not in layers.state_dict()


def test_repr_shows_the_module_tree():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Sequential(nn.Flatten(), nn.Linear(16, 10)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1)\n"
        "  (3): Sequential(\n"
        "    (0): Flatten(start_axis=1, end_axis=-1)\n"
        "    (1): Linear(in_features=16, out_features=10, bias=True)\n"
        "  )\n"
        ")")


def test_a_model_trains_with_plain_gradient_descent():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2))
    labels = (x[:, 0] * x[:, 1] > 0).astype(int)
    model = nn.Sequential(nn.Linear(2, 16, rng=1), nn.Tanh(), nn.Linear(16, 2, rng=2))
    first = None
    for _ in range(300):
        loss = nn.functional.cross_entropy(model(x), labels)
        first = loss.item() if first is None else first
        model.zero_grad()
        loss.backward()
        with cr.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
    assert loss.item() < 0.3 * first


def test_a_deep_copy_is_an_independent_model():
    model = _trained_once(TwoLayer())
    twin = copy.deepcopy(model)
    x = RNG.standard_normal((4, 3))
    np.testing.assert_array_equal(model.eval()(x).numpy(), twin.eval()(x).numpy())
    twin(x).sum().backward()
    assert all(p.grad is None for p in model.parameters())
    assert all(p.grad is not None for p in twin.parameters())
    with cr.no_grad():
        twin.scale[...] = 7.0
    assert model.scale.item() == 2.0


def test_a_pickled_model_round_trips():
    model = _trained_once(TwoLayer()).eval()
    twin = pickle.loads(pickle.dumps(model))
    x = RNG.standard_normal((4, 3))
    np.testing.assert_array_equal(model(x).numpy(), twin(x).numpy())
    twin(x).sum().backward()
    assert all(p.grad is None for p in model.parameters())
