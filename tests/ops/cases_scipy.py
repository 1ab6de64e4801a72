"""Conformance cases for chainrule.scipy.special (empty when SciPy is not installed).

Unary and binary cases call SciPy's own ufuncs, so they also check that those
reach chainrule's primitives through ``Tensor.__array_ufunc__``.
"""

import importlib.util

import numpy as np

from .case import Arg, Case

POS = Arg((3, 4), 0.5, 3.0)
ROW_POS = Arg((4,), 0.5, 3.0)
ORDERS = np.array([0.0, 0.5, 1.0, 2.5])  # Bessel orders: fixed, not differentiated
INT_ORDERS = np.array([0, 1, 2, 3])


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
    }
    cases = [Case(name, fn, (arg,)) for name, (fn, arg) in unary.items()]
    cases += [Case(name, fn, (a, b)) for name, (fn, a, b) in binary.items()]
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
    ]


CASES = _cases() if importlib.util.find_spec("scipy") else []
