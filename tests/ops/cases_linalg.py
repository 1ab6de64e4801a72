"""Conformance cases for linear algebra: numpy.linalg on Tensors and the triangular solve.

Each case builds a well-conditioned input inside ``fn`` from the random data
(``+ 3 I`` for invertible, ``x x^T + 3 I`` for positive definite, ``x + x^T`` for
symmetric), so finite differences are meaningful. Singular vectors and
eigenvectors are only defined up to sign: the cases fix each one's sign by its
first entry (a piecewise constant factor), as a user comparing them would.
"""

import numpy as np

from chainrule.ops.linalg import solve_triangular

from .case import Arg, Case, real_and_imaginary

SMALL = Arg((3, 3), -1.0, 1.0)
BATCH = Arg((2, 3, 3), -1.0, 1.0)
NEAR_ZERO = Arg((3, 3), -0.4, 0.4)  # added to 4 I: a diagonally dominant matrix
_NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


def _eye(x):
    return np.eye(x.shape[-1], dtype=x.dtype)


def _invertible(x):
    return x + 3 * _eye(x)


def _positive_definite(x):
    return x @ np.swapaxes(x, -1, -2) + 3 * _eye(x)


def _symmetric(x):
    return x + np.swapaxes(x, -1, -2)


def _columns_signed(v):
    """Each column times the sign of its first entry."""
    return v * np.sign(v[..., :1, :])


def _rows_signed(v):
    """Each row times the sign of its first entry."""
    return v * np.sign(v[..., :, :1])


