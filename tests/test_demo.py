"""The demo (`python -m chainrule`) checks itself; it must pass."""

import pytest

import chainrule.__main__ as demo
from chainrule.__main__ import fitted_likelihood, main


def test_demo_checks_pass(capsys):
    assert main() == 0
    out = capsys.readouterr().out
    assert "All checks passed" in out
    assert "MISMATCH" not in out


def test_demo_fits_the_likelihood_with_fit_mle_when_scipy_is_there(capsys):
    pytest.importorskip("scipy")
    assert fitted_likelihood()
    out = capsys.readouterr().out
    assert "cr.mle.fit_mle" in out and "P>|z|" in out and "MISMATCH" not in out


def test_demo_falls_back_to_newtons_method_without_scipy(monkeypatch, capsys):
    monkeypatch.setattr(demo, "_has_scipy", lambda: False)
    assert fitted_likelihood()
    out = capsys.readouterr().out
    assert "Newton's method" in out and "MISMATCH" not in out
