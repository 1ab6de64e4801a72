"""One classical Runge-Kutta (RK4) step of the neural ODE dx/dt = tanh(W x + b)."""

import chainrule.numpy as np


def dynamics(x, W, b):
    return np.tanh(np.dot(W, x) + b)


def rk4_step(W, b, x, h=0.1):
    k1 = dynamics(x, W, b)
    k2 = dynamics(x + 0.5 * h * k1, W, b)
    k3 = dynamics(x + 0.5 * h * k2, W, b)
    k4 = dynamics(x + h * k3, W, b)
    return x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)


def data(dim=3, seed=3):
    rng = np.random.RandomState(seed)
    return rng.randn(dim, dim), 0.5 * rng.randn(dim), rng.randn(dim)
