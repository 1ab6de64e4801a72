"""Conformance cases for chainrule.scipy.special (empty when SciPy is not installed).

Unary and binary cases call SciPy's own ufuncs, so they also check that those
reach chainrule's primitives through ``Tensor.__array_ufunc__``.
"""

import importlib.util

import numpy as np

from .case import Arg, Case, real_and_imaginary

POS = Arg((3, 4), 0.5, 3.0)
ROW_POS = Arg((4,), 0.5, 3.0)
ORDERS = np.array([0.0, 0.5, 1.0, 2.5])  # Bessel orders: fixed, not differentiated
INT_ORDERS = np.array([0, 1, 2, 3])
UNIT = Arg((3, 4), 0.1, 0.9)  # probabilities
ROW_SHAPE = Arg((3, 1), 0.5, 3.0)
LAMBDAS = Arg((4,), -1.5, 1.5)
SMALL_LAMBDAS = Arg((4,), -0.5, 0.5)


def _cases():
    import scipy.special as sp

    import chainrule.scipy.special as cs

    unary = {
        "gammaln": (sp.gammaln, POS), "gamma": (sp.gamma, POS), "rgamma": (sp.rgamma, POS),
        "digamma": (sp.digamma, POS),
        "erf": (sp.erf, Arg((3, 4))), "erfc": (sp.erfc, Arg((3, 4))),
        "erfinv": (sp.erfinv, Arg((3, 4), -0.9, 0.9)),
        "erfcinv": (sp.erfcinv, Arg((3, 4), 0.1, 1.9)),
        "ndtr": (sp.ndtr, Arg((3, 4), -3.0, 3.0)),
        "log_ndtr": (sp.log_ndtr, Arg((3, 4), -6.0, 3.0)),
        "ndtri": (sp.ndtri, Arg((3, 4), 0.05, 0.95)),
        "expit": (sp.expit, Arg((3, 4), -4.0, 4.0)),
        "log_expit": (sp.log_expit, Arg((3, 4), -4.0, 4.0)),
        "logit": (sp.logit, Arg((3, 4), 0.1, 0.9)),
        "i0": (sp.i0, Arg((3, 4))), "i1": (sp.i1, Arg((3, 4))),
        "i0e": (sp.i0e, Arg((3, 4))), "i1e": (sp.i1e, Arg((3, 4))),
        "j0": (sp.j0, Arg((3, 4), -3.0, 3.0)), "j1": (sp.j1, Arg((3, 4), -3.0, 3.0)),
        "y0": (sp.y0, POS), "y1": (sp.y1, POS),
        "loggamma": (sp.loggamma, POS), "erfcx": (sp.erfcx, Arg((3, 4))),
        "erfi": (sp.erfi, Arg((3, 4))), "dawsn": (sp.dawsn, Arg((3, 4))),
        "exp1": (sp.exp1, POS), "expi": (sp.expi, Arg((3, 4), 0.3, 3.0)),
        "k0": (sp.k0, POS), "k1": (sp.k1, POS), "k0e": (sp.k0e, POS), "k1e": (sp.k1e, POS),
        "ndtri_exp": (sp.ndtri_exp, Arg((3, 4), -5.0, -0.1)),
        "ellipk": (sp.ellipk, Arg((3, 4), -0.9, 0.9)),
        "ellipkm1": (sp.ellipkm1, Arg((3, 4), 0.05, 1.8)),
        "ellipe": (sp.ellipe, Arg((3, 4), -0.9, 0.9)), "spence": (sp.spence, Arg((3, 4), 0.2, 2.5)),
        "wrightomega": (sp.wrightomega, Arg((3, 4))), "exprel": (sp.exprel, Arg((3, 4))),
        "cosm1": (sp.cosm1, Arg((3, 4))), "entr": (sp.entr, POS),
        "sindg": (sp.sindg, Arg((3, 4), -200.0, 200.0)),
    }
    binary = {
        "betaln": (sp.betaln, POS, ROW_POS), "beta": (sp.beta, POS, ROW_POS),
        "xlogy": (sp.xlogy, Arg((3, 4)), ROW_POS),
        "xlog1py": (sp.xlog1py, Arg((3, 4)), Arg((4,), -0.5, 2.0)),
        # Shape parameters fixed here, differentiated in the "shape" cases below.
        "gammainc": (sp.gammainc, Arg(value=np.array([0.5, 1.0, 2.0, 3.5])),
                     Arg((3, 4), 0.2, 3.0)),
        "gammaincc": (sp.gammaincc, Arg(value=np.array([0.5, 1.0, 2.0, 3.5])),
                      Arg((3, 4), 0.2, 3.0)),
        "stdtr": (sp.stdtr, Arg(value=np.array([1.0, 2.5, 4.0, 30.0])), Arg((3, 4), -3.0, 3.0)),
        # Orders are not differentiable.
        "polygamma": (cs.polygamma, Arg(value=INT_ORDERS), POS),
        "jv": (sp.jv, Arg(value=ORDERS), POS), "yn": (sp.yn, Arg(value=INT_ORDERS), POS),
        "iv": (sp.iv, Arg(value=ORDERS), POS), "ive": (sp.ive, Arg(value=ORDERS), POS),
        "kv": (sp.kv, Arg(value=ORDERS), POS),
        "kn": (sp.kn, Arg(value=INT_ORDERS), POS), "kve": (sp.kve, Arg(value=ORDERS), POS),
        "yv": (sp.yv, Arg(value=ORDERS), POS), "expn": (sp.expn, Arg(value=INT_ORDERS), POS),
        "zeta": (sp.zeta, Arg(value=np.array([2.0, 2.5, 3.0, 4.5])), POS),
        "poch": (sp.poch, POS, ROW_POS),
        "binom": (sp.binom, Arg((3, 4), 2.0, 5.0), Arg((4,), 0.5, 1.8)),
        "gammaincinv": (sp.gammaincinv, ROW_POS, UNIT),
        "gammainccinv": (sp.gammainccinv, ROW_POS, UNIT),
        "stdtrit": (sp.stdtrit, Arg((4,), 1.0, 10.0), UNIT),
        "owens_t": (sp.owens_t, Arg((3, 4)), Arg((4,), -1.5, 1.5)),
        "rel_entr": (sp.rel_entr, POS, ROW_POS), "kl_div": (sp.kl_div, POS, ROW_POS),
        "huber": (sp.huber, Arg((4,), 0.5, 1.5), Arg((3, 4), -3.0, 3.0)),
        "pseudo_huber": (sp.pseudo_huber, Arg((4,), 0.5, 1.5), Arg((3, 4))),
        "powm1": (sp.powm1, POS, LAMBDAS), "boxcox": (sp.boxcox, POS, LAMBDAS),
        "boxcox1p": (sp.boxcox1p, Arg((3, 4), -0.5, 2.0), LAMBDAS),
        "inv_boxcox": (sp.inv_boxcox, Arg((3, 4), -0.5, 1.0), SMALL_LAMBDAS),
        "inv_boxcox1p": (sp.inv_boxcox1p, Arg((3, 4), -0.5, 1.0), SMALL_LAMBDAS),
    }
    ternary = {
        "betaincc": (sp.betaincc, ROW_POS, ROW_SHAPE, UNIT),
        "betaincinv": (sp.betaincinv, ROW_POS, ROW_SHAPE, UNIT),
        "betainccinv": (sp.betainccinv, ROW_POS, ROW_SHAPE, UNIT),
        "hyp1f1": (sp.hyp1f1, Arg(value=np.array([0.5, 1.0, 1.5, -0.7])),
                   Arg(value=np.array([1.5, 2.5, 0.7, 3.0])), Arg((3, 4), -1.0, 1.0)),
        "hyperu": (sp.hyperu, Arg(value=np.array([0.5, 1.0, 1.5, 2.0])),
                   Arg(value=np.array([1.5, 0.5, 0.7, 3.0])), POS),
    }
    holomorphic = {
        "erfcx": (sp.erfcx, Arg((3, 4), 0.2, 1.5)), "erfi": (sp.erfi, Arg((3, 4), -1.0, 1.0)),
        "dawsn": (sp.dawsn, Arg((3, 4), -1.0, 1.0)), "wofz": (sp.wofz, Arg((3, 4), 0.2, 1.5)),
        "exp1": (sp.exp1, Arg((3, 4), 0.5, 2.0)), "expi": (sp.expi, Arg((3, 4), 0.5, 2.0)),
        "spence": (sp.spence, Arg((3, 4), 0.5, 1.5)),
        "wrightomega": (sp.wrightomega, Arg((3, 4), -1.0, 1.0)),
        "lambertw": (sp.lambertw, Arg((3, 4), 0.2, 2.0)),
    }
    cases = [Case(name, fn, (arg,)) for name, (fn, arg) in unary.items()]
    cases += [Case(name, fn, (a, b)) for name, (fn, a, b) in binary.items()]
    cases += [Case(name, fn, args) for name, (fn, *args) in ternary.items()]
    cases += [Case(name, fn, (arg,), complex=True) for name, (fn, arg) in holomorphic.items()]
    return cases + [
        Case("gammainc", sp.gammainc, (ROW_POS, Arg((3, 4), 0.2, 4.0)), name="shape"),
        Case("gammaincc", sp.gammaincc, (ROW_POS, Arg((3, 4), 0.2, 4.0)), name="shape"),
        Case("betainc", sp.betainc, (ROW_POS, Arg((3, 1), 0.5, 3.0), Arg((3, 4), 0.1, 0.9)),
             name="shape"),
        Case("stdtr", sp.stdtr, (Arg((4,), 1.0, 10.0), Arg((3, 4), -3.0, 3.0)), name="shape"),
        Case("betainc", lambda x: sp.betainc(np.array([0.5, 1.0, 2.0, 3.5]),
                                             np.array([[2.0], [0.7], [1.5]]), x),
             (Arg((3, 4), 0.1, 0.9),)),
        Case("ive", lambda x: sp.ive(np.array([0, 1, 2, 3]), x), (Arg((3, 4)),), name="negative-x"),
        Case("i1", lambda x: cs.i1(x * (np.arange(4) > 0)), (Arg((3, 4)),), name="at-zero"),
        Case("i1e", lambda x: cs.i1e(x * (np.arange(4) > 0)), (Arg((3, 4)),), name="at-zero"),
        Case("xlogy", lambda y: cs.xlogy(np.array([0.0, 1.0, 0.0, 2.0]), y),
             (Arg((3, 4), 0.5, 3.0),), name="zero-x"),
        Case("gammaln", lambda a: cs.multigammaln(a, 3), (Arg((3, 4), 1.5, 4.0),),
             name="multigammaln"),
        Case("exp", lambda a, b: cs.logsumexp(a, axis=1, b=b), ((3, 4), ROW_POS),
             name="scipy-logsumexp-weights"),
        Case("logsumexp", lambda a: cs.logsumexp(a, axis=0, keepdims=True), ((3, 4),),
             name="scipy-keepdims"),
        Case("logsumexp", lambda a: cs.softmax(a, axis=1), ((3, 4),), name="scipy-softmax"),
        Case("logsumexp", lambda a: cs.softmax(a), ((3, 4),), name="scipy-softmax-all"),
        Case("logsumexp", lambda a: cs.log_softmax(a, axis=0), ((3, 4),),
             name="scipy-log-softmax"),
        *_more_cases(sp, cs),
    ]


