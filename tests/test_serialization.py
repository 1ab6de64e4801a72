"""Save/load of state dicts as .npz without pickle (issue 7)."""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim, serialization
from chainrule.serialization import StateFileError, load, save


def assert_same_structure(actual, expected):
    """Equal values, with the same container types, dtypes and key types all the way down
    (a dict subclass such as OrderedDict comes back as a plain dict, in the same order)."""
    assert type(actual) is (dict if isinstance(expected, dict) else type(expected))
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
        assert [type(k) for k in actual] == [type(k) for k in expected]
        for key in expected:
            assert_same_structure(actual[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_same_structure(a, e)
    elif isinstance(expected, (np.ndarray, np.generic)):
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        np.testing.assert_array_equal(actual, expected)
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual)
    else:
        assert actual == expected


NESTED = {
    "weights": {"fc1.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
                "fc1.bias": np.zeros(3, dtype=np.float64)},
    "state": {0: {"step": 3, "buffer": np.ones((2, 2))}, 7: {}},
    "groups": [{"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "params": [0, 7]}],
    "counts": np.array([1, 2, 3], dtype=np.int64),
    "mask": np.array([True, False]),
    "scalar": np.float32(2.5),
    "misc": [None, "min", math.inf, -math.inf, math.nan, 10 ** 20, 0.1 + 0.2, ()],
}


def test_a_nested_structure_round_trips_exactly(tmp_path):
    path = tmp_path / "state.npz"
    save(NESTED, path)
    assert_same_structure(load(path), NESTED)


def test_the_file_is_written_at_exactly_the_given_path(tmp_path):
    path = tmp_path / "checkpoint.ckpt"
    save({"a": np.ones(2)}, str(path))
    assert path.exists() and not (tmp_path / "checkpoint.ckpt.npz").exists()
    assert_same_structure(load(str(path)), {"a": np.ones(2)})


def test_file_objects_work_too():
    buffer = io.BytesIO()
    save(NESTED, buffer)
    buffer.seek(0)
    assert_same_structure(load(buffer), NESTED)


def test_tensors_are_saved_as_their_data(tmp_path):
    w = cr.tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    save({"w": w, "top": cr.tensor(3.0)}, tmp_path / "t.npz")
    loaded = load(tmp_path / "t.npz")
    assert_same_structure(loaded, {"w": np.ones((2, 2), dtype=np.float32),
                                   "top": np.array(3.0)})


def test_arrays_are_readable_with_numpy_alone_under_their_paths(tmp_path):
    save(NESTED, tmp_path / "s.npz")
    with np.load(tmp_path / "s.npz", allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["weights/fc1.weight"], NESTED["weights"]
                                      ["fc1.weight"])
        np.testing.assert_array_equal(archive["state/0/buffer"], np.ones((2, 2)))


def test_a_plain_npz_loads_as_a_dict_of_arrays(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.arange(3), b=np.eye(2))
    loaded = load(tmp_path / "plain.npz")
    assert sorted(loaded) == ["a", "b"]
    np.testing.assert_array_equal(loaded["b"], np.eye(2))


# --- no pickle -----------------------------------------------------------------------------

@pytest.mark.parametrize("obj, where", [
    ({"layer": {"act": len}}, "'layer/act'"),
    ({"objects": np.array([{}, 1], dtype=object)}, "'objects'"),
    ([1, {2.5: 0}], "key 2.5"),
    ({"s": {1, 2}}, "'s'"),
])
def test_anything_that_would_need_pickle_is_refused_naming_the_entry(tmp_path, obj, where):
    with pytest.raises(TypeError, match=where):
        save(obj, tmp_path / "bad.npz")


def test_no_entry_of_the_file_is_a_pickle(tmp_path):
    save(NESTED, tmp_path / "s.npz")
    with zipfile.ZipFile(tmp_path / "s.npz") as archive:
        for name in archive.namelist():
            header = archive.read(name)[:200]
            assert b"'O'" not in header and b"|O" not in header, name


def test_loading_a_file_holding_pickled_objects_refuses_to_unpickle(tmp_path):
    np.savez(tmp_path / "evil.npz", payload=np.array([{"x": 1}], dtype=object))
    assert_not_a_state_file(tmp_path / "evil.npz", "entry 'payload' holds Python objects")


def test_a_file_of_another_format_is_a_clear_error(tmp_path):
    np.savez(tmp_path / "other.npz", __structure__=np.array('{"format": "other"}'))
    assert_not_a_state_file(tmp_path / "other.npz", "format 'other'")


# --- files that are not state files --------------------------------------------------------

def assert_not_a_state_file(path, cause, **options):
    """``load`` raises StateFileError (a ValueError) naming the file and the cause."""
    with pytest.raises(StateFileError) as error:
        load(path, **options)
    assert isinstance(error.value, ValueError)
    prefix = f"{path} is not a chainrule state file: "
    assert str(error.value).startswith(prefix), str(error.value)
    assert cause in str(error.value)[len(prefix):], str(error.value)


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def structure_file(path, root):
    """A state file whose structure is ``root`` (JSON text), beside one array named "a"."""
    header = '{"format": "chainrule-state", "version": 1, "root": ' + root + "}"
    write_zip(path, {"__structure__.npy": npy_bytes(np.array(header)),
                     "a.npy": npy_bytes(np.arange(3.0))})


def test_a_text_file_is_not_a_state_file(tmp_path):
    (tmp_path / "notes.txt").write_text("weights: 1 2 3\n")
    assert_not_a_state_file(tmp_path / "notes.txt", "zip archive")


def test_an_npy_file_is_not_a_state_file(tmp_path):
    np.save(tmp_path / "array.npy", np.arange(4.0))
    assert_not_a_state_file(tmp_path / "array.npy", "zip archive")


def test_a_truncated_file_is_not_a_state_file(tmp_path):
    save(NESTED, tmp_path / "whole.npz")
    data = (tmp_path / "whole.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    assert_not_a_state_file(tmp_path / "cut.npz", "zip archive")


def test_a_corrupted_entry_fails_its_checksum(tmp_path):
    values = np.arange(100.0)
    save({"values": values}, tmp_path / "good.npz")
    data = bytearray((tmp_path / "good.npz").read_bytes())
    data[data.index(values.tobytes()) + 17] ^= 0xFF
    (tmp_path / "flipped.npz").write_bytes(bytes(data))
    assert_not_a_state_file(tmp_path / "flipped.npz", "CRC")


@pytest.mark.parametrize("root, cause", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"dict": 5}', "malformed structure entry"),
    ('{"dict": [[1.5, 0]]}', "malformed structure entry"),
    ('{"list": [1], "tuple": [2]}', "malformed structure entry"),
    ('{"array": "missing"}', "malformed structure entry"),
    ('{"scalar": "a"}', "malformed structure entry"),
    ('{"set": [1, 2]}', "malformed structure entry"),
    ("{", "not valid JSON"),
], ids=["deep", "dict-not-list", "float-key", "two-kinds", "missing-array", "scalar-not-0d",
        "unknown-kind", "not-json"])
def test_a_malformed_structure_is_named(tmp_path, root, cause):
    structure_file(tmp_path / "bad.npz", root)
    assert_not_a_state_file(tmp_path / "bad.npz", cause)


def test_a_structure_that_is_not_text_is_named(tmp_path):
    write_zip(tmp_path / "bad.npz", {"__structure__.npy": npy_bytes(np.arange(3))})
    assert_not_a_state_file(tmp_path / "bad.npz", "not a text scalar")


def test_an_entry_that_is_not_an_array_is_refused(tmp_path):
    write_zip(tmp_path / "extra.npz", {"a.npy": npy_bytes(np.ones(2)), "readme.txt": b"hi"})
    assert_not_a_state_file(tmp_path / "extra.npz", "entry 'readme.txt' is not a NumPy array")


def test_an_entry_with_a_broken_npy_header_is_refused(tmp_path):
    write_zip(tmp_path / "bad.npz", {"a.npy": b"\x93NUMPY\x01\x00garbage"})
    assert_not_a_state_file(tmp_path / "bad.npz", "entry 'a' is not a valid .npy array")


def test_an_entry_whose_header_claims_more_data_than_it_holds_is_refused(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10 ** 12,)})
    write_zip(tmp_path / "huge.npz", {"a.npy": header.getvalue() + bytes(16)})
    assert_not_a_state_file(tmp_path / "huge.npz", "declares shape (1000000000000,)")