def _svd_rebuilt(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (u * s[..., None, :]) @ vh


def _signed_determinant(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return sign * np.exp(logabsdet)


def _eigh_rebuilt(a):
    w, v = np.linalg.eigh(_symmetric(a))
    return (v * w[..., None, :]) @ np.swapaxes(v, -1, -2)


_DECOMPOSITION_CASES = [
    Case("inv", lambda a: np.linalg.inv(_invertible(a)), (SMALL,), name="2d"),
    Case("inv", lambda a: np.linalg.inv(_invertible(a)), (BATCH,), name="batched"),
    Case("det", lambda a: np.linalg.det(_invertible(a)), (SMALL,), name="2d"),
    Case("det", lambda a: np.linalg.det(_invertible(a)), (Arg((2, 4, 4), -1.0, 1.0),),
         name="batched"),
    Case("logabsdet", lambda a: np.linalg.slogdet(_invertible(a)).logabsdet, (BATCH,),
         name="batched"),
    Case("logabsdet", lambda a: np.linalg.slogdet(-_invertible(a))[1], (SMALL,),
         name="negative-determinant"),
    Case("logabsdet", _signed_determinant, (SMALL,), name="sign-times-exp"),
    Case("solve", lambda a, b: np.linalg.solve(_invertible(a), b), (SMALL, (3,)),
         name="vector"),
    Case("solve", lambda a, b: np.linalg.solve(_invertible(a), b), (SMALL, (3, 2)),
         name="matrix"),
    Case("solve", lambda a, b: np.linalg.solve(_invertible(a), b), (BATCH, (3,)),
         name="batched-vector"),
    Case("solve", lambda a, b: np.linalg.solve(_invertible(a), b), (BATCH, (2, 3, 2)),
         name="batched-matrix"),
    Case("solve", lambda a, b: np.linalg.solve(_invertible(a), b), (SMALL, (2, 3, 2)),
         name="broadcast-a"),
    Case("solve", lambda a, b: np.linalg.solve(_invertible(a), b), (BATCH, (3, 2)),
         name="broadcast-b"),
    Case("solve_triangular", lambda a, b: solve_triangular(_invertible(a), b), (SMALL, (3,)),
         name="lower-vector"),
    Case("solve_triangular", lambda a, b: solve_triangular(_invertible(a), b, lower=False),
         (SMALL, (3, 2)), name="upper-matrix"),
    Case("solve_triangular", lambda a, b: solve_triangular(_invertible(a), b, trans="T"),
         (SMALL, (3, 2)), name="transposed"),
    Case("solve_triangular",
         lambda a, b: solve_triangular(a, b, lower=False, trans=1, unit_diagonal=True),
         (NEAR_ZERO, (3,)), name="upper-transposed-unit"),
    Case("solve_triangular", lambda a, b: solve_triangular(a, b, unit_diagonal=True),
         (NEAR_ZERO, (3, 2)), name="unit-diagonal"),
    Case("solve_triangular", lambda a, b: solve_triangular(_invertible(a), b),
         (BATCH, (3, 2)), name="batched"),
    Case("solve_triangular", lambda a, b: solve_triangular(_invertible(a), b, lower=False),
         (SMALL, (2, 3, 2)), name="broadcast-a"),
    Case("cholesky", lambda a: np.linalg.cholesky(_positive_definite(a)), (SMALL,),
         name="positive-definite"),
    Case("cholesky", lambda a: np.linalg.cholesky(_positive_definite(a)), (BATCH,),
         name="batched"),
    # Not symmetric: NumPy reads the lower triangle, and so does the derivative.
    Case("cholesky", lambda x: np.linalg.cholesky(x + 4 * _eye(x)), (NEAR_ZERO,),
         name="reads-lower-triangle"),
    Case("eigh_values", lambda a: np.linalg.eigh(_symmetric(a)).eigenvalues, (SMALL,),
         name="symmetric"),
    Case("eigh_values", lambda a: np.linalg.eigvalsh(_symmetric(a)), (BATCH,),
         name="eigvalsh-batched"),
    Case("eigh_values", lambda x: np.linalg.eigvalsh(x), ((4, 4),), name="reads-lower"),
    Case("eigh_values", lambda x: np.linalg.eigvalsh(x, UPLO="U"), ((4, 4),),
         name="reads-upper"),
    Case("eigh_vectors", lambda a: _columns_signed(np.linalg.eigh(_symmetric(a))[1]),
         (SMALL,), name="symmetric"),
    Case("eigh_vectors", lambda a: _columns_signed(np.linalg.eigh(_symmetric(a))[1]),
         (BATCH,), name="batched"),
    Case("eigh_vectors", lambda x: _columns_signed(np.linalg.eigh(x, UPLO="U").eigenvectors),
         ((4, 4),), name="reads-upper"),
    Case("eigh_vectors", _eigh_rebuilt, (SMALL,), name="rebuilt"),
]

if _NUMPY2:
    _DECOMPOSITION_CASES.append(
        Case("cholesky", lambda x: np.linalg.cholesky(x + 4 * _eye(x), upper=True),
             (NEAR_ZERO,), name="upper-reads-upper-triangle"))


_SVD_SHAPES = {"square": (3, 3), "tall": (4, 3), "wide": (3, 4), "batched": (2, 4, 3)}

_SVD_CASES = [
    *(Case("svd_values", lambda a: np.linalg.svd(a, compute_uv=False), (shape,), name=name)
      for name, shape in _SVD_SHAPES.items()),
    *(Case("svd_u", lambda a: _columns_signed(np.linalg.svd(a, full_matrices=False).U),
           (shape,), name=name) for name, shape in _SVD_SHAPES.items()),
    *(Case("svd_vh", lambda a: _rows_signed(np.linalg.svd(a, full_matrices=False).Vh),
           (shape,), name=name) for name, shape in _SVD_SHAPES.items()),
    Case("svd_values", lambda a: np.linalg.svd(a)[1], ((3, 3),), name="full-matrices"),
    Case("eigh_values", lambda a: np.linalg.svd(_symmetric(a), hermitian=True,
                                                compute_uv=False), (SMALL,), name="svd-hermitian"),
    Case("svd_u", lambda a: _columns_signed(np.linalg.svd(a)[0]), ((3, 3),),
         name="full-square"),
    Case("svd_vh", lambda a: _rows_signed(np.linalg.svd(a)[2]), ((2, 3, 3),),
         name="full-square-batched"),
    Case("svd_u", _svd_rebuilt, ((4, 3),), name="rebuilt-tall"),
    Case("svd_vh", _svd_rebuilt, ((2, 3, 4),), name="rebuilt-wide"),
    Case("eigh_vectors", lambda a: np.linalg.svd(_symmetric(a), hermitian=True)[2], (SMALL,),
         name="svd-hermitian"),
]

_QR_SHAPES = {"square": (3, 3), "tall": (4, 3), "wide": (3, 4), "batched": (2, 4, 3),
              "batched-wide": (2, 2, 4)}

_QR_CASES = [
    *(Case("qr_q", lambda a: np.linalg.qr(a).Q, (shape,), name=name)
      for name, shape in _QR_SHAPES.items()),
    *(Case("qr_r", lambda a: np.linalg.qr(a).R, (shape,), name=name)
      for name, shape in _QR_SHAPES.items()),
    Case("qr_r", lambda a: np.linalg.qr(a, mode="r"), ((4, 3),), name="mode-r"),
    Case("qr_q", lambda a: np.linalg.qr(a, mode="complete")[0], ((3, 4),),
         name="complete-wide"),
    Case("qr_r", lambda a: np.linalg.qr(a, mode="complete")[1], ((3, 4),),
         name="complete-wide"),
]

_LEAST_SQUARES_CASES = [
    Case("pinv", lambda a: np.linalg.pinv(a), ((3, 3),), name="square"),
    Case("pinv", lambda a: np.linalg.pinv(a), ((4, 3),), name="tall"),
    Case("pinv", lambda a: np.linalg.pinv(a), ((3, 4),), name="wide"),
    Case("pinv", lambda a: np.linalg.pinv(a), ((2, 4, 3),), name="batched"),
    Case("pinv", lambda x: np.linalg.pinv(x + 4 * _eye(x), hermitian=True), (NEAR_ZERO,),
         name="hermitian-reads-lower"),
    Case("lstsq_solution", lambda a, b: np.linalg.lstsq(a, b)[0], ((4, 3), (4,)),
         name="overdetermined"),
    Case("lstsq_solution", lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0],
         ((4, 3), (4, 2)), name="matrix"),
    Case("lstsq_solution", lambda a, b: np.linalg.lstsq(a, b)[0], ((3, 4), (3,)),
         name="underdetermined"),
    Case("lstsq_solution", lambda a, b: np.linalg.lstsq(a, b)[0], ((2, 4), (2, 3)),
         name="underdetermined-matrix"),
]

_COMPOSITE_CASES = [
    Case("matmul", lambda a: np.linalg.matrix_power(a, 2), (SMALL,), name="matrix_power-2"),
    Case("matmul", lambda a: np.linalg.matrix_power(a, 5), (BATCH,), name="matrix_power-5"),
    Case("inv", lambda a: np.linalg.matrix_power(_invertible(a), -3), (SMALL,),
         name="matrix_power-negative"),
    Case("inv", lambda a: np.linalg.matrix_power(_invertible(a), -1), (BATCH,),
         name="matrix_power-minus-one"),
    Case("where", lambda a: np.linalg.matrix_power(a, 0), (SMALL,), name="matrix_power-0",
         linear=True),
    Case("matmul", lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]),
         ((2, 4), (4, 3), (3, 5), (5, 2)), name="multi_dot-four"),
    Case("matmul", lambda a, b, c: np.linalg.multi_dot([a, b, c]), ((2, 4), (4, 3), (3, 5)),
         name="multi_dot-three"),
    Case("matmul", lambda a, b, c: np.linalg.multi_dot([a, b, c]), ((4,), (4, 3), (3,)),
         name="multi_dot-vector-ends"),
    Case("matmul", lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]),
         ((3,), (3, 4), (4, 2), (2, 5)), name="multi_dot-vector-first"),
]

