"""Model state and files: exact round trips, rebuilding from a file, every bad file refused with
the model left bit-identical, and atomic saves."""
from __future__ import annotations

import errno
import json
import os
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

import microgradnet as mg
from microgradnet import MLP, Dropout, Layer, Maxout, Neuron, Perceptron, files, serialize
from microgradnet.nn import Module


def bits(model: Module) -> list[bytes]:
    """Each parameter's exact float64 bit pattern (tells -0.0 from 0.0, compares NaN payloads)."""
    return [struct.pack("<d", p.data) for p in model.parameters()]


@pytest.fixture
def model() -> MLP:
    return MLP(2, [4, 3, 1], activation="tanh", seed=1)


@pytest.fixture
def saved(model, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    return path


# --- the state dict ------------------------------------------------------------------------

def test_state_dict_is_plain_json_with_format_version_architecture_parameters(model):
    state = model.state_dict()
    assert json.loads(json.dumps(state)) == state
    assert state["format"] == "microgradnet.nn" and state["version"] == 1 and state["seed"] == 1
    assert state["architecture"] == {
        "type": "MLP", "nin": 2, "nouts": [4, 3, 1], "activation": "tanh",
        "output_activation": "linear", "dropout": 0.0, "pieces": None,
    }
    assert state["parameters"] == [p.data for p in model.parameters()]
    assert len(state["parameters"]) == 3 * 4 + 5 * 3 + 4


def test_state_dict_is_a_snapshot_not_a_view(model):
    state = model.state_dict()
    before = list(state["parameters"])
    for p in model.parameters():
        p.data += 1.0
    assert state["parameters"] == before
    state["architecture"]["nouts"].append(5)
    assert model.nouts == [4, 3, 1] and model.architecture()["nouts"] == [4, 3, 1]


def test_load_state_dict_copies_parameters_into_another_model(model):
    other = MLP(2, [4, 3, 1], activation="tanh", seed=99)
    assert bits(other) != bits(model)
    other.load_state_dict(model.state_dict())
    assert bits(other) == bits(model)
    assert other([0.3, -0.8]).data == model([0.3, -0.8]).data


# --- files: exact round trips, rebuilding ----------------------------------------------------------

finite_floats = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)


@given(values=st.lists(finite_floats, min_size=9, max_size=9))
def test_save_load_round_trips_every_float_bit_for_bit(values, tmp_path_factory):
    path = tmp_path_factory.mktemp("roundtrip") / "m.json"
    source, target = MLP(2, [2, 1], seed=0), MLP(2, [2, 1], seed=1)
    for p, v in zip(source.parameters(), values):
        p.data = v
    source.save(path)
    target.load(path)
    assert bits(target) == bits(source)


def test_special_floats_round_trip(tmp_path):
    special = [-0.0, 5e-324, 1.7976931348623157e308, 0.1, float("inf"), float("-inf"), float("nan")]
    model = Neuron(6, "linear", seed=0)
    assert len(model.parameters()) == len(special)
    for p, v in zip(model.parameters(), special):
        p.data = v
    model.save(tmp_path / "m.json")
    loaded = Neuron.from_file(tmp_path / "m.json")
    assert bits(loaded) == bits(model)


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLP(2, [16, 16, 1], seed=3),
        lambda: MLP(3, [5, 2], activation="maxout", pieces=3, output_activation="sigmoid", seed=4),
        lambda: MLP(2, [6, 1], activation="prelu", dropout=0.25, seed=5),
        lambda: Layer(3, 2, "elu", seed=6),
        lambda: Neuron(3, "hard_tanh", seed=7),
        lambda: Maxout(2, 3, pieces=4, seed=8),
        lambda: Dropout(0.3, seed=9),
        lambda: Perceptron(3, seed=10),
    ],
)
def test_from_file_rebuilds_the_same_model(make, tmp_path):
    original = make()
    for i, p in enumerate(original.parameters()):
        p.data += 0.01 * i  # differ from a fresh initialisation
    original.save(tmp_path / "m.json")
    rebuilt = Module.from_file(tmp_path / "m.json")
    assert type(rebuilt) is type(original) and repr(rebuilt) == repr(original)
    assert rebuilt.architecture() == original.architecture()
    assert bits(rebuilt) == bits(original)
    x = [0.4, -0.6, 0.9][: original.nin or 3]
    out_a, out_b = original(x), rebuilt(x)
    assert [v.data for v in (out_a if isinstance(out_a, list) else [out_a])] == [
        v.data for v in (out_b if isinstance(out_b, list) else [out_b])
    ]