def test_a_compressed_archive_over_max_bytes_is_refused_before_inflating(tmp_path):
    np.savez_compressed(tmp_path / "zeros.npz", zeros=np.zeros(1_000_000))
    assert (tmp_path / "zeros.npz").stat().st_size < 20_000
    assert_not_a_state_file(tmp_path / "zeros.npz", "more than max_bytes=1000000",
                            max_bytes=1_000_000)
    assert load(tmp_path / "zeros.npz", max_bytes=8_000_200)["zeros"].shape == (1_000_000,)


def test_the_default_cap_is_one_gib_or_the_file_size(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization, "GIB", 100_000)
    np.savez_compressed(tmp_path / "inflates.npz", zeros=np.zeros(20_000))
    assert_not_a_state_file(tmp_path / "inflates.npz", "more than max_bytes=100000")
    save({"big": np.ones(20_000)}, tmp_path / "stored.npz")
    assert load(tmp_path / "stored.npz")["big"].shape == (20_000,)


def test_a_file_object_is_named_in_the_error():
    buffer = io.BytesIO(b"not a zip")
    with pytest.raises(StateFileError, match="the file is not a chainrule state file"):
        load(buffer)


# --- optimizer and scheduler state ---------------------------------------------------------

def train_steps(params, optimizer, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        ((params[0] ** 2).sum() + (params[0] * params[1]).sum()).backward()
        optimizer.step()


def make_params():
    rng = np.random.default_rng(0)
    return [cr.tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True),
            cr.tensor(rng.standard_normal(2).astype(np.float32), requires_grad=True)]


