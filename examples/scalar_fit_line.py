"""Fit y = 2x + 1 with two Values and a training loop written by hand.

Run: python examples/scalar_fit_line.py
"""

from chainrule.value import Value

LEARNING_RATE = 0.1
STEPS = 300


def mean_squared_error(w: Value, b: Value, xs: list[float], ys: list[float]) -> Value:
    return sum(((w * x + b) - y) ** 2 for x, y in zip(xs, ys, strict=True)) / len(xs)


def main() -> None:
    xs = [i / 10 for i in range(-20, 21)]
    ys = [2 * x + 1 for x in xs]
    w, b = Value(0.0), Value(0.0)
    for step in range(STEPS):
        loss = mean_squared_error(w, b, xs, ys)
        w.zero_grad()
        b.zero_grad()
        loss.backward()
        w.data -= LEARNING_RATE * w.grad
        b.data -= LEARNING_RATE * b.grad
        if step % 50 == 0:
            print(f"step {step:3d}  loss {loss.data:.3e}  w {w.data:.5f}  b {b.data:.5f}")
    print(f"fitted y = {w.data:.6f} x + {b.data:.6f}")
    if abs(w.data - 2) > 1e-4 or abs(b.data - 1) > 1e-4:
        raise SystemExit(f"did not converge: w = {w.data}, b = {b.data}")


if __name__ == "__main__":
    main()
