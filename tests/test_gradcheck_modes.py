"""check_grads checks the modes a function's primitives have rules for, and says which
it skipped."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.testing import GradientCheckError, check_grads


def reverse_only_cosine(vjp=lambda g, ans, x: -g * np.sin(x)):
    @cr.primitive
    def cosine(x):
        return np.cos(x)

    cosine.defvjp(vjp)
    return cosine


def test_a_primitive_without_a_jvp_rule_is_checked_in_reverse_mode_with_a_warning():
    cosine = reverse_only_cosine()
    with pytest.warns(UserWarning, match=r"skipped forward mode: primitive 'cosine' has no "
                      r"forward-mode rule.*define cosine\.defjvp"):
        check_grads(lambda x: cosine(x) * x, np.array([0.3, 1.0]), order=2)


@pytest.mark.filterwarnings("ignore:check_grads skipped")
def test_the_mode_left_is_still_checked_against_finite_differences():
    cosine = reverse_only_cosine(vjp=lambda g, ans, x: g * np.sin(x))  # wrong sign
    with pytest.raises(GradientCheckError, match="reverse-mode derivative of order 1"):
        check_grads(cosine, np.array([0.3, 1.0]), order=2)


def test_a_primitive_without_a_vjp_rule_is_checked_in_forward_mode_with_a_warning():
    @cr.primitive
    def sine(x):
        return np.sin(x)

    sine.defjvp(lambda t, ans, x: t * np.cos(x))
    with pytest.warns(UserWarning, match=r"skipped reverse mode: primitive 'sine'.*"
                      r"define sine\.defvjp"):
        check_grads(sine, np.array([0.3, 1.0]), order=2)


def test_asking_only_for_the_missing_mode_is_an_error_naming_the_rule():
    with pytest.raises(NotImplementedError, match=r"'cosine' has no forward-mode \(JVP\) "
                       r"rule.*cosine\.defjvp"):
        check_grads(reverse_only_cosine(), np.array([0.3]), modes=("fwd",), order=1)


def test_a_primitive_with_both_rules_is_checked_without_a_warning(recwarn):
    cosine = reverse_only_cosine()
    cosine.defjvp(lambda t, ans, x: -t * np.sin(x))
    check_grads(cosine, np.array([0.3, 1.0]), order=2)
    assert not [w for w in recwarn if "skipped" in str(w.message)]
