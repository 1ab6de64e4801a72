"""Fitting to Dask data on the threaded scheduler: the same numbers as in memory, one
``dask.compute`` per point the optimiser visits, and clear errors for bad data."""

import numpy as np
import pytest

pytest.importorskip("scipy")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")

from dask.callbacks import Callback  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.scale import ClusterComputeError  # noqa: E402

# A Dask operation that silently falls back to NumPy (computing) is a failure here.
pytestmark = pytest.mark.filterwarnings("error:.*is not implemented by Dask array.*")

ROWS, CHUNK = 400, 100
TRUE_BETA = np.array([0.4, -1.0, 0.5, 0.25])


def logistic_data(seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(ROWS), rng.normal(size=(ROWS, 3))])
    y = (rng.random(ROWS) < 1 / (1 + np.exp(-X @ TRUE_BETA))).astype(float)
    return X, y


X, Y = logistic_data()
X_LAZY, Y_LAZY = da.from_array(X, chunks=(CHUNK, 4)), da.from_array(Y, chunks=CHUNK)


def logistic_negloglik(beta, X, y):
    eta = X @ beta
    return np.sum(np.logaddexp(0.0, eta) - y * eta)


class CountComputes(Callback):
    """Counts the graphs the local schedulers evaluate (one per dask.compute)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def _start(self, dsk):
        self.count += 1


def assert_close(actual, expected, rtol=1e-8):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0)


# --- minimize ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["BFGS", "trust-exact", "Newton-CG"])
def test_minimize_on_dask_data_equals_the_numpy_run(method):
    start = np.zeros(4)
    in_memory = cr.optimize.minimize(logistic_negloglik, start, args=(X, Y), method=method)
    lazy = cr.optimize.minimize(logistic_negloglik, start, args=(X_LAZY, Y_LAZY),
                                method=method)
    assert isinstance(lazy.x, np.ndarray)
    assert_close(lazy.x, in_memory.x)
    assert_close(lazy.fun, in_memory.fun)


def test_a_gradient_free_method_computes_only_values_on_dask_data():
    options = {"maxfev": 40}
    in_memory = cr.optimize.minimize(logistic_negloglik, np.zeros(4), args=(X, Y),
                                     method="Nelder-Mead", options=options)
    with CountComputes() as computes:
        lazy = cr.optimize.minimize(logistic_negloglik, np.zeros(4), args=(X_LAZY, Y_LAZY),
                                    method="Nelder-Mead", options=options)
    assert_close(lazy.x, in_memory.x)
    assert computes.count == lazy.nfev


@pytest.mark.parametrize("method", ["BFGS", "trust-exact", "Newton-CG"])
def test_minimize_on_dask_data_computes_once_per_point(method):
    with CountComputes() as computes:
        result = cr.optimize.minimize(logistic_negloglik, np.zeros(4), args=(X_LAZY, Y_LAZY),
                                      method=method)
    # SciPy asks for the value, the gradient and the Hessian at each point it visits
    # (nfev of them); all three come from one compute there.
    assert result.success
    assert computes.count == result.nfev


def test_hessian_vector_products_are_products_with_one_computed_hessian():
    with CountComputes() as computes:
        result = cr.optimize.minimize(logistic_negloglik, np.zeros(4), args=(X_LAZY, Y_LAZY),
                                      method="trust-ncg", hessp=True)
    in_memory = cr.optimize.minimize(logistic_negloglik, np.zeros(4), args=(X, Y),
                                     method="trust-ncg", hessp=True)
    assert computes.count == result.nfev
    assert_close(result.x, in_memory.x)


def test_minimize_takes_dict_parameters_over_dask_data():
    def negloglik(p, X, y):
        return logistic_negloglik(np.concatenate([np.reshape(p["intercept"], (1,)),
                                                  p["slopes"]]), X, y)

    start = {"intercept": 0.0, "slopes": np.zeros(3)}
    in_memory = cr.optimize.minimize(negloglik, start, args=(X, Y), method="trust-exact")
    lazy = cr.optimize.minimize(negloglik, start, args=(X_LAZY, Y_LAZY), method="trust-exact")
    assert_close(lazy.x_flat, in_memory.x_flat)
    assert isinstance(lazy.x["intercept"], float)


def test_minimize_runs_on_a_scheduler_passed_as_client():
    class Scheduler:
        """Stands for a Client: what running_on checks, and a get that records use."""

        asynchronous = False

        def __init__(self):
            self.calls = 0

        def get(self, dsk, keys, **kwargs):
            import dask

            self.calls += 1
            return dask.get(dsk, keys, **kwargs)

        def scheduler_info(self):
            return {}

    Scheduler.__name__ = "FakeClient"  # Dask accepts a scheduler object named *Client
    client = Scheduler()
    result = cr.optimize.minimize(logistic_negloglik, np.zeros(4), args=(X_LAZY, Y_LAZY),
                                  client=client)
    assert client.calls == result.nfev


# --- least_squares and root -------------------------------------------------------------

def linear_residuals(beta, X, y):
    return X @ beta - y


def test_least_squares_on_dask_data_equals_the_numpy_run():
    in_memory = cr.optimize.least_squares(linear_residuals, np.zeros(4), args=(X, Y))
    with CountComputes() as computes:
        lazy = cr.optimize.least_squares(linear_residuals, np.zeros(4), args=(X_LAZY, Y_LAZY))
    assert_close(lazy.x, in_memory.x)
    assert_close(lazy.x, np.linalg.lstsq(X, Y, rcond=None)[0])
    assert computes.count <= lazy.nfev  # residuals and Jacobian at a point: one compute


def score_equations(beta, X, y):
    return X.T @ (y - 1 / (1 + np.exp(-(X @ beta))))


def test_root_on_dask_data_equals_the_numpy_run():
    in_memory = cr.optimize.root(score_equations, np.zeros(4), args=(X, Y))
    lazy = cr.optimize.root(score_equations, np.zeros(4), args=(X_LAZY, Y_LAZY))
    assert lazy.success
    assert_close(lazy.x, in_memory.x)


# --- fit_mle ----------------------------------------------------------------------------

def assert_same_fit(lazy, in_memory):
    assert_close(lazy.estimates, in_memory.estimates)
    assert_close(lazy.std_errors, in_memory.std_errors)
    assert_close(lazy.loglik, in_memory.loglik)
    assert lazy.nobs == in_memory.nobs


def test_fit_mle_on_dask_arrays_equals_the_numpy_fit():
    options = {"gtol": 1e-10}
    in_memory = cr.mle.fit_mle(logistic_negloglik, np.zeros(4), data=(X, Y), options=options)
    with CountComputes() as computes:
        lazy = cr.mle.fit_mle(logistic_negloglik, np.zeros(4), data=(X_LAZY, Y_LAZY),
                              options=options)
    assert_same_fit(lazy, in_memory)
    # One compute per point, and one for the Hessian at the estimate.
    assert computes.count == lazy.optimize_result.nfev + 1


def test_fit_mle_with_a_hessian_method_reuses_the_last_hessian_for_standard_errors():
    with CountComputes() as computes:
        lazy = cr.mle.fit_mle(logistic_negloglik, np.zeros(4), data=(X_LAZY, Y_LAZY),
                              method="trust-exact")
    in_memory = cr.mle.fit_mle(logistic_negloglik, np.zeros(4), data=(X, Y),
                               method="trust-exact")
    assert_same_fit(lazy, in_memory)
    assert computes.count == lazy.optimize_result.nfev


def test_fit_mle_standard_errors_are_the_inverse_hessian_at_the_estimate():
    fit = cr.mle.fit_mle(logistic_negloglik, np.zeros(4), data=(X_LAZY, Y_LAZY),
                         method="trust-exact")
    p = 1 / (1 + np.exp(-X @ fit.estimates))
    fisher = X.T @ (X * (p * (1 - p))[:, None])  # the logistic model's closed form
    assert_close(fit.std_errors, np.sqrt(np.diag(np.linalg.inv(fisher))), rtol=1e-10)


def poisson_frame(partitions=None):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x1": rng.normal(size=ROWS), "x2": rng.normal(size=ROWS)})
    frame["y"] = rng.poisson(np.exp(0.3 + 0.5 * frame.x1 - 0.2 * frame.x2)).astype(float)
    frame["region"] = rng.choice(["north", "south"], size=ROWS)  # not numeric: left out
    return frame if partitions is None else dd.from_pandas(frame, npartitions=partitions)


def poisson_negloglik(p, d):
    eta = p["b0"] + p["b1"] * d["x1"] + p["b2"] * d["x2"]
    return np.sum(np.exp(eta) - d["y"] * eta)


POISSON_START = {"b0": 0.0, "b1": 0.0, "b2": 0.0}


def test_fit_mle_reads_the_named_columns_of_a_dask_dataframe_as_of_pandas():
    in_memory = cr.mle.fit_mle(poisson_negloglik, POISSON_START, data=poisson_frame(),
                               method="trust-exact")
    lazy = cr.mle.fit_mle(poisson_negloglik, POISSON_START, data=poisson_frame(4),
                          method="trust-exact")
    assert_same_fit(lazy, in_memory)
    assert lazy.nobs == ROWS
    assert lazy.names == ("b0", "b1", "b2")


def test_fit_mle_passes_the_columns_asked_for():
    seen = []

    def negloglik(p, d):
        seen.append(sorted(d))
        return poisson_negloglik(p, d)

    cr.mle.fit_mle(negloglik, POISSON_START, data=poisson_frame(3), columns=["y", "x1", "x2"],
                   method="trust-exact")
    assert seen[0] == ["x1", "x2", "y"]


def test_fit_mle_rejects_a_non_numeric_column_asked_for():
    with pytest.raises(TypeError, match="region .* not numeric"):
        cr.mle.fit_mle(poisson_negloglik, POISSON_START, data=poisson_frame(2),
                       columns=["y", "region"])


def test_fit_mle_rejects_columns_without_a_dataframe():
    with pytest.raises(ValueError, match="holds no DataFrame"):
        cr.mle.fit_mle(logistic_negloglik, np.zeros(4), data=(X_LAZY, Y_LAZY), columns=["y"])


# --- training.fit -----------------------------------------------------------------------

def train_linear(batches, jit=False):
    model = nn.Linear(4, 1)
    model.weight._value[...] = 0.1
    model.bias._value[...] = 0.0
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)

    def loss_fn(prediction, target):
        return np.mean((np.reshape(prediction, (-1,)) - target) ** 2)

    history = cr.training.fit(model, loss_fn, optimizer, batches, epochs=4, progress=False,
                              jit=jit)
    return history, model


def test_training_fit_on_dask_batches_equals_the_numpy_run():
    targets = X @ TRUE_BETA
    history, model = train_linear([(X, targets)])
    with CountComputes() as computes:
        lazy_history, lazy_model = train_linear([(X_LAZY, da.from_array(targets, CHUNK))])
    assert_close(lazy_history.step_losses, history.step_losses)
    assert_close(lazy_model.weight.numpy(), model.weight.numpy())
    assert_close(lazy_model.bias.numpy(), model.bias.numpy())
    assert computes.count == 4  # one step per epoch, loss and gradients in one compute


def test_training_fit_with_jit_trains_dask_batches_eagerly():
    targets = X @ TRUE_BETA
    history, _ = train_linear([(X, targets)])
    lazy_history, _ = train_linear([(X_LAZY, da.from_array(targets, CHUNK))], jit=True)
    assert_close(lazy_history.step_losses, history.step_losses)


# --- bad data and lost computations -----------------------------------------------------

def test_unknown_chunk_sizes_name_compute_chunk_sizes():
    kept = X_LAZY[X_LAZY[:, 1] > 0]
    with pytest.raises(ValueError, match=r"unknown chunk sizes.*compute_chunk_sizes\(\)"):
        cr.optimize.minimize(logistic_negloglik, np.zeros(4), args=(kept, Y_LAZY[:10]))


def test_a_pandas_series_next_to_dask_data_is_refused():
    with pytest.raises(TypeError, match=r"args\[1\] is a pandas.Series next to Dask data"):
        cr.optimize.minimize(logistic_negloglik, np.zeros(4), args=(X_LAZY, pd.Series(Y)))


def test_a_dask_dataframe_in_minimize_args_asks_for_arrays():
    frame = poisson_frame(2)
    with pytest.raises(TypeError, match="to_dask_array"):
        cr.optimize.minimize(poisson_negloglik, POISSON_START, args=(frame,))


def test_a_client_that_is_not_a_client_is_refused():
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"):
        cr.optimize.minimize(logistic_negloglik, np.zeros(4), args=(X_LAZY, Y_LAZY),
                             client="tcp://localhost:8786")


def test_a_lost_computation_raises_an_error_naming_the_iteration():
    failing = {"from iteration": None}

    def read_chunk(block):
        if failing["from iteration"] is not None:
            raise ConnectionResetError("the worker holding this chunk is gone")
        return block

    X_flaky = X_LAZY.map_blocks(read_chunk, dtype=float)

    def fail_after_two(xk):
        if len(iterations) == 1:
            failing["from iteration"] = 2
        iterations.append(xk)

    iterations = []
    with pytest.raises(ClusterComputeError, match=r"failed at iteration 2 .*ConnectionReset"):
        cr.optimize.minimize(logistic_negloglik, np.zeros(4), args=(X_flaky, Y_LAZY),
                             method="trust-exact", callback=fail_after_two)


def test_an_error_in_the_objective_itself_is_not_taken_for_a_lost_computation():
    def wrong_shapes(beta, X, y):
        return np.sum(X @ beta[:2])

    with pytest.raises(ValueError):
        cr.optimize.minimize(wrong_shapes, np.zeros(4), args=(X_LAZY, Y_LAZY))