_COMPOSITE_CASES += [
    Case("inv", lambda a: np.linalg.tensorinv(np.reshape(_invertible(a), (6, 2, 3)), ind=1),
         (Arg((6, 6), -1.0, 1.0),), name="tensorinv"),
    Case("solve", lambda a, b: np.linalg.tensorsolve(
        np.reshape(_invertible(a), (2, 3, 3, 2)), b, axes=(1,)), (Arg((6, 6), -1.0, 1.0),
                                                                   (2, 3)), name="tensorsolve"),
]

if _NUMPY2:  # numpy.linalg's names for the array API's functions
    _COMPOSITE_CASES += [
        Case("transpose", lambda a: np.linalg.matrix_transpose(a), ((2, 3, 4),),
             name="linalg.matrix_transpose", linear=True),
        Case("matmul", lambda a, b: np.linalg.matmul(a, b), ((2, 3, 4), (4, 2)),
             name="linalg.matmul"),
        Case("tensordot", lambda a, b: np.linalg.tensordot(a, b, axes=1), ((2, 3), (3, 4)),
             name="linalg.tensordot"),
        Case("outer", lambda a, b: np.linalg.outer(a, b), ((3,), (4,)), name="linalg.outer"),
        Case("multiply", lambda a, b: np.linalg.vecdot(a, b, axis=0), ((3, 4), (3, 1)),
             name="linalg.vecdot"),
        Case("cross", lambda a, b: np.linalg.cross(a, b), ((2, 3), (3,)), name="linalg.cross"),
        Case("trace", lambda a: np.linalg.trace(a, offset=1), ((2, 3, 4),),
             name="linalg.trace", linear=True),
        Case("getitem", lambda a: np.linalg.diagonal(a, offset=-1), ((2, 4, 3),),
             name="linalg.diagonal", linear=True),
    ]

