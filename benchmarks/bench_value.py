"""Time one forward + backward of the micrograd demo workload on scalar engines.

The workload is the one from micrograd's ``demo.ipynb``: an MLP 2-16-16-1 with ReLU
hidden layers, an SVM max-margin loss plus L2 regularisation (alpha = 1e-4), over
100 points of make_moons. Every engine starts from the same weights; the script
checks that all of them compute the same loss and gradients before timing.

Rows:

- ``chainrule Value``: chainrule.value.Value driven by micrograd's own model code.
- ``chainrule teach.MLP``: the same model through chainrule.teach.
- ``micrograd``: the micrograd package (skipped when not installed).
- ``floats, same code``: the model code of the Value rows run on plain floats, with
  the backward pass written by hand. This is what the engine's overhead is
  measured against: the same arithmetic, in the same shape, without a graph.
- ``floats, tight loops``: forward and backward hand-written as plain loops.

Run: ``PYTHONPATH=src python benchmarks/bench_value.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from chainrule.teach import MLP as TeachMLP
from chainrule.value import Value

ALPHA = 1e-4
SIZES = (2, 16, 16, 1)


# -- data and weights ---------------------------------------------------------------


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles; scikit-learn's when installed, else the same recipe."""
    try:
        from sklearn.datasets import make_moons as sklearn_moons
    except ImportError:
        X, y = numpy_moons(n_samples, noise, seed)
    else:
        X, y = sklearn_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return X.tolist(), (2 * y - 1).astype(float).tolist()


