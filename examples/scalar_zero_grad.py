"""Why training loops call zero_grad(): gradients add up across backward() calls.

With y = x * x at x = 3, dy/dx = 6. A second backward() without zeroing adds another 6,
giving 12; zeroing first gives 6 again.

Run: python examples/scalar_zero_grad.py
"""

from chainrule.value import Value


def gradient_step(x: Value) -> float:
    y = x * x
    y.backward()
    return x.grad


def main() -> None:
    x = Value(3.0)
    first = gradient_step(x)
    print(f"after one backward():                 x.grad = {first}")
    second = gradient_step(x)
    print(f"after another, without zero_grad():   x.grad = {second}  (6 + 6: accumulated)")
    x.zero_grad()
    third = gradient_step(x)
    print(f"after zero_grad() and backward():     x.grad = {third}")
    if (first, second, third) != (6.0, 12.0, 6.0):
        raise SystemExit(f"expected 6 -> 12 -> 6, got {first} -> {second} -> {third}")


if __name__ == "__main__":
    main()
