"""The Black-Scholes price of a European call (strike fixed)."""

import chainrule.numpy as np
from chainrule.scipy.stats import norm

STRIKE = 100.0


def d1_d2(spot, vol, rate, time):
    d1 = (np.log(spot / STRIKE) + (rate + 0.5 * vol**2) * time) / (vol * np.sqrt(time))
    return d1, d1 - vol * np.sqrt(time)


def call_price(spot, vol, rate, time):
    d1, d2 = d1_d2(spot, vol, rate, time)
    return spot * norm.cdf(d1) - STRIKE * np.exp(-rate * time) * norm.cdf(d2)