def test_from_file_keeps_the_seed_so_dropout_masks_repeat(tmp_path):
    model = MLP(2, [8, 1], dropout=0.5, seed=21)
    model.save(tmp_path / "m.json")
    rebuilt = MLP.from_file(tmp_path / "m.json")
    fresh = MLP(2, [8, 1], dropout=0.5, seed=21)
    assert [rebuilt([0.1, 0.2]).data for _ in range(4)] == [fresh([0.1, 0.2]).data for _ in range(4)]


def test_from_state_dict_and_class_check(model, saved):
    assert bits(MLP.from_state_dict(model.state_dict())) == bits(model)
    with pytest.raises(ValueError, match="holds a MLP, not a Layer"):
        Layer.from_file(saved)


def test_saved_file_is_readable_json_with_a_new_files_usual_permissions(model, saved):
    with open(saved, encoding="utf-8") as f:
        assert json.load(f) == model.state_dict()
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(saved).st_mode & 0o777 == 0o666 & ~umask


def test_overwriting_keeps_the_files_permissions(model, saved):
    os.chmod(saved, 0o640)
    model.save(saved)
    assert os.stat(saved).st_mode & 0o777 == 0o640


# --- bad files: a clear error and the model bit-identical ---------------------------------------------

def edit_state(change):
    """A file writer: the model's valid state, changed by ``change(state)``, written as JSON."""

    def write(model, path):
        state = model.state_dict()
        change(state)
        path.write_text(json.dumps(state), encoding="utf-8")

    return write


def write_text(text):
    def write(model, path):
        path.write_text(text, encoding="utf-8")

    return write


