"""stop_gradient: a value every level of differentiation treats as a constant."""

from __future__ import annotations

from typing import Any

from .._core.graph import Box
from .._core.primitive import make_box, strip


def stop_gradient(x: Any) -> Any:
    """``x``'s value, treated as a constant by every level of differentiation."""
    return make_box(strip(x), None) if isinstance(x, Box) else x
