"""The recorded graph and the backward walk.

A ``Box`` is a value being traced: ``_value`` holds the array (or, inside nested
transforms, a box of a lower level) and ``_node`` the place in the graph that made
it. A ``Node`` is one recorded primitive call; it keeps what its derivative rules
need and points at the nodes of its traced inputs. Every node gets a sequence
number when it is made, and a node is always made after the nodes it consumes, so
walking nodes from the highest number down visits each node after all of its
consumers: the backward walk is a heap ordered by that number, no recursion.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import threading
import weakref

from .rules import JointVjp, MissingRuleError
from .state import changed_behind_back, inplace_epoch, modified_since, state

_next_seq = itertools.count().__next__
FREED = object()  # what a node's saved values become once backward has used them
NO_KWARGS: dict = {}  # the keyword arguments of every node recorded without any (never changed)


class Box:
    """A traced value: the engine's view of a Tensor."""

    __slots__ = ("_value", "_node", "grad", "__weakref__")


class Node(list):
    """One recorded primitive call, and the list of its parents: for each input, the
    node that made it (None if not traced here).

    Holding its parents itself, rather than in a tuple of its own, saves the cyclic
    garbage collector one object to count and rescan per recorded operation. Nodes
    compare and hash by identity, as objects do.
    """

    # prim     the Primitive called
    # vals     its inputs one level down, as the rules receive them
    # kwargs   keyword arguments, passed on to the rules
    # ans      the output, when a rule needs it
    # level    the trace level this node belongs to
    # seq      creation order: consumers always have a higher number
    # shape    the output's shape, to undo broadcasting of gradients
    # epoch    the in-place counter when recorded
    # hooks    None, or functions to run on this node's total gradient
    __slots__ = ("prim", "vals", "kwargs", "ans", "level", "seq", "shape", "epoch", "hooks")

    __hash__ = object.__hash__
    __eq__ = object.__eq__
    __ne__ = object.__ne__

    def __repr__(self) -> str:  # not list's, which would print the graph behind
        return f"<node {self.name} of {len(self)} inputs>"

    @property
    def parents(self) -> Node:
        """For each input, the node that made it (None if not traced here)."""
        return self

    @property
    def name(self) -> str:
        return self.prim.name


def strip(x):
    """The plain value under any number of boxes."""
    while isinstance(x, Box):
        x = x._value
    return x


def new_node(prim, vals, kwargs, ans, parents, level, shape):
    """A Node, filled in without the cost of an ``__init__`` call (``parents``, any
    sequence, become its items)."""
    node = _new_list(Node)
    node += parents
    node.prim = prim
    node.vals = vals
    node.kwargs = kwargs or NO_KWARGS
    node.ans = ans
    node.level = level
    node.seq = _next_seq()
    node.shape = shape
    node.epoch = inplace_epoch[0]
    node.hooks = None
    return node


_new_list = list.__new__


class LeafNode(Node):
    """Where gradients stop: a tensor that requires grad, or a transform's input."""

    __slots__ = ("tensor_ref",)

    def __init__(self, level, shape, tensor=None):
        self.prim = None
        self.vals = self.ans = None
        self.kwargs = NO_KWARGS
        self.level = level
        self.seq = _next_seq()
        self.shape = shape
        self.epoch = inplace_epoch[0]
        self.hooks = None
        self.tensor_ref = None if tensor is None else weakref.ref(tensor)

    @property
    def name(self) -> str:
        return "leaf"



class RetainGrad:
    """A hook marker: store the node's total gradient in a tensor's ``.grad``."""

    __slots__ = ("tensor_ref",)

    def __init__(self, tensor):
        self.tensor_ref = weakref.ref(tensor)


def backward_pass(seeds, *, make_box, reduce_to_shape, retain_graph=False,
                  create_graph=False, capture=None, accumulate=True, batched=False):
    """Propagate cotangents from ``seeds`` ([(node, g), ...]) to the leaves.

    Returns ``(captured, to_store)``: the total cotangent of each node in
    ``capture``, and with ``accumulate`` the (tensor weakref, gradient) pairs for
    leaf and retained tensors, which the caller stores only once the walk has
    succeeded, so that a failure leaves every ``.grad`` untouched.
    ``make_box(value, node)`` rebuilds a traced value for ``create_graph``.
    With ``batched``, every cotangent has a leading batch axis (many backward
    passes at once) and ``reduce_to_shape(g, shape)`` must keep that axis.
    """
    # The walk frees the graph as it goes; the cycle collector would only spend
    # time scanning it, so it is paused for the walk (for all walks under way).
    _collector.pause()
    try:
        return _walk(seeds, make_box, reduce_to_shape, retain_graph, create_graph, capture,
                     accumulate, batched)
    finally:
        _collector.resume()