AWAY_FROM_ZERO = Arg((3, 4), 0.5, 2.0)
_NORM_CASES = [
    Case("vector_norm", lambda x: np.linalg.norm(x), ((3, 4),), name="default"),
    Case("vector_norm", lambda x: np.linalg.norm(x, keepdims=True), ((2, 3, 4),),
         name="default-keepdims"),
    Case("vector_norm", lambda x: np.linalg.norm(x, axis=1), ((3, 4),), name="axis"),
    Case("vector_norm", lambda x: np.linalg.norm(x, ord=2, axis=-1, keepdims=True),
         ((2, 3, 4),), name="ord2-keepdims"),
    Case("vector_norm", lambda x: np.linalg.norm(x, ord=1, axis=0), ((3, 4),), name="ord1",
         linear=True),
    Case("vector_norm", lambda x: np.linalg.norm(x, ord=np.inf), ((5,),), name="inf", linear=True),
    Case("vector_norm", lambda x: np.linalg.norm(x, ord=-np.inf, axis=1), ((3, 4),),
         name="minus-inf", linear=True),
    Case("vector_norm", lambda x: np.linalg.norm(x, ord=3, axis=1), ((3, 4),), name="ord3"),
    Case("vector_norm", lambda x: np.linalg.norm(x, ord=1.5, axis=0), ((3, 4),),
         name="ord1.5"),
    Case("vector_norm", lambda x: np.linalg.norm(x, ord=0.5, axis=1), (AWAY_FROM_ZERO,),
         name="ord0.5"),
    Case("vector_norm", lambda x: np.linalg.norm(x, ord=-2, axis=1), (AWAY_FROM_ZERO,),
         name="ord-minus-2"),
    Case("vector_norm", lambda x: np.linalg.norm(x, ord=0, axis=1), ((3, 4),), name="ord0",
         linear=True),
    # The 2-norm has a kink at 0; its gradient there is the subgradient 0.
    Case("vector_norm", lambda x: np.linalg.norm(x, axis=1), (Arg((3, 4), 0.0, 0.0),),
         name="zero-vector", order=1),
    Case("vector_norm", lambda x: np.linalg.norm(x, "fro"), ((3, 4),), name="fro"),
    Case("vector_norm", lambda x: np.linalg.norm(x, "fro", axis=(2, 0), keepdims=True),
         ((3, 2, 4),), name="fro-axes-keepdims"),
    Case("svd_values", lambda x: np.linalg.norm(x, "nuc"), ((3, 4),), name="norm-nuc"),
    Case("svd_values", lambda x: np.linalg.norm(x, 2, axis=(0, 2)), ((4, 2, 3),),
         name="norm-2-axes"),
    Case("svd_values", lambda x: np.linalg.norm(x, -2, axis=(-1, -2), keepdims=True),
         ((2, 3, 4),), name="norm-minus-2-keepdims"),
    Case("absolute", lambda x: np.linalg.norm(x, 1), ((3, 4),), name="linalg.norm-1"),
    Case("absolute", lambda x: np.linalg.norm(x, -1, axis=(1, 0)), ((3, 4),),
         name="linalg.norm-minus-1-swapped"),
    Case("absolute", lambda x: np.linalg.norm(x, np.inf, axis=(0, 2)), ((3, 2, 4),),
         name="linalg.norm-inf-axes"),
    Case("absolute", lambda x: np.linalg.norm(x, -np.inf, keepdims=True), ((3, 4),),
         name="linalg.norm-minus-inf-keepdims"),
]

