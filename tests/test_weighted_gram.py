"""The weighted Gram matrix ``[X / col, 1]^T diag(w) [X / col, 1]`` in row blocks.

Both the interior point (``_exact``) and the sampled Hessian (``_objective``)
form it through ``_passes._weighted_gram``; the reference here is the product
written out with a dense float64 copy of Z.
"""

import numpy as np
import pytest
from scipy import sparse

from sklloss.linear_model._passes import _GRAM_ROWS, _weighted_gram


def _reference(X, w, col, intercept):
    Z = np.asarray(X.toarray() if sparse.issparse(X) else X, dtype=np.float64) / col
    if intercept:
        Z = np.column_stack([Z, np.ones(len(Z))])
    return Z.T @ (w[:, None] * Z)


@pytest.mark.parametrize("intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("weights", ["nonnegative", "with-zeros", "signed"])
@pytest.mark.parametrize("col_kind", ["ones", "scaled"])
@pytest.mark.parametrize(
    "layout", ["C-float64", "F-float64", "C-float32", "csr", "csc"]
)
def test_weighted_gram_matches_written_out_product(
    intercept, weights, col_kind, layout
):
    rng = np.random.default_rng(0)
    n, p = 2 * _GRAM_ROWS + 123, 7  # three blocks, the last one partial
    X = rng.standard_normal((n, p)) * np.logspace(-3, 3, p)
    if layout in ("csr", "csc"):
        X[rng.random((n, p)) < 0.7] = 0.0
    w = rng.uniform(0.0, 3.0, n)
    if weights == "with-zeros":
        w[::3] = 0.0
    elif weights == "signed":
        w -= 1.0
    col = np.ones(p) if col_kind == "ones" else np.abs(X).max(axis=0)
    expected = _reference(X, w, col, intercept)
    if layout == "F-float64":
        X = np.asfortranarray(X)
    elif layout == "C-float32":
        X = X.astype(np.float32)
        expected = _reference(X, w, col, intercept)
    elif layout == "csr":
        X = sparse.csr_matrix(X)
    elif layout == "csc":
        X = sparse.csc_matrix(X)
    before = X.copy()
    G = _weighted_gram(X, w, col, intercept)
    assert G.dtype == np.float64
    np.testing.assert_allclose(
        G, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max()
    )
    np.testing.assert_allclose(G, G.T, rtol=0, atol=1e-12 * np.abs(G).max())
    if sparse.issparse(X):
        assert (X != before).nnz == 0
    else:
        np.testing.assert_array_equal(X, before)