class _CollectorPause:
    """Pauses the process-wide garbage collector while any thread walks a graph, and
    restores it as it was found when the last walk ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._walks = 0
        self._was_enabled = False

    def pause(self) -> None:
        with self._lock:
            if not self._walks:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._walks += 1

    def resume(self) -> None:
        with self._lock:
            self._walks -= 1
            if not self._walks and self._was_enabled:
                gc.enable()


_collector = _CollectorPause()


def _walk(seeds, make_box, reduce_to_shape, retain_graph, create_graph, capture, accumulate,
          batched):
    grads = {}
    heap = []
    for node, g in seeds:
        if node in grads:
            grads[node] = grads[node] + g
        else:
            grads[node] = g
            heapq.heappush(heap, (-node.seq, node))
    captured = {}
    to_store = []
    epoch = inplace_epoch[0]
    detect_nan = state.detect_anomaly
    pop, push, pushpop = heapq.heappop, heapq.heappush, heapq.heappushpop
    # The first parent a node gives a cotangent waits here rather than in the heap:
    # when the heap is empty it runs next without a push and a pop (a chain of
    # operations never touches the heap).
    fresh = None
    node = None
    try:
        while True:
            if fresh is not None:
                node = pushpop(heap, (-fresh.seq, fresh))[1] if heap else fresh
                fresh = None
            elif heap:
                node = pop(heap)[1]
            else:
                break
            g = grads.pop(node)
            if node.hooks is not None:
                g = _run_hooks(node, g, to_store)
            if capture is not None and node in capture:
                captured[node] = g
            prim = node.prim
            if prim is None:
                if accumulate and node.tensor_ref is not None:
                    to_store.append((node.tensor_ref, g))
                continue
            vals = node.vals
            if vals is FREED:
                raise RuntimeError(
                    f"backward through the graph a second time: the values saved by "
                    f"'{prim.name}' were freed after the first backward(). Pass "
                    f"retain_graph=True to the first backward() if you need to call it again.")
            if node.epoch != epoch:
                _check_unchanged(node)
            ans = node.ans
            if create_graph:
                vals, ans = _rebuild_boxes(node, make_box)
            vjps = prim.vjps
            kwargs = node.kwargs
            if batched:
                cotangents = prim.batching.vjp(prim, g, ans, vals, kwargs, node.parents)
            elif type(vjps) is JointVjp:
                cotangents = vjps.rule(g, ans, *vals, **kwargs)
            else:
                cotangents = None
            for argnum, parent in enumerate(node):
                if parent is None:
                    continue
                if cotangents is None:
                    try:
                        rule = vjps[argnum]
                    except IndexError:
                        rule = None
                    if rule is None:
                        raise _no_vjp_rule(prim, argnum)
                    gp = rule(g, ans, *vals, **kwargs) if kwargs else rule(g, ans, *vals)
                    if gp.shape != parent.shape:
                        gp = reduce_to_shape(gp, parent.shape)
                else:
                    gp = _cotangent_of(cotangents, prim, argnum, parent, g, batched,
                                       reduce_to_shape)
                if detect_nan and bool((gp != gp).any()):
                    raise FloatingPointError(
                        f"'{prim.name}' produced NaN in the gradient of its argument {argnum} "
                        f"during backward() (its output has shape {node.shape}); check the "
                        f"input values that reach '{prim.name}' (e.g. log or sqrt of values "
                        f"<= 0, 0/0, inf - inf).")
                old = grads.get(parent)
                if old is None:
                    grads[parent] = gp
                    if fresh is None:
                        fresh = parent
                    else:
                        push(heap, (-parent.seq, parent))
                else:
                    grads[parent] = old + gp
            if not retain_graph:
                node.vals = FREED
                node.ans = None
                node.kwargs = NO_KWARGS  # may hold what a rule reads (a compiled call's residuals)
    except Exception as error:
        if node is not None and node.prim is not None:
            from .arrays import note_foreign_failure  # arrays imports this module

            note_foreign_failure(node.prim, node.vals, error, "its gradient rule")
        raise
    return captured, to_store


def _no_vjp_rule(prim, argnum) -> MissingRuleError:
    return MissingRuleError(
        f"'{prim.name}' has no derivative rule (VJP) for its argument {argnum}; define "
        f"one with {prim.name}.defvjp(...), or pass that argument through .detach() / "
        f"stop_gradient().", prim.name, "rev")


def _cotangent_of(cotangents, prim, argnum, parent, g, batched, reduce_to_shape):
    """Argument ``argnum``'s entry of ``cotangents`` (from a joint or batched rule),
    reduced to its shape (with the batch axis in front for a batch)."""
    gp = cotangents[argnum]
    if gp is None:
        raise _no_vjp_rule(prim, argnum)
    shape = (g.shape[0],) + parent.shape if batched else parent.shape
    if gp.shape != shape:
        gp = reduce_to_shape(gp, shape)
    return gp


def _run_hooks(node, g, to_store):
    for hook in node.hooks:
        if type(hook) is RetainGrad:
            to_store.append((hook.tensor_ref, g))
        else:
            result = hook(g)
            if result is not None:
                g = result
    return g


def _rebuild_boxes(node, make_box):
    """The saved inputs and output as traced values, so rules record a graph."""
    vals = node.vals
    if node.prim.saves_args:
        vals = [v if parent is None else make_box(v, parent)
                for v, parent in zip(vals, node.parents)]
    return vals, None if node.ans is None else make_box(node.ans, node)


def _check_unchanged(node):
    check_saved_values(node.prim.name, node.vals, node.ans, node.epoch)


def check_saved_values(name, vals, ans, epoch) -> None:
    """Raise if an array a rule will read was changed after ``epoch``, when it was saved."""
    saved = [(f"argument {i}", v) for i, v in enumerate(vals) if v is not None]
    if ans is not None:
        saved.append(("output", ans))
    for what, value in saved:
        if isinstance(value, Box):
            continue
        if modified_since(value, epoch):
            how = "in place"
        elif changed_behind_back(value, epoch):
            how = "through a raw NumPy array (from .data or detach())"
        else:
            continue
        raise RuntimeError(
            f"the {what} of '{name}' (shape {value.shape}) was modified {how} after it "
            f"was used, but its derivative needs the old value. Modify a copy instead "
            f"(t = t.clone()), or make the change before the operation that uses it.")
