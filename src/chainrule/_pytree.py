"""Nested tuples, lists and dicts of arrays ("pytrees"): flatten and rebuild."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def flatten(tree: Any) -> tuple[list, Any]:
    """The leaves of ``tree`` in order, and a structure to rebuild it with."""
    leaves: list = []
    structure = _flatten_into(tree, leaves)
    return leaves, structure


def _flatten_into(tree, leaves):
    if isinstance(tree, (tuple, list)):
        return (type(tree), [_flatten_into(item, leaves) for item in tree])
    if isinstance(tree, dict):
        keys = list(tree)
        return (dict, keys, [_flatten_into(tree[k], leaves) for k in keys])
    leaves.append(tree)
    return None


def unflatten(structure: Any, leaves: list) -> Any:
    """Rebuild the tree that ``flatten`` took apart, with new leaves."""
    position = iter(leaves)
    return _build(structure, position)


def _build(structure, position):
    if structure is None:
        return next(position)
    if structure[0] is dict:
        _, keys, children = structure
        return {k: _build(c, position) for k, c in zip(keys, children)}
    kind, children = structure
    items = [_build(c, position) for c in children]
    return kind(items) if kind in (tuple, list) else kind(*items)


def tree_map(fn: Callable, tree: Any) -> Any:
    """Apply ``fn`` to every leaf of ``tree``."""
    leaves, structure = flatten(tree)
    return unflatten(structure, [fn(leaf) for leaf in leaves])
