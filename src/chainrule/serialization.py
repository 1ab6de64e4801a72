"""Saving and loading state dicts as ``.npz`` files, without pickle.

``save`` accepts nested dicts, lists and tuples whose leaves are arrays, Tensors
(their data is saved), NumPy scalars, Python numbers, strings, booleans and
None: what the ``state_dict()`` of a model, optimizer or scheduler holds. Each
array becomes one entry of the ``.npz`` archive, named by its path in the
structure (``"fc1.weight"``, ``"state/0/exp_avg"``), so the file is readable with
``np.load`` alone. The shape of the structure and its scalar leaves are kept as
JSON text in one more entry. Nothing is pickled, on writing or on reading, so
loading a file cannot run code.

>>> cr.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, "ckpt.npz")
>>> checkpoint = cr.load("ckpt.npz")
>>> model.load_state_dict(checkpoint["model"])
"""

from __future__ import annotations

import json
import os
from typing import IO, Any

import numpy as np

from .tensor import Tensor

PathOrFile = str | os.PathLike | IO[bytes]

_STRUCTURE = "__structure__"
_FORMAT = "chainrule-state"
_VERSION = 1


def save(obj: Any, path: PathOrFile) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of arrays and scalars) to ``path``.

    The file is written at exactly ``path`` (no ``.npz`` is appended). Raises
    TypeError, naming the entry, for anything else, such as a function or an
    array of Python objects.
    """
    arrays: dict[str, np.ndarray] = {}
    root = _encode(obj, (), arrays)
    header = json.dumps({"format": _FORMAT, "version": _VERSION, "root": root})
    arrays[_STRUCTURE] = np.array(header)
    if isinstance(path, (str, os.PathLike)):
        with open(path, "wb") as file:
            np.savez(file, allow_pickle=False, **arrays)
    else:
        np.savez(path, allow_pickle=False, **arrays)


def load(path: PathOrFile) -> Any:
    """Read what ``save`` wrote: the same nested structure, with arrays as NumPy arrays.

    Dicts come back as plain dicts (an ``OrderedDict`` too), with keys in order.

    A plain ``.npz`` written by ``np.savez`` loads as a dict of its arrays.
    """
    with np.load(path, allow_pickle=False) as archive:
        if _STRUCTURE not in archive.files:
            return {name: archive[name] for name in archive.files}
        header = json.loads(str(archive[_STRUCTURE][()]))
        if header.get("format") != _FORMAT or header.get("version") != _VERSION:
            raise ValueError(f"{path!r} is not a chainrule state file this version can read "
                             f"(format {header.get('format')!r}, version "
                             f"{header.get('version')!r})")
        return _decode(header["root"], archive)


def _path_text(path: tuple) -> str:
    return "/".join(str(part) for part in path) or "value"


def _encode(obj: Any, path: tuple, arrays: dict[str, np.ndarray]) -> Any:
    """JSON for ``obj``: scalars as themselves, containers and arrays as one-key dicts."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        return {"dict": [[_encode_key(key, path), _encode(value, (*path, key), arrays)]
                         for key, value in obj.items()]}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(item, (*path, i), arrays) for i, item in enumerate(obj)]}
    if isinstance(obj, (np.ndarray, np.generic, Tensor)):
        array = obj.numpy() if isinstance(obj, Tensor) else np.asarray(obj)
        if array.dtype.hasobject:
            raise TypeError(f"cannot save {_path_text(path)!r}: an array of Python objects "
                            f"would need pickle; convert it to a numeric dtype")
        name = _unique_name(_path_text(path), arrays)
        arrays[name] = array
        return {"scalar" if isinstance(obj, np.generic) else "array": name}
    raise TypeError(f"cannot save {_path_text(path)!r} of type {type(obj).__name__}: only "
                    f"dicts, lists, tuples, arrays, Tensors, numbers, strings and None "
                    f"can be saved without pickle")


def _encode_key(key: Any, path: tuple) -> Any:
    if isinstance(key, np.integer):
        return int(key)
    if isinstance(key, (str, int)) and not isinstance(key, bool):
        return key
    raise TypeError(f"cannot save a dict key {key!r} under {_path_text(path)!r}: keys must be "
                    f"strings or integers")


def _unique_name(name: str, taken: dict[str, np.ndarray]) -> str:
    candidate, number = name, 1
    while candidate in taken or candidate == _STRUCTURE:
        number += 1
        candidate = f"{name}#{number}"
    return candidate


def _decode(node: Any, archive: Any) -> Any:
    if not isinstance(node, dict):
        return node
    (kind, body), = node.items()
    if kind == "dict":
        return {key: _decode(value, archive) for key, value in body}
    if kind == "list":
        return [_decode(item, archive) for item in body]
    if kind == "tuple":
        return tuple(_decode(item, archive) for item in body)
    if kind == "array":
        return archive[body]
    if kind == "scalar":
        return archive[body][()]
    raise ValueError(f"unknown entry kind {kind!r} in the saved structure")
