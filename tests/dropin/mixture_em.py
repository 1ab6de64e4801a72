"""A mixture of two 1-D Gaussians: the log-likelihood (via logsumexp) and the EM
objective (expected complete-data log-likelihood for fixed responsibilities),
as functions of the means, log standard deviations and mixture logit."""

import chainrule.numpy as np
from chainrule.scipy.special import expit, logsumexp
from chainrule.scipy.stats import norm


def component_log_joint(means, log_sds, logit, x):
    """log p(x_i, z_i = k), shape (2, n)."""
    weight = expit(logit)
    log_weights = np.log(np.array([weight, 1 - weight]))
    return log_weights[:, None] + norm.logpdf(x[None, :], means[:, None],
                                              np.exp(log_sds)[:, None])


def log_likelihood(means, log_sds, logit, x):
    return np.sum(logsumexp(component_log_joint(means, log_sds, logit, x), axis=0))


def responsibilities(means, log_sds, logit, x):
    """The E step, r[k, i] = p(z_i = k | x_i)."""
    log_joint = component_log_joint(means, log_sds, logit, x)
    return np.exp(log_joint - logsumexp(log_joint, axis=0, keepdims=True))


def em_objective(means, log_sds, logit, x, resp):
    """Q(theta | theta_old) = sum_ik r_ik log p(x_i, z_i = k | theta)."""
    return np.sum(resp * component_log_joint(means, log_sds, logit, x))


def data(n=20, seed=4):
    rng = np.random.RandomState(seed)
    x = np.concatenate([rng.randn(n // 2) - 2.0, 0.7 * rng.randn(n - n // 2) + 1.5])
    params = (np.array([-1.5, 1.0]), np.array([0.1, -0.2]), 0.3)
    return params, x