@pytest.mark.parametrize("make_optimizer", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    lambda p: optim.Adam(p, lr=0.05, amsgrad=True),
    lambda p: optim.AdamW([{"params": p[:1]}, {"params": p[1:], "lr": 0.2}], lr=0.05),
    lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01),
], ids=["SGD", "Adam", "AdamW-groups", "RMSprop", "Adagrad"])
def test_optimizer_state_through_a_file_continues_identically(tmp_path, make_optimizer):
    straight = make_params()
    optimizer = make_optimizer(straight)
    train_steps(straight, optimizer, 8)

    params = make_params()
    optimizer = make_optimizer(params)
    train_steps(params, optimizer, 4)
    save({"params": params, "optimizer": optimizer.state_dict()}, tmp_path / "ckpt.npz")

    checkpoint = load(tmp_path / "ckpt.npz")
    resumed_params = [cr.tensor(a, requires_grad=True) for a in checkpoint["params"]]
    resumed = make_optimizer(resumed_params)
    resumed.load_state_dict(checkpoint["optimizer"])
    train_steps(resumed_params, resumed, 4)
    for a, b in zip(resumed_params, straight, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_saved_optimizer_state_of_the_wrong_shape_names_the_entry(tmp_path):
    params = make_params()
    optimizer = optim.Adam(params, lr=0.1)
    train_steps(params, optimizer, 1)
    saved = optimizer.state_dict()
    saved["state"][1]["exp_avg_sq"] = np.zeros(5, dtype=np.float32)
    save(saved, tmp_path / "bad.npz")
    with pytest.raises(ValueError, match=r"'exp_avg_sq' of parameter 1 has shape \(5,\)"):
        optim.Adam(make_params()).load_state_dict(load(tmp_path / "bad.npz"))


def test_plateau_scheduler_state_with_infinity_round_trips(tmp_path):
    optimizer = optim.SGD(make_params(), lr=0.1)
    scheduler = optim.ReduceLROnPlateau(optimizer, mode="max")
    save(scheduler.state_dict(), tmp_path / "sched.npz")
    assert load(tmp_path / "sched.npz") == scheduler.state_dict()
    assert load(tmp_path / "sched.npz")["best"] == -math.inf


# --- models --------------------------------------------------------------------------------

def make_model(hidden=8, seed=0):
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(4, hidden, dtype=np.float32, rng=rng),
                         nn.BatchNorm1d(hidden, dtype=np.float32), nn.ReLU(),
                         nn.Linear(hidden, 3, dtype=np.float32, rng=rng))


INPUTS = np.random.default_rng(1).standard_normal((16, 4)).astype(np.float32)


def test_a_model_reloaded_from_a_file_gives_identical_outputs(tmp_path):
    model = make_model()
    model(INPUTS)  # a training-mode pass moves the BatchNorm running statistics
    model.eval()
    save(model.state_dict(), tmp_path / "model.npz")
    restored = make_model(seed=99)
    restored.load_state_dict(load(tmp_path / "model.npz"))
    restored.eval()
    with cr.no_grad():
        np.testing.assert_array_equal(restored(INPUTS).numpy(), model(INPUTS).numpy())
    np.testing.assert_array_equal(restored[1].running_mean, model[1].running_mean)


def test_a_whole_checkpoint_round_trips(tmp_path):
    model = make_model()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.StepLR(optimizer, step_size=2)
    nn.functional.cross_entropy(model(INPUTS), np.arange(16) % 3).backward()
    optimizer.step()
    scheduler.step()
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "scheduler": scheduler.state_dict(), "epoch": 1}
    save(checkpoint, tmp_path / "ckpt.npz")
    assert_same_structure(load(tmp_path / "ckpt.npz"), checkpoint)


def test_loading_a_file_with_a_wrong_key_names_the_key(tmp_path):
    state = make_model().state_dict()
    state["0.weights"] = state.pop("0.weight")
    save(state, tmp_path / "renamed.npz")
    with pytest.raises(KeyError, match=r"0\.weight"):
        make_model().load_state_dict(load(tmp_path / "renamed.npz"))


def test_loading_a_file_with_a_wrong_shape_names_the_key(tmp_path):
    save(make_model(hidden=5).state_dict(), tmp_path / "narrow.npz")
    with pytest.raises(ValueError, match=r"'0\.weight'.*\(5, 4\)"):
        make_model(hidden=8).load_state_dict(load(tmp_path / "narrow.npz"))
