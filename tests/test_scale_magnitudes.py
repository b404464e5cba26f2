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
