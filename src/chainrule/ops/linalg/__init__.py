"""Linear algebra: ``numpy.linalg`` for Tensors, batched over leading axes as NumPy is.

Every output of a decomposition is its own primitive (``eigh_values`` and
``eigh_vectors``, ``svd_u``/``svd_values``/``svd_vh``, ``qr_q``/``qr_r`` ...)
carrying the derivative of that output alone; the NumPy wrappers return NumPy's
(named) tuples of them. Inside a wrapper, or a rule that needs several factors,
one LAPACK call serves every output (``_sharing``). Rules are written with
NumPy calls and these primitives, so they run on Tensors for higher orders.

Conventions and limits, each an error rather than a wrong number:

- ``cholesky`` and ``eigh``/``eigvalsh`` read one triangle of their input (the
  lower, by default), as NumPy does; the derivative is that of NumPy's function,
  so the gradient lives on that triangle. For a symmetric input built from
  other values (``x @ x.T``) this is the usual symmetric derivative.
- Eigenvectors (``eigh``) and singular vectors (``svd``) have no derivative where
  eigenvalues or singular values repeat, and thin singular vectors of a
  non-square matrix none where a singular value is zero: their rules raise
  ``LinAlgError`` naming the values. Eigen- and singular *values* are
  differentiated at repeated values too (the usual convention).
- ``eig`` and ``eigvals`` of a general (real or complex) matrix are
  differentiated where the eigenvalues are distinct; at a repeated one their
  rules raise ``LinAlgError``. LAPACK scales each eigenvector to unit length with
  a phase of its own choosing, which is not a smooth function of the matrix: the
  derivative keeps the length and holds the phase still (``v_i^H dv_i = 0``, the
  kind of choice JAX makes too), so only functions that a phase
  leaves unchanged (``|v|``, ``v v^H``, ``v`` with its phase fixed by one entry)
  are meaningful to differentiate.
- Complex matrices: ``eigh``/``eigvalsh`` read a Hermitian matrix from one
  triangle (the real part of the diagonal, as LAPACK does); ``svd``'s pair
  ``u_i, v_i`` shares one free phase, which the derivative gives to ``u_i``
  (``v_i^H dv_i = 0``); functions of U and Vh that the phase leaves unchanged
  (``U diag(s) Vh``, ``|U|``) are the meaningful ones. ``cholesky``, ``qr``,
  ``pinv``, ``lstsq`` and ``slogdet`` are for real matrices only.
- ``svd(full_matrices=True)`` (NumPy's default) and ``qr(mode='complete')`` of a
  non-square matrix add columns to U, Vh or Q that are any orthonormal basis of a
  complement. Those columns have no derivative: reverse mode raises if a
  gradient reaches them, forward mode (``jvp``, ``jacfwd``) raises as soon as they
  are computed from a traced input, as JAX does. The other columns and the
  singular values are differentiated as usual.
- ``inv``, ``solve`` and the triangular solve raise ``LinAlgError`` at singular
  matrices, as NumPy does; so do the derivatives of ``det``/``slogdet`` there,
  and that of ``qr`` at an input without full rank.
- ``pinv`` and ``lstsq`` are differentiated for a locally constant rank; only
  ``lstsq``'s solution is differentiable (residuals, rank and singular values
  are plain arrays).
- ``norm`` uses subgradients where it has a kink: 0 for the 2-norm of a zero
  vector, ``sign(0) = 0`` for absolute values, ties of a max or min share equally.
"""


from . import base, decompositions, norms, numpy_api, solves  # noqa: F401  (registers)
from .decompositions import cholesky
from .solves import det, inv, solve, solve_triangular, triangular_solve

# Every rule here is written for stacks of matrices (leading axes broadcast), so a
# batch of tangents or cotangents in front (jacfwd, jacobian) is one more stacked axis.
for _prim in (inv, det, solves.logabsdet, solve, triangular_solve, cholesky,
              decompositions.eigh_values, decompositions.eigh_vectors,
              decompositions.svd_values, decompositions.svd_u, decompositions.svd_vh,
              decompositions.qr_q, decompositions.qr_r, decompositions.eigvals,
              decompositions.eig_vectors, solves.pinv):
    _prim.defbatch(broadcasts=True)

__all__ = ["cholesky", "det", "inv", "solve", "solve_triangular", "triangular_solve"]