if hasattr(np.linalg, "vector_norm"):
    _NORM_CASES += [
        Case("vector_norm", lambda x: np.linalg.vector_norm(x), ((2, 3, 4),),
             name="vector_norm-all"),
        Case("vector_norm", lambda x: np.linalg.vector_norm(x, axis=(0, 2), ord=3),
             ((2, 3, 4),), name="vector_norm-axes"),
        Case("vector_norm", lambda x: np.linalg.matrix_norm(x), ((2, 3, 4),),
             name="matrix_norm-fro"),
        Case("svd_values", lambda x: np.linalg.matrix_norm(x, ord="nuc", keepdims=True),
             ((2, 3, 4),), name="matrix_norm-nuc"),
        Case("svd_values", lambda x: np.linalg.svdvals(x), ((2, 4, 3),), name="svdvals"),
    ]

# Eigenvalues of general matrices: random ones have a complex pair or three real values.
GENERAL = Arg((3, 3), -2.0, 2.0)
_EIGVALS_CASES = [
    Case("eigvals", lambda a: real_and_imaginary(np.linalg.eigvals(a)), (GENERAL,)),
    Case("eigvals", lambda a: real_and_imaginary(np.linalg.eigvals(a)), (Arg((2, 3, 3)),),
         name="stack"),
    # NumPy before 2.5 returns real eigenvalues as floats, from 2.5 on as complex numbers.
    Case("eigvals", lambda a: np.real(np.linalg.eigvals(_positive_definite(a))), (SMALL,),
         name="real-values"),
    Case("eigvals", np.linalg.eigvals, (GENERAL,), name="complex-matrix", complex=True),
]

CASES = (_EIGVALS_CASES + _DECOMPOSITION_CASES + _SVD_CASES + _QR_CASES + _LEAST_SQUARES_CASES
         + _COMPOSITE_CASES + _NORM_CASES)


# Complex matrices (checked through their real and imaginary parts, case.split_complex).
# A complex eigen- or singular vector is fixed only up to a phase: the cases fix each
# one's phase by its first entry, or use functions a common phase leaves unchanged.
def _columns_phased(v):
    """Each column times the phase that makes its first entry real and positive."""
    first = v[..., :1, :]
    return v * (np.conj(first) / np.abs(first))


def _rows_phased(v):
    first = v[..., :, :1]
    return v * (np.conj(first) / np.abs(first))


def _hermitian_rebuilt(z):
    w, v = np.linalg.eigh(z)
    return (v * w[..., None, :]) @ np.conj(np.swapaxes(v, -1, -2))


