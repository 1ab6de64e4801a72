"""The demo (`python -m chainrule`) checks itself; it must pass."""

from chainrule.__main__ import main


def test_demo_checks_pass(capsys):
    assert main() == 0
    out = capsys.readouterr().out
    assert "All checks passed" in out
    assert "MISMATCH" not in out