def _more_cases(sp, cs):
    """Cases for the special functions beyond HIPS autograd's set: complex results, series
    near removable singularities, and parameters held fixed."""
    from chainrule.scipy.integrate import odeint

    quarter = np.array([0.0, 0.25, 1.0, -0.5])
    return [
        Case("wofz", lambda x: real_and_imaginary(sp.wofz(x)), (Arg((3, 4)),), name="real"),
        Case("lambertw", lambda x: real_and_imaginary(sp.lambertw(x)),
             (Arg((3, 4), -0.3, 3.0),), name="real"),
        Case("lambertw", lambda x: real_and_imaginary(cs.lambertw(x, k=-1)),
             (Arg((3, 4), -0.3, -0.1),), name="branch"),
        Case("loggamma", sp.loggamma, (Arg((3, 4), 0.5, 2.0),), complex=True, order=1),
        Case("kve", sp.kve, (Arg(value=ORDERS), Arg((3, 4), 0.5, 2.0)), complex=True),
        Case("yv", sp.yv, (Arg(value=ORDERS), Arg((3, 4), 0.5, 2.0)), complex=True),
        Case("hyp1f1", lambda z: sp.hyp1f1(np.array([0.5, 1.0, 1.5, -0.7]), 1.5, z),
             (Arg((3, 4), -1.0, 1.0),), complex=True),
        Case("hyp2f1", lambda z: sp.hyp2f1(0.5, np.array([1.0, 1.5, -0.7, 2.0]), 2.5, z),
             (Arg((3, 4), -0.5, 0.5),), complex=True),
        Case("hyp2f1", lambda z: sp.hyp2f1(np.array([0.5, 1.0, 1.5, -0.7]), 1.5,
                                           np.array([[2.5], [1.2], [3.0]]), z),
             (Arg((3, 4), -0.8, 0.8),)),
        Case("gammaincinv", lambda y: sp.gammaincinv(np.array([0.5, 1.0, 2.0, 3.5]), y),
             (UNIT,), name="y-only"),
        Case("stdtrit", lambda p: sp.stdtrit(np.array([1.0, 2.5, 4.0, 30.0]), p), (UNIT,),
             name="p-only"),
        Case("exprel", lambda x: sp.exprel(x * (np.arange(4) > 0)), ((3, 4),), name="at-zero"),
        Case("boxcox", lambda lmbda: sp.boxcox(np.array([0.5, 1.5, 2.5, 4.0]), lmbda * quarter),
             ((3, 4),), name="lambda-at-zero"),
        Case("boxcox1p", lambda lmbda: sp.boxcox1p(np.array([-0.5, 0.5, 2.5, 4.0]),
                                                   lmbda * quarter), ((3, 4),),
             name="lambda-at-zero"),
        Case("inv_boxcox", lambda lmbda: sp.inv_boxcox(np.array([-0.5, 0.5, 1.0, 0.2]),
                                                       0.3 * lmbda * quarter), ((3, 4),),
             name="lambda-at-zero"),
        Case("inv_boxcox1p", lambda lmbda: sp.inv_boxcox1p(np.array([-0.5, 0.5, 1.0, 0.2]),
                                                           0.3 * lmbda * quarter), ((3, 4),),
             name="lambda-at-zero"),
        Case("ellipk", lambda m: sp.ellipk(m * quarter * 0.2), ((3, 4),), name="near-zero"),
        Case("ellipe", lambda m: sp.ellipe(m * quarter * 0.2), ((3, 4),), name="near-zero"),
        Case("ellipkm1", lambda p: sp.ellipkm1(1 + p * quarter * 0.2), ((3, 4),),
             name="near-one"),
        Case("ellipkm1", lambda p: sp.ellipkm1(1e-4 * p), (Arg((3, 4), 0.5, 2.0),), name="tiny"),
        Case("spence", lambda z: sp.spence(1 + z * quarter * 0.2), ((3, 4),), name="near-one"),
        Case("zeta", lambda q: cs.zeta(3.0, q), (POS,), name="chainrule"),
        Case("logaddexp", lambda x: cs.softplus(x), ((3, 4),), name="softplus"),
        # Derivatives by further ODE solves, accurate to the integrator's tolerance.
        Case("odeint", lambda y0, shifts, rates: odeint(
            _coupled_decay, y0, np.array([0.0, 0.4, 0.9, 1.5]) + 0.1 * shifts, args=(rates,),
            rtol=1e-12, atol=1e-12), (Arg((2,), 0.5, 1.5), Arg((4,), -1.0, 1.0),
                                      Arg((2,), 0.2, 1.0)),
             name="state-times-args", order=1, dtypes=(np.float64,), rtol=1e-4),
    ]


def _coupled_decay(y, t, rates):
    """dy/dt for two coupled, forced decays: depends on y, t and the rates."""
    return np.stack([-rates[0] * y[0] + 0.3 * y[1] * np.cos(t), -rates[1] * y[1] + 0.1])


CASES = _cases() if importlib.util.find_spec("scipy") else []