_COMPLEX_SHAPES = {"square": (3, 3), "tall": (4, 3), "wide": (3, 4), "batched": (2, 3, 4)}
_COMPLEX_CASES = [
    Case("eigh_values", lambda z: np.linalg.eigvalsh(z), ((3, 3),), name="hermitian-lower",
         complex=True),
    Case("eigh_values", lambda z: np.linalg.eigh(z, UPLO="U")[0], ((2, 3, 3),),
         name="hermitian-upper", complex=True),
    Case("eigh_vectors", lambda z: _columns_phased(np.linalg.eigh(z)[1]), ((3, 3),),
         name="hermitian-phased", complex=True),
    Case("eigh_vectors", lambda z: _columns_phased(np.linalg.eigh(z, UPLO="U")[1]),
         ((2, 3, 3),), name="hermitian-upper-phased", complex=True),
    Case("eigh_vectors", _hermitian_rebuilt, ((3, 3),), name="hermitian-rebuilt", complex=True),
    *(Case("svd_values", lambda z: np.linalg.svd(z, compute_uv=False), (shape,),
           name=f"complex-{name}", complex=True) for name, shape in _COMPLEX_SHAPES.items()),
    *(Case("svd_u", lambda z: _columns_phased(np.linalg.svd(z, full_matrices=False)[0]),
           (shape,), name=f"complex-{name}-phased", complex=True)
      for name, shape in _COMPLEX_SHAPES.items()),
    *(Case("svd_vh", lambda z: _rows_phased(np.linalg.svd(z, full_matrices=False)[2]),
           (shape,), name=f"complex-{name}-phased", complex=True)
      for name, shape in _COMPLEX_SHAPES.items()),
    Case("svd_u", _svd_rebuilt, ((4, 3),), name="complex-rebuilt-tall", complex=True),
    Case("svd_vh", _svd_rebuilt, ((2, 3, 4),), name="complex-rebuilt-wide", complex=True),
    Case("eigh_values", lambda z: np.linalg.svd(z, hermitian=True, compute_uv=False),
         ((3, 3),), name="svd-hermitian-complex", complex=True),
    Case("eigh_vectors", lambda z: np.abs(np.linalg.svd(z, hermitian=True)[2]), ((3, 3),),
         name="svd-hermitian-complex", complex=True),
]

_COMPLEX_VECTOR_ORDS = {"2": 2, "1": 1, "inf": np.inf, "minus-inf": -np.inf, "3": 3,
                        "0.5": 0.5, "minus-2": -2}
_COMPLEX_CASES += [
    Case("vector_norm", lambda z: np.linalg.norm(z), ((3, 4),), name="complex-default",
         complex=True),
    *(Case("vector_norm", lambda z, o=o: np.linalg.norm(z, ord=o, axis=1), ((3, 4),),
           name=f"complex-ord{name}", complex=True) for name, o in _COMPLEX_VECTOR_ORDS.items()),
    Case("vector_norm", lambda z: np.linalg.norm(z, "fro", axis=(0, 2)), ((3, 2, 4),),
         name="complex-fro", complex=True),
    *(Case("svd_values", lambda z, o=o: np.linalg.norm(z, o), ((3, 4),),
           name=f"complex-norm-{o}", complex=True) for o in ("nuc", 2, -2)),
    *(Case("absolute", lambda z, o=o: np.linalg.norm(z, o), ((3, 4),),
           name=f"complex-linalg.norm-{o}", complex=True) for o in (1, -1, np.inf, -np.inf)),
]
CASES += _COMPLEX_CASES

# numpy.linalg.eig: eigenvectors with their phase fixed by the first entry, their
# moduli, and the matrix rebuilt from both factors (all unchanged by LAPACK's phases).
def _eig_rebuilt(a):
    w, v = np.linalg.eig(a)
    return real_and_imaginary((v * w[..., None, :]) @ np.linalg.inv(v))


CASES += [
    Case("eig_vectors", lambda a: real_and_imaginary(_columns_phased(np.linalg.eig(a)[1])),
         (GENERAL,), name="phased"),
    Case("eig_vectors", lambda a: np.abs(np.linalg.eig(a).eigenvectors), (Arg((2, 3, 3)),),
         name="moduli-batched"),
    Case("eig_vectors", lambda a: np.real(_columns_phased(np.linalg.eig(
        _positive_definite(a))[1])), (SMALL,), name="real-eigenvalues"),
    Case("eig_vectors", _eig_rebuilt, (GENERAL,), name="rebuilt"),
    Case("eig_vectors", lambda z: _columns_phased(np.linalg.eig(z)[1]), (GENERAL,),
         name="complex-matrix-phased", complex=True),
]
