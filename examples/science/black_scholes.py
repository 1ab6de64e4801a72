"""Black-Scholes Greeks by automatic differentiation, checked against their closed forms.

The prices of a European call and put are written once, with ``np.log``,
``np.exp`` and chainrule's differentiable ``norm.cdf``. chainrule then gives
every Greek: delta, vega, rho and theta from one ``cr.grad`` over (S, sigma, r, T),
and gamma, vanna (d2V/dS dsigma) and volga (d2V/dsigma2) from ``cr.hessian`` over
(S, sigma). Each is compared with its textbook formula, computed independently
with ``math.erfc``, to a relative 1e-10.

Then a Monte-Carlo pathwise delta: 200,000 seeded terminal prices
S_T = S exp((r - sigma^2/2) T + sigma sqrt(T) Z), the mean discounted payoff
max(S_T - K, 0), and its derivative in S from chainrule. Forward mode (``cr.jacfwd``)
gives the derivative of every path's payoff in one pass, hence the estimator's
standard error; the estimate must lie within 4 standard errors of the exact delta.

Exits with status 1 if any check fails. Needs SciPy (pip install "chainrule[scipy]").
Run: python examples/science/black_scholes.py [--plot-dir DIR]
(with --plot-dir, saves delta and gamma against S as a PNG there; needs matplotlib).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from example_tools import check, finish, plot_dir_argument, pyplot_for, save_figure

import chainrule as cr
from chainrule.scipy.stats import norm

SPOT, STRIKE, VOL, RATE, MATURITY = 100.0, 110.0, 0.25, 0.03, 0.75
GREEK_TOLERANCE = 1e-10
PATHS, SEED, STANDARD_ERRORS = 200_000, 0, 4.0


def d1_d2(spot, vol, rate, maturity):
    d1 = (np.log(spot / STRIKE) + (rate + 0.5 * vol**2) * maturity) / (vol * np.sqrt(maturity))
    return d1, d1 - vol * np.sqrt(maturity)


def call_price(spot, vol, rate, maturity):
    d1, d2 = d1_d2(spot, vol, rate, maturity)
    return spot * norm.cdf(d1) - STRIKE * np.exp(-rate * maturity) * norm.cdf(d2)


def put_price(spot, vol, rate, maturity):
    d1, d2 = d1_d2(spot, vol, rate, maturity)
    return STRIKE * np.exp(-rate * maturity) * norm.cdf(-d2) - spot * norm.cdf(-d1)


def greeks_by_chainrule(price) -> dict[str, float]:
    point = (SPOT, VOL, RATE, MATURITY)
    by_spot, by_vol, by_rate, by_maturity = cr.grad(price, argnums=(0, 1, 2, 3))(*point)
    (gamma, vanna), (_, volga) = cr.hessian(price, argnums=(0, 1))(*point)
    return {"price": price(*point), "delta": by_spot, "gamma": gamma, "vega": by_vol,
            # theta is the change as calendar time passes, which shortens the maturity
            "theta": -by_maturity, "rho": by_rate, "vanna": vanna, "volga": volga}


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def closed_form_greeks(is_call: bool) -> dict[str, float]:
    """The textbook formulas, in plain floats (no chainrule, no SciPy)."""
    root_t = math.sqrt(MATURITY)
    d1 = (math.log(SPOT / STRIKE) + (RATE + 0.5 * VOL**2) * MATURITY) / (VOL * root_t)
    d2 = d1 - VOL * root_t
    discounted_strike = STRIKE * math.exp(-RATE * MATURITY)
    sign = 1.0 if is_call else -1.0
    vega = SPOT * normal_pdf(d1) * root_t
    return {
        "price": sign * (SPOT * normal_cdf(sign * d1) - discounted_strike * normal_cdf(sign * d2)),
        "delta": normal_cdf(d1) if is_call else normal_cdf(d1) - 1.0,
        "gamma": normal_pdf(d1) / (SPOT * VOL * root_t),
        "vega": vega,
        "theta": (-SPOT * normal_pdf(d1) * VOL / (2.0 * root_t)
                  - sign * RATE * discounted_strike * normal_cdf(sign * d2)),
        "rho": sign * MATURITY * discounted_strike * normal_cdf(sign * d2),
        "vanna": -normal_pdf(d1) * d2 / VOL,
        "volga": vega * d1 * d2 / VOL,
    }


def check_greeks() -> list[bool]:
    results = []
    for kind, price, is_call in (("call", call_price, True), ("put", put_price, False)):
        reference = closed_form_greeks(is_call)
        for name, value in greeks_by_chainrule(price).items():
            error = abs(value - reference[name]) / abs(reference[name])
            results.append(check(f"{kind} {name}", value, reference[name], error,
                                 GREEK_TOLERANCE))
    return results


def terminal_prices(spot, normals):
    drift = (RATE - 0.5 * VOL**2) * MATURITY
    return spot * np.exp(drift + VOL * math.sqrt(MATURITY) * normals)


def discounted_call_payoffs(spot, normals):
    return math.exp(-RATE * MATURITY) * np.maximum(terminal_prices(spot, normals) - STRIKE, 0.0)


def check_monte_carlo_delta() -> list[bool]:
    normals = np.random.default_rng(SEED).standard_normal(PATHS)
    exact = closed_form_greeks(is_call=True)
    # d(payoff)/dS of every path in one forward-mode pass: their spread gives the SE.
    pathwise = cr.jacfwd(discounted_call_payoffs)(SPOT, normals)
    delta, delta_se = pathwise.mean(), pathwise.std(ddof=1) / math.sqrt(PATHS)
    payoffs = discounted_call_payoffs(SPOT, normals)
    price, price_se = payoffs.mean(), payoffs.std(ddof=1) / math.sqrt(PATHS)
    reverse = cr.grad(lambda spot: np.mean(discounted_call_payoffs(spot, normals)))(SPOT)
    print(f"Monte Carlo, {PATHS:,} paths: price {price:.4f} +- {price_se:.4f}, "
          f"pathwise delta {delta:.5f} +- {delta_se:.5f}")
    return [
        check("MC price (in SEs)", price, exact["price"],
              abs(price - exact["price"]) / price_se, STANDARD_ERRORS),
        check("MC delta (in SEs)", delta, exact["delta"],
              abs(delta - exact["delta"]) / delta_se, STANDARD_ERRORS),
        check("MC delta, reverse mode", reverse, delta, abs(reverse - delta) / abs(delta), 1e-12),
    ]


def plot_delta_and_gamma(plt, plot_dir: Path) -> None:
    spots = np.linspace(60.0, 160.0, 201)
    call_delta = cr.elementwise_grad(call_price)
    put_delta = cr.elementwise_grad(put_price)
    gamma = cr.elementwise_grad(call_delta)
    figure, (delta_axes, gamma_axes) = plt.subplots(1, 2, figsize=(10, 4))
    delta_axes.plot(spots, call_delta(spots, VOL, RATE, MATURITY), label="call")
    delta_axes.plot(spots, put_delta(spots, VOL, RATE, MATURITY), label="put")
    delta_axes.set(xlabel="spot S", ylabel="delta dV/dS", title="delta")
    delta_axes.legend()
    gamma_axes.plot(spots, gamma(spots, VOL, RATE, MATURITY))
    gamma_axes.set(xlabel="spot S", ylabel="gamma d2V/dS2", title="gamma (call = put)")
    for axes in (delta_axes, gamma_axes):
        axes.axvline(STRIKE, color="grey", linestyle=":")
        axes.grid(alpha=0.3)
    figure.suptitle(f"Black-Scholes Greeks by chainrule (K={STRIKE:g}, sigma={VOL:g}, "
                    f"r={RATE:g}, T={MATURITY:g})")
    figure.tight_layout()
    path = plot_dir / "black_scholes_greeks.png"
    save_figure(plt, figure, path)


def save_plots(plot_dir: Path | None) -> None:
    plt = pyplot_for(plot_dir)
    if plt is not None:
        plot_delta_and_gamma(plt, plot_dir)


def main() -> None:
    plot_dir = plot_dir_argument(__doc__)
    results = check_greeks() + check_monte_carlo_delta()
    save_plots(plot_dir)
    finish(results)


if __name__ == "__main__":
    main()
