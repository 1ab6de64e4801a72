"""docs/migrating.md names every public name of chainrule.compat.autograd's top level
and extend, and says what it says about in-place operators rightly (its code blocks
run with every page's, in tests/test_docs_pages.py)."""

from pathlib import Path

import pytest

import chainrule.compat.autograd as autograd
from chainrule.compat.autograd import extend

PAGE = Path(__file__).resolve().parents[2] / "docs" / "migrating.md"


# Names the page covers under another: the traced type, and vspace's class.
COVERED_AS = {"Box": "cr.Tensor", "VSpace": "vspace", "type": "builtins.type"}


@pytest.mark.parametrize("name", sorted(set(autograd.__all__) | set(extend.__all__)))
def test_migrating_page_names_every_public_name(name):
    assert COVERED_AS.get(name, name) in PAGE.read_text(encoding="utf-8")


def test_a_reshape_view_changed_in_place_is_refused_as_the_page_says():
    import numpy as onp

    import chainrule as cr

    def f(x):
        v = onp.reshape(x, (2, 2))
        v -= 1.0
        return onp.sum(v)

    assert "write `x = x - y`" in PAGE.read_text(encoding="utf-8")
    with pytest.raises(RuntimeError, match="view"):
        cr.grad(f)(onp.ones(4))
