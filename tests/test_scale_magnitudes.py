"""The column magnitudes behind ``check_representable`` on a row sample.

Above ``_MAGNITUDE_ROWS`` rows the largest ``|x_j|`` is read on contiguous
blocks of rows spread over a dense X (evenly strided rows of a sparse X).
Checked against plain NumPy maxima of the whole X: the sample's maximum is
a lower bound that reaches the full one on well-spread data, reads the
first and last rows, keeps a tiny column tiny, and the refusals of
unrepresentable fits still happen on large data.
"""

import numpy as np
import pytest
from scipy import sparse

from sklloss import LossRegressor
from sklloss.linear_model import _scale

N = 30_000  # above _MAGNITUDE_ROWS: the sample is taken


@pytest.fixture
def X():
    return np.random.default_rng(0).standard_normal((N, 4))


@pytest.mark.parametrize("layout", ["dense", "float32", "csr", "csc"])
def test_sample_maximum_is_a_close_lower_bound(X, layout):
    full = np.abs(X).max(axis=0)
    data = {
        "dense": X,
        "float32": X.astype(np.float32),
        "csr": sparse.csr_matrix(X),
        "csc": sparse.csc_matrix(X),
    }[layout]
    got = _scale._sampled_absmax(data)
    assert np.all(got <= full * (1 + 1e-7))
    # 20,000 of 30,000 normal rows: the sample's maximum is near the full one
    assert np.all(got >= 0.8 * full)


def test_first_and_last_rows_are_read_and_tiny_columns_stay_tiny(X):
    X[:, 1] = 0.0
    X[0, 1] = -1e-300  # only in the first block
    X[:, 2] = 0.0
    X[-1, 2] = 3e250  # only in the last block
    X[:, 3] = 0.0  # all zero: 1.0, as column_absmax
    got = _scale._sampled_absmax(X)
    np.testing.assert_array_equal(got[1:], [1e-300, 3e250, 1.0])


def test_small_x_is_read_whole():
    X = np.zeros((50, 2))
    X[17, 0] = -4.0
    np.testing.assert_array_equal(_scale._sampled_absmax(X), [4.0, 1.0])


def test_unrepresentable_fit_is_refused_on_large_x(X):
    y = X @ np.ones(4)
    with pytest.raises(ValueError, match="not representable"):
        LossRegressor(loss="huber").fit(X * 1e300, y * 1e-20)
    # one column of 1e-300 and y x 1e10: its coefficient would be ~1e310
    Xc = X.copy()
    Xc[:, 0] = 1e-300
    with pytest.raises(ValueError, match="not representable"):
        LossRegressor(loss="huber").fit(Xc, y * 1e10)


# ------------------------------------------------ the spread of y, sampled
# A fixed scale (scale=1.0) uses the spread of y only for the magnitudes
# above: it is read on about _MAGNITUDE_ROWS strided rows. Reference: the
# MAD of y written here with np.median (equal weights).
def _mad(y):
    return np.median(np.abs(y - np.median(y))) / 0.6744897501960817


def test_sampled_spread_is_the_mad_of_the_sample_and_close_to_the_full_one():
    y = np.random.default_rng(1).standard_normal(N) * 7.0
    sw = np.ones(N)
    got = _scale._sampled_spread(y, sw, "identity")
    assert got == pytest.approx(_mad(y[:: N // _scale._MAGNITUDE_ROWS]), rel=1e-12)
    assert got == pytest.approx(_mad(y), rel=0.05)


def test_sampled_spread_of_a_constant_sample_reads_every_row():
    # y is 0 on exactly the strided rows of the sample, normal elsewhere
    n = 2 * N
    step = n // _scale._MAGNITUDE_ROWS
    y = np.random.default_rng(2).standard_normal(n)
    y[::step] = 0.0
    sw = np.ones(n)
    got = _scale._sampled_spread(y, sw, "identity")
    assert got == pytest.approx(_mad(y), rel=1e-12)


@pytest.mark.parametrize("scale", [1.0, "auto"])
def test_tiny_spread_of_y_is_refused_on_large_data_at_any_scale(X, scale):
    y = (X @ np.ones(4)) * 1e-290
    with pytest.raises(ValueError, match="y has a spread of"):
        LossRegressor(loss="squared_error", scale=scale).fit(X, y)


def test_fixed_scale_fit_matches_the_auto_scale_fit_of_a_homogeneous_loss(X):
    # squared_error is homogeneous: the scale only normalises the penalty,
    # so with alpha = 0 every scale gives the least-squares solution
    y = X @ np.arange(1.0, 5.0) + np.random.default_rng(3).standard_normal(N)
    ref = np.linalg.lstsq(np.c_[X, np.ones(N)], y, rcond=None)[0]
    for scale in (1.0, "auto"):
        est = LossRegressor(loss="squared_error", alpha=0.0, scale=scale).fit(X, y)
        np.testing.assert_allclose(est.coef_, ref[:4], rtol=1e-9)
        assert est.intercept_ == pytest.approx(ref[4], abs=1e-9)
