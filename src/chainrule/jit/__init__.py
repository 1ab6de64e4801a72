"""The compiled path: ``cr.jit`` traces a function into a program of NumPy calls,
simplifies it and runs it as generated code (see DESIGN.md, "The compiler")."""

from .api import Jitted, JitWarning, jit
from .codegen import Retrace
from .program import Equation, Guard, Program
from .tracer import Tracer, UntraceableError

__all__ = ["Equation", "Guard", "Jitted", "JitWarning", "Program", "Retrace", "Tracer",
           "UntraceableError", "jit"]
