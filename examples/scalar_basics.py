"""The scalar engine in two small graphs, each gradient checked by hand.

1. The example from the spec: e = (a + b) + a * b, so de/da = 1 + b and de/db = 1 + a.
2. One tanh neuron, o = tanh(w1 x1 + w2 x2 + b): do/dwi = (1 - o**2) xi, and so on.

Run: python examples/scalar_basics.py
"""

import math

from chainrule.value import Value


def spec_example() -> None:
    a, b = Value(2.0), Value(3.0)
    e = (a + b) + a * b
    e.backward()
    print(f"e = (a + b) + a * b = {e.data}")
    print(f"  de/da = {a.grad}  (closed form 1 + b = {1 + b.data})")
    print(f"  de/db = {b.grad}  (closed form 1 + a = {1 + a.data})")
    print(f"  a is {a}")
    if (a.grad, b.grad) != (4.0, 3.0):
        raise SystemExit(f"expected gradients (4.0, 3.0), got {(a.grad, b.grad)}")


def single_neuron() -> None:
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2 = Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()

    slope = 1 - math.tanh(n.data) ** 2  # d tanh(n) / dn
    expected = {
        "o": (o.data, math.tanh(-3.0 * 2.0 + 0.0 + 6.8813735870195432)),
        "do/dx1": (x1.grad, slope * w1.data),
        "do/dw1": (w1.grad, slope * x1.data),
        "do/dx2": (x2.grad, slope * w2.data),
        "do/dw2": (w2.grad, slope * x2.data),
        "do/db": (b.grad, slope),
    }
    print("\nneuron o = tanh(x1 w1 + x2 w2 + b)")
    for name, (computed, closed_form) in expected.items():
        print(f"  {name:7} = {computed: .6f}  (closed form {closed_form: .6f})")
        if not math.isclose(computed, closed_form, rel_tol=1e-12, abs_tol=1e-15):
            raise SystemExit(f"{name}: engine gives {computed}, closed form {closed_form}")


def main() -> None:
    spec_example()
    single_neuron()
    print("\nall gradients match their closed forms")


if __name__ == "__main__":
    main()
