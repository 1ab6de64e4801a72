"""Kalman filter for the 1-D local-level model

    x_t = x_{t-1} + w_t,  w_t ~ N(0, q)
    y_t = x_t + v_t,      v_t ~ N(0, r)

returning the log-likelihood of the observations by the prediction-error
decomposition, as a function of log q and log r."""

import chainrule.numpy as np

PRIOR_MEAN = 0.0
PRIOR_VARIANCE = 10.0


def log_likelihood(log_variances, ys):
    q = np.exp(log_variances[0])
    r = np.exp(log_variances[1])
    mean, variance = PRIOR_MEAN, PRIOR_VARIANCE
    total = 0.0
    for y in ys:
        variance = variance + q                 # predict
        innovation = y - mean
        s = variance + r
        total = total - 0.5 * (np.log(2 * np.pi * s) + innovation**2 / s)
        gain = variance / s                     # update
        mean = mean + gain * innovation
        variance = (1 - gain) * variance
    return total


def data(n=30, seed=1):
    rng = np.random.RandomState(seed)
    level = np.cumsum(0.3 * rng.randn(n))
    return level + 0.5 * rng.randn(n)
