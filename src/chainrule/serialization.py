"""Saving and loading state dicts as ``.npz`` files, without pickle.

``save`` accepts nested dicts, lists and tuples whose leaves are arrays, Tensors
(their data is saved), NumPy scalars, Python numbers, strings, booleans and
None: what the ``state_dict()`` of a model, optimizer or scheduler holds. Each
array becomes one entry of the ``.npz`` archive, named by its path in the
structure (``"fc1.weight"``, ``"state/0/exp_avg"``), so the file is readable with
``np.load`` alone. The shape of the structure and its scalar leaves are kept as
JSON text in one more entry. Nothing is pickled, on writing or on reading, so
loading a file cannot run code.

>>> import os, tempfile
>>> import chainrule as cr
>>> model = cr.nn.Linear(2, 1, rng=0)
>>> opt = cr.optim.SGD(model.parameters(), lr=0.1)
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
>>> cr.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
>>> checkpoint = cr.load(path)
>>> sorted(checkpoint["model"])
['bias', 'weight']
>>> model.load_state_dict(checkpoint["model"])
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
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


class StateFileError(ValueError):
    """A file ``load`` cannot read: not a ``.npz`` archive, damaged, or not what ``save`` writes."""

    def __init__(self, file: str, cause: str):
        super().__init__(f"{file} is not a chainrule state file: {cause}")
        self.file = file
        self.cause = cause


class _Unreadable(Exception):
    """Why a file cannot be loaded; ``load`` turns it into a ``StateFileError``."""


GIB = 1 << 30


def load(path: PathOrFile, *, max_bytes: int | None = None) -> Any:
    """Read what ``save`` wrote: the same nested structure, with arrays as NumPy arrays.

    Dicts come back as plain dicts (an ``OrderedDict`` too), with keys in order.
    A plain ``.npz`` written by ``np.savez`` loads as a dict of its arrays.

    ``max_bytes`` caps the total size of the arrays once decompressed. The default
    is the larger of 1 GiB and the size of the file itself: ``save`` does not
    compress, so every file it writes loads, while a small compressed archive
    cannot inflate to fill the memory. Pass a larger number for a bigger
    compressed archive.

    Raises ``StateFileError`` (a ``ValueError``) with the message ``"FILE is not a
    chainrule state file: <cause>"`` for anything else: another kind of file, a
    truncated or corrupted archive, an entry that is not a plain array (pickled
    objects are never loaded), or a malformed structure.
    """
    if max_bytes is None:
        max_bytes = max(GIB, _file_size(path))
    try:
        with zipfile.ZipFile(path) as archive:
            entries = _array_entries(archive, max_bytes)
            arrays = {name: _read_array(archive, info, name) for name, info in entries.items()}
        return _decode_file(arrays) if _STRUCTURE in arrays else arrays
    except _Unreadable as error:
        cause = str(error)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        cause = f"a damaged or unreadable zip archive ({error})"
    except RecursionError:
        cause = "its structure is nested too deeply"
    raise StateFileError(_file_name(path), cause)


def _file_name(path: PathOrFile) -> str:
    if isinstance(path, (str, os.PathLike)):
        return os.fspath(path)
    name = getattr(path, "name", None)
    return name if isinstance(name, str) else "the file"


def _file_size(path: PathOrFile) -> int:
    if isinstance(path, (str, os.PathLike)):
        return os.path.getsize(path)
    start = path.tell()
    end = path.seek(0, os.SEEK_END)
    path.seek(start)
    return end - start


def _array_entries(archive: zipfile.ZipFile, max_bytes: int) -> dict[str, zipfile.ZipInfo]:
    """The ``.npy`` members by array name, once their total size is known to fit the cap."""
    entries = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise _Unreadable(f"entry {info.filename!r} is not a NumPy array (.npy)")
        entries[info.filename[:-len(".npy")]] = info
    total = sum(info.file_size for info in entries.values())
    if total > max_bytes:
        raise _Unreadable(f"its arrays take {total} bytes once decompressed, more than "
                          f"max_bytes={max_bytes}; pass a larger max_bytes to load it")
    return entries


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> np.ndarray:
    """One ``.npy`` entry, after checking that its header agrees with its size."""
    with archive.open(info) as stream:
        try:
            version = np.lib.format.read_magic(stream)
            # Format 3.0 differs from 2.0 only in encoding field names as UTF-8, which
            # does not change the size checked here.
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(stream)
        except (ValueError, SyntaxError) as error:
            raise _Unreadable(f"entry {name!r} is not a valid .npy array ({error})") from None
        if dtype.hasobject:
            raise _Unreadable(f"entry {name!r} holds Python objects, which would need "
                              "pickle; chainrule never unpickles")
        data_bytes = math.prod(shape) * dtype.itemsize
        header_bytes = stream.tell()
    if header_bytes + data_bytes != info.file_size:
        raise _Unreadable(f"entry {name!r} declares shape {shape} of {dtype} "
                          f"({data_bytes} bytes) but holds "
                          f"{info.file_size - header_bytes} bytes of data")
    with archive.open(info) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False)


def _decode_file(arrays: dict[str, np.ndarray]) -> Any:
    text = arrays[_STRUCTURE]
    if text.shape != () or text.dtype.kind != "U":
        raise _Unreadable(f"its {_STRUCTURE} entry is not a text scalar")
    try:
        header = json.loads(str(text[()]))
    except json.JSONDecodeError as error:
        raise _Unreadable(f"its structure is not valid JSON ({error})") from None
    if not isinstance(header, dict):
        raise _Unreadable("its structure is not a JSON object")
    if header.get("format") != _FORMAT or header.get("version") != _VERSION:
        raise _Unreadable(f"format {header.get('format')!r}, version "
                          f"{header.get('version')!r}; this version of chainrule reads "
                          f"format {_FORMAT!r}, version {_VERSION}")
    if "root" not in header:
        raise _Unreadable("its structure has no root")
    return _decode(header["root"], arrays)


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


def _decode(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not (isinstance(node, dict) and len(node) == 1):
        raise _Unreadable(f"malformed structure entry {_snippet(node)}")
    (kind, body), = node.items()
    if kind == "dict" and isinstance(body, list) and all(_is_pair(item) for item in body):
        return {key: _decode(value, arrays) for key, value in body}
    if kind == "list" and isinstance(body, list):
        return [_decode(item, arrays) for item in body]
    if kind == "tuple" and isinstance(body, list):
        return tuple(_decode(item, arrays) for item in body)
    if kind in ("array", "scalar") and isinstance(body, str) and body in arrays:
        array = arrays[body]
        if kind == "array":
            return array
        if array.shape == ():
            return array[()]
    raise _Unreadable(f"malformed structure entry {_snippet(node)}")


def _is_pair(item: Any) -> bool:
    return (isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))
            and not isinstance(item[0], bool))


def _snippet(node: Any) -> str:
    text = json.dumps(node)
    return text if len(text) <= 80 else text[:77] + "..."