def truncated(model, path):
    text = json.dumps(model.state_dict())
    path.write_text(text[: len(text) // 2], encoding="utf-8")


def binary(model, path):
    path.write_bytes(b"\x80\x03\x95PK\x00\xff" * 10)


BAD_FILES = [
    ("empty", write_text(""), ValueError, "not valid JSON"),
    ("truncated", truncated, ValueError, r"not valid JSON \(truncated"),
    ("not json", write_text("weights: 1, 2, 3"), ValueError, "not valid JSON"),
    ("binary", binary, ValueError, "not UTF-8"),
    ("json list", write_text("[1.0, 2.0]"), TypeError, "expected a model state \\(a dict\\), got list"),
    ("missing key", edit_state(lambda s: s.pop("architecture")), ValueError, "missing 'architecture'"),
    ("wrong format", edit_state(lambda s: s.update(format="pytorch")), ValueError, "format 'pytorch' is not a microgradnet model"),
    ("newer version", edit_state(lambda s: s.update(version=2)), ValueError, "version 2 is not supported"),
    ("version as text", edit_state(lambda s: s.update(version="1")), TypeError, "version must be an int, got str"),
    ("wrong layer sizes", edit_state(lambda s: s["architecture"].update(nouts=[4, 1])), ValueError,
     r"architecture mismatch \(nouts: file has \[4, 1\], model has \[4, 3, 1\]\)"),
    ("wrong activation", edit_state(lambda s: s["architecture"].update(activation="relu")), ValueError,
     "activation: file has 'relu', model has 'tanh'"),
    ("wrong type", edit_state(lambda s: s["architecture"].update(type="Layer")), ValueError, "architecture mismatch"),
    ("architecture not a dict", edit_state(lambda s: s.update(architecture=[2, 4, 3, 1])), TypeError, "architecture must be a dict"),
    ("too few parameters", edit_state(lambda s: s["parameters"].pop()), ValueError, "expected 31 parameters, got 30"),
    ("too many parameters", edit_state(lambda s: s["parameters"].append(0.0)), ValueError, "expected 31 parameters, got 32"),
    ("parameters not a list", edit_state(lambda s: s.update(parameters={"w": 1.0})), TypeError, "parameters must be a list"),
    ("string parameter", edit_state(lambda s: s["parameters"].__setitem__(30, "0.5")), TypeError, "parameter 30 must be a number, got str"),
    ("null parameter", edit_state(lambda s: s["parameters"].__setitem__(0, None)), TypeError, "parameter 0 must be a number, got NoneType"),
    ("bool parameter", edit_state(lambda s: s["parameters"].__setitem__(5, True)), TypeError, "parameter 5 must be a number, got bool"),
    ("nested parameter", edit_state(lambda s: s["parameters"].__setitem__(7, [1.0])), TypeError, "parameter 7 must be a number, got list"),
    ("seed as text", edit_state(lambda s: s.update(seed="1")), TypeError, "seed must be an int or null"),
    ("integer beyond float range", edit_state(lambda s: s["parameters"].__setitem__(3, 10 ** 400)), ValueError,
     "parameter 3 is an integer too large for a float"),
]


@pytest.mark.parametrize(("case", "write", "error", "message"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_file_raises_and_leaves_parameters_bit_identical(model, tmp_path, case, write, error, message):
    path = tmp_path / "bad.json"
    write(model, path)
    before = bits(model)
    with pytest.raises(error, match=message) as raised:
        model.load(path)
    assert "bad.json" in str(raised.value)
    assert bits(model) == before


def test_missing_file_names_the_path_and_leaves_parameters(model, tmp_path):
    before = bits(model)
    path = tmp_path / "nowhere" / "model.json"
    with pytest.raises(FileNotFoundError, match="no such model file") as raised:
        model.load(path)
    assert raised.value.filename == str(path) and str(path) in str(raised.value)
    assert bits(model) == before
    with pytest.raises(FileNotFoundError):
        MLP.from_file(path)


def test_valid_file_loads_after_a_bad_one_was_refused(model, saved, tmp_path):
    other = MLP(2, [4, 3, 1], activation="tanh", seed=2)
    truncated(model, tmp_path / "bad.json")
    with pytest.raises(ValueError):
        other.load(tmp_path / "bad.json")
    other.load(saved)
    assert bits(other) == bits(model)


def test_one_bad_value_after_many_good_ones_changes_nothing(model):
    state = model.state_dict()
    state["parameters"] = [0.5] * 30 + ["oops"]
    before = bits(model)
    with pytest.raises(TypeError, match="parameter 30"):
        model.load_state_dict(state)
    assert bits(model) == before


@pytest.mark.parametrize(
    ("architecture", "error", "message"),
    [
        ({"type": "Transformer", "nin": 2}, ValueError, "unknown model type 'Transformer'; known: MLP, Layer"),
        ({"type": "Neuron", "nin": 2, "activation": "relu", "extra": 1}, ValueError, r"fields \['nin', 'activation'\]"),
        ({"type": "Neuron", "nin": 2}, ValueError, r"fields \['nin', 'activation'\], got \['nin'\]"),
        ({"type": "Neuron", "nin": -3, "activation": "relu"}, ValueError, "nin must be an int >= 1, got -3"),
        ({"type": "Neuron", "nin": "2", "activation": "relu"}, TypeError, "nin must be an int, got str"),
        ({"type": "Layer", "nin": 2, "nout": 2, "activation": "swish"}, ValueError, "unknown activation 'swish'"),
    ],
)
def test_from_file_refuses_a_bad_architecture(tmp_path, architecture, error, message):
    state = serialize.make_state(architecture, [0.0, 0.0, 0.0], None)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    with pytest.raises(error, match=message) as raised:
        Module.from_file(path)
    assert "m.json" in str(raised.value)


def test_load_state_dict_refuses_a_non_dict(model):
    before = bits(model)
    with pytest.raises(TypeError, match="load_state_dict: expected a model state \\(a dict\\), got str"):
        model.load_state_dict("model.json")
    assert bits(model) == before


# --- atomic saves ----------------------------------------------------------------------------------------

def test_failure_while_writing_leaves_the_old_file_and_no_temp_file(model, saved, monkeypatch):
    old = saved.read_bytes()

    def fail_after_writing(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", fail_after_writing)
    for p in model.parameters():
        p.data += 1.0
    with pytest.raises(OSError, match="No space left on device"):
        model.save(saved)
    assert saved.read_bytes() == old
    assert os.listdir(saved.parent) == ["model.json"]


def test_failure_at_rename_leaves_the_old_file_and_no_temp_file(model, saved, monkeypatch):
    old = saved.read_bytes()

    def refuse(src, dst):
        raise PermissionError("read-only")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(PermissionError):
        Layer(2, 2, seed=0).save(saved)
    assert saved.read_bytes() == old
    assert os.listdir(saved.parent) == ["model.json"]


def test_failed_first_save_creates_no_file(model, tmp_path, monkeypatch):
    monkeypatch.setattr(files.os, "fsync", lambda fd: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        model.save(tmp_path / "new.json")
    assert os.listdir(tmp_path) == []


def test_save_into_a_missing_directory_raises(model, tmp_path):
    with pytest.raises(FileNotFoundError):
        model.save(tmp_path / "no" / "such" / "dir" / "m.json")


def test_save_accepts_str_paths_and_refuses_other_types(model, tmp_path):
    model.save(str(tmp_path / "m.json"))
    assert bits(MLP.from_file(str(tmp_path / "m.json"))) == bits(model)
    with pytest.raises(TypeError):
        model.save(42)


def test_package_exports_the_networks():
    assert {"MLP", "Layer", "Neuron", "Maxout", "Dropout", "Perceptron", "Module"} <= set(mg.__all__)
    assert mg.nn.MLP is MLP