def numpy_moons(n_samples: int, noise: float, seed: int):
    """scikit-learn's make_moons recipe, for machines without scikit-learn."""
    rng = np.random.default_rng(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = np.linspace(0, np.pi, n_outer)
    inner = np.linspace(0, np.pi, n_inner)
    X = np.vstack([
        np.column_stack([np.cos(outer), np.sin(outer)]),
        np.column_stack([1 - np.cos(inner), 1 - np.sin(inner) - 0.5]),
    ])
    X += rng.normal(scale=noise, size=X.shape)
    return X, np.concatenate([np.zeros(n_outer), np.ones(n_inner)])


def initial_weights(seed: int = 1337) -> list[list[tuple[list[float], float]]]:
    """Per layer, per neuron: (weights, bias), drawn as micrograd draws them."""
    rng = random.Random(seed)
    return [
        [([rng.uniform(-1, 1) for _ in range(nin)], 0.0) for _ in range(nout)]
        for nin, nout in zip(SIZES[:-1], SIZES[1:], strict=True)
    ]


# -- the micrograd demo model, written once for any Value class ---------------------


class DemoMLP:
    """micrograd's nn.MLP, line for line, over a chosen Value class (or float)."""

    def __init__(self, weights, value_class) -> None:
        self.layers = [
            [([value_class(w) for w in ws], value_class(b)) for ws, b in layer]
            for layer in weights
        ]

    def __call__(self, x):
        last = len(self.layers) - 1
        for index, layer in enumerate(self.layers):
            outputs = []
            for ws, b in layer:
                act = sum((wi * xi for wi, xi in zip(ws, x, strict=True)), b)
                outputs.append(act.relu() if index != last else act)
            x = outputs
        return x[0]

    def parameters(self):
        return [p for layer in self.layers for ws, b in layer for p in [*ws, b]]


def demo_loss(model, X, y, value_class):
    """micrograd demo's loss(): SVM max-margin loss + L2 regularisation."""
    inputs = [list(map(value_class, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def graph_step(model, X, y, value_class) -> tuple[float, list[float]]:
    for p in model.parameters():
        p.grad = 0.0
    loss = demo_loss(model, X, y, value_class)
    loss.backward()
    return loss.data, [p.grad for p in model.parameters()]


# -- the same computation on floats ---------------------------------------------------


def float_step_same_code(weights, X, y) -> tuple[float, list[float]]:
    """Forward in the shape of DemoMLP / demo_loss on floats; backward by hand."""
    layers = [[(ws, b) for ws, b in layer] for layer in weights]
    grads = [[([0.0] * len(ws), [0.0]) for ws, _ in layer] for layer in layers]
    last = len(layers) - 1
    scale = 1.0 / len(X)
    data_loss = 0.0
    for x, yi in zip(X, y, strict=True):
        inputs, pre_activations = [], []
        for index, layer in enumerate(layers):
            inputs.append(x)
            acts = [sum((wi * xi for wi, xi in zip(ws, x, strict=True)), b) for ws, b in layer]
            pre_activations.append(acts)
            x = [max(a, 0.0) for a in acts] if index != last else acts
        margin = 1 + -yi * x[0]
        data_loss += max(margin, 0.0)
        upstream = [(-yi * scale) if margin > 0.0 else 0.0]
        for index in range(last, -1, -1):
            if index != last:
                upstream = _relu_gate(upstream, pre_activations[index])
            upstream = _backprop_layer(layers[index], grads[index], inputs[index], upstream)
    reg_loss = 0.0
    for layer, layer_grads in zip(layers, grads, strict=True):
        for (ws, b), (gws, gb) in zip(layer, layer_grads, strict=True):
            reg_loss += sum(w * w for w in ws) + b * b
            for i, w in enumerate(ws):
                gws[i] += 2 * ALPHA * w
            gb[0] += 2 * ALPHA * b
    flat = [g for layer in grads for gws, gb in layer for g in [*gws, *gb]]
    return data_loss * scale + ALPHA * reg_loss, flat


def _relu_gate(upstream, pre_activations):
    return [g if a > 0.0 else 0.0 for g, a in zip(upstream, pre_activations, strict=True)]


def _backprop_layer(layer, layer_grads, inputs, upstream):
    downstream = [0.0] * len(inputs)
    for (ws, _), (gws, gb), g in zip(layer, layer_grads, upstream, strict=True):
        gb[0] += g
        for i, (w, xi) in enumerate(zip(ws, inputs, strict=True)):
            gws[i] += g * xi
            downstream[i] += g * w
    return downstream


def float_step_tight_loops(weights, X, y) -> tuple[float, list[float]]:
    """Forward and backward as plain accumulation loops, no generators."""
    grads = [[([0.0] * len(ws), [0.0]) for ws, _ in layer] for layer in weights]
    last = len(weights) - 1
    scale = 1.0 / len(X)
    loss = 0.0
    for x, yi in zip(X, y, strict=True):
        inputs, pre_activations = [], []
        for index, layer in enumerate(weights):
            inputs.append(x)
            acts = []
            for ws, b in layer:
                total = b
                for w, xi in zip(ws, x, strict=True):
                    total += w * xi
                acts.append(total)
            pre_activations.append(acts)
            x = [a if a > 0.0 else 0.0 for a in acts] if index != last else acts
        margin = 1.0 - yi * x[0]
        if margin > 0.0:
            loss += margin * scale
        upstream = [(-yi * scale) if margin > 0.0 else 0.0]
        for index in range(last, -1, -1):
            if index != last:
                upstream = _relu_gate(upstream, pre_activations[index])
            upstream = _backprop_layer(weights[index], grads[index], inputs[index], upstream)
    for layer, layer_grads in zip(weights, grads, strict=True):
        for (ws, b), (gws, gb) in zip(layer, layer_grads, strict=True):
            for i, w in enumerate(ws):
                loss += ALPHA * w * w
                gws[i] += 2 * ALPHA * w
            loss += ALPHA * b * b
            gb[0] += 2 * ALPHA * b
    flat = [g for layer in grads for gws, gb in layer for g in [*gws, *gb]]
    return loss, flat


# -- engines --------------------------------------------------------------------------


def teach_model(weights) -> TeachMLP:
    model = TeachMLP(SIZES[0], list(SIZES[1:]), rng=0)
    for layer, layer_weights in zip(model.layers, weights, strict=True):
        for neuron, (ws, b) in zip(layer.neurons, layer_weights, strict=True):
            for p, w in zip(neuron.weights, ws, strict=True):
                p.data = w
            neuron.bias.data = b
    return model


def engines(weights, X, y) -> dict[str, Callable[[], tuple[float, list[float]]]]:
    chainrule_model = DemoMLP(weights, Value)
    teach = teach_model(weights)
    steps = {
        "chainrule Value": lambda: graph_step(chainrule_model, X, y, Value),
        "chainrule teach.MLP": lambda: graph_step(teach, X, y, Value),
    }
    try:
        from micrograd.engine import Value as MicrogradValue
    except ImportError:
        print("micrograd is not installed: skipping it (pip install micrograd)")
    else:
        micrograd_model = DemoMLP(weights, MicrogradValue)
        steps["micrograd"] = lambda: graph_step(micrograd_model, X, y, MicrogradValue)
    steps["floats, same code"] = lambda: float_step_same_code(weights, X, y)
    steps["floats, tight loops"] = lambda: float_step_tight_loops(weights, X, y)
    return steps


# -- measuring ------------------------------------------------------------------------


def check_agreement(steps) -> None:
    reference_loss, reference_grads = steps["floats, tight loops"]()
    for name, step in steps.items():
        loss, grads = step()
        worst = max(abs(g - r) for g, r in zip(grads, reference_grads, strict=True))
        if abs(loss - reference_loss) > 1e-9 or worst > 1e-9 or len(grads) != 337:
            raise SystemExit(f"{name} disagrees: loss {loss} vs {reference_loss}, grad {worst}")


def time_once(step, gc_enabled: bool) -> float:
    gc.collect()
    if not gc_enabled:
        gc.disable()
    try:
        start = time.perf_counter()
        step()
        return time.perf_counter() - start
    finally:
        gc.enable()


def measure(steps, repeats: int) -> dict[str, tuple[float, float]]:
    """(median with the collector on, best with it paused) per engine.

    Engines take turns within each round, so a burst of load from elsewhere on the
    machine hits all of them alike. micrograd, being slow, runs every fifth round.
    """
    with_gc = {name: [] for name in steps}
    without_gc = {name: [] for name in steps}
    for round_number in range(repeats):
        for name, step in steps.items():
            if name == "micrograd" and round_number % 5:
                continue
            with_gc[name].append(time_once(step, gc_enabled=True))
            without_gc[name].append(time_once(step, gc_enabled=False))
    return {name: (statistics.median(with_gc[name]), min(without_gc[name])) for name in steps}


def graph_size(root) -> int:
    """Nodes behind a micrograd or chainrule Value, walked iteratively."""
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        for parent in getattr(node, "parents", None) or getattr(node, "_prev", ()):
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def bytes_per_node(model, X, y, value_class) -> tuple[int, float]:
    """Graph nodes of one forward pass, and bytes allocated by that pass per node."""
    gc.collect()
    tracemalloc.start()
    loss = demo_loss(model, X, y, value_class)
    allocated, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nodes = graph_size(loss)
    return nodes, allocated / nodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=25)
    args = parser.parse_args()
    X, y = make_moons()
    weights = initial_weights()
    steps = engines(weights, X, y)
    check_agreement(steps)

    nodes, chainrule_bytes = bytes_per_node(DemoMLP(weights, Value), X, y, Value)
    memory = {"chainrule Value": chainrule_bytes}
    if "micrograd" in steps:
        from micrograd.engine import Value as MicrogradValue

        model = DemoMLP(weights, MicrogradValue)
        memory["micrograd"] = bytes_per_node(model, X, y, MicrogradValue)[1]

    results = measure(steps, args.repeats)
    print_table(results, memory, nodes)


def print_table(results, memory, nodes: int) -> None:
    floats_median, floats_best = results["floats, same code"]
    print(f"micrograd demo workload: one forward+backward, {nodes} graph nodes")
    print("median: garbage collector on (the default); best: collector paused (as timeit)")
    print("x floats: time / time of 'floats, same code'\n")
    header = (
        f"{'engine':22} {'median ms':>10} {'x floats':>9} {'best ms':>9} {'x floats':>9} "
        f"{'Mnodes/s':>9} {'bytes/node':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, (median, best) in results.items():
        rate = f"{nodes / best / 1e6:9.2f}" if "floats" not in name else f"{'':9}"
        per_node = f"{memory[name]:11.0f}" if name in memory else f"{'':11}"
        print(
            f"{name:22} {median * 1e3:10.2f} {median / floats_median:9.2f} "
            f"{best * 1e3:9.2f} {best / floats_best:9.2f} {rate} {per_node}"
        )
    if "micrograd" in results:
        ours, theirs = results["chainrule Value"], results["micrograd"]
        print(
            f"\nchainrule Value is {theirs[0] / ours[0]:.1f}x faster than micrograd "
            f"(median, collector on), {theirs[1] / ours[1]:.1f}x (best, collector paused)"
        )


if __name__ == "__main__":
    main()
