"""Multinomial logistic (softmax) regression: the mean negative log-likelihood of
integer labels under a linear model, as a function of the weight matrix."""

import chainrule.numpy as np


def log_softmax(logits):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def negative_log_likelihood(weights, inputs, labels):
    logits = np.dot(inputs, weights)
    log_probs = log_softmax(logits)
    return -np.mean(log_probs[np.arange(inputs.shape[0]), labels])


def data(n=12, features=4, classes=3, seed=2):
    rng = np.random.RandomState(seed)
    inputs = rng.randn(n, features)
    labels = rng.randint(0, classes, size=n)
    weights = 0.5 * rng.randn(features, classes)
    return weights, inputs, labels
