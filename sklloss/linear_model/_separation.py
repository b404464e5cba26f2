"""Whether a classification objective has a minimum at all (separation).

Without a penalty, a loss that only tends to its infimum as the margin grows
(log loss, exponential, focal) has no minimiser when the classes are
separable; :func:`separation` says so, for a ConvergenceWarning.
"""

import numpy as np
from scipy import sparse

__all__ = ["separation"]

# Largest constraint matrix (rows x columns) of the separation LP (HiGHS).
_SEPARATION_LP_MAX = 5_000_000


def _infimum_unattained(objective):
    """Whether the loss only tends to its infimum as the margin grows.

    Evaluated on the objective's own first target (so label smoothing,
    whose soft targets have a finite optimum, says no): the loss at a raw
    prediction of 20 towards the target is positive and below the one at
    10. True for the log loss, exponential, focal; False for the hinge
    family, which reaches zero at a finite margin.
    """
    y0 = objective.y[:1]
    if objective.softmax:
        k = int(np.argmax(y0[0])) if y0.ndim == 2 else int(y0[0])
        raw = np.zeros((2, objective.K))
        raw[:, k] = [10.0, 20.0]
        y0 = np.repeat(y0, 2, axis=0)
    else:
        sign = 1.0 if float(y0[0]) > 0.5 else -1.0
        raw, y0 = sign * np.array([10.0, 20.0]), np.repeat(y0, 2)
    with np.errstate(all="ignore"):
        v = np.asarray(objective.loss.loss(y0, raw), dtype=np.float64)
    return bool(np.all(np.isfinite(v)) and 0 < v[1] < v[0])


def _margins(objective, raw):
    """Per-row margin of the true class: d_i raw_i, or the softmax gap."""
    if not objective.softmax:
        return (2.0 * objective.y - 1.0) * raw[:, 0]
    y = objective.y
    k = np.argmax(y, axis=1) if y.ndim == 2 else y.astype(np.intp)
    rows = np.arange(len(k))
    own = raw[rows, k].copy()
    raw = np.array(raw, dtype=np.float64)
    raw[rows, k] = -np.inf
    return own - raw.max(axis=1)


def separation(objective, W, b):
    """Why the penalised objective has no minimum, or None.

    Without a penalty (``alpha == 0``) and with a loss that only tends to
    its infimum as the margin grows (:meth:`_infimum_unattained`), the
    optimum does not exist exactly when the classes are separable: some
    direction ``(v, c)`` gives every row with positive weight a margin
    ``>= 0`` and one row a positive margin (complete or quasi-complete
    separation, Albert and Anderson 1984); along it the loss decreases
    for ever. Certified by the fitted model itself when it classifies
    every row correctly, otherwise by a feasibility LP (HiGHS) on
    problems of moderate size.

    Parameters
    ----------
    objective : LinearObjective
        The fitted objective.
    W : ndarray of shape (K, n_features)
        Fitted coefficients.
    b : ndarray of shape (K,)
        Fitted intercepts.

    Returns
    -------
    str or None
        A sentence for a ConvergenceWarning, or None when a minimum exists
        (or separation could not be decided).
    """
    if objective.l2 > 0 or objective.l1 > 0 or not _infimum_unattained(objective):
        return None
    keep = objective.sample_weight > 0
    margins = _margins(objective, objective._raw(W, b))[keep]
    if np.all(margins > 0):
        how = "the fitted model classifies every training sample correctly"
    elif np.max(margins, initial=0.0) > 5 and _separable_lp(objective, keep):
        how = "a direction classifies every sample correctly or on the boundary"
    else:
        return None
    norm = float(np.linalg.norm(W))
    return (
        f"The classes are separable ({how}): with alpha=0 the loss keeps "
        "decreasing as the coefficients grow, so the objective has no "
        f"minimum and the coefficients (norm {norm:.3g}) depend on where "
        "the solver stopped. Add a penalty (alpha > 0) for a well-defined "
        "model."
    )


def _separable_lp(objective, keep):
    """Feasibility LP: some (v, c) with all margins >= 0, their sum >= 1."""
    from scipy.optimize import linprog

    X = objective.X
    n, p = X.shape
    K = objective.K if objective.softmax else 1
    if not (isinstance(X, np.ndarray) or sparse.issparse(X)):
        return False  # a dask array: left to the fitted-model certificate
    if n * (p + 1) * max(K - 1, 1) > _SEPARATION_LP_MAX:
        return False
    idx = np.flatnonzero(keep)
    Z = sparse.hstack(
        [sparse.csr_matrix(X[idx], dtype=np.float64), np.ones((len(idx), 1))],
        format="csr",
    )
    if not objective.softmax:
        A = sparse.diags(2.0 * objective.y[idx] - 1.0) @ Z
    else:
        y = objective.y[idx]
        k = np.argmax(y, axis=1) if y.ndim == 2 else y.astype(np.intp)
        blocks = []
        for j in range(K):  # rows i with k_i != j: (e_{k_i} - e_j) x [x_i, 1]
            rows = np.flatnonzero(k != j)
            E = sparse.csr_matrix(
                (np.ones(len(rows)), (np.arange(len(rows)), k[rows])),
                shape=(len(rows), K),
            )
            E = E - sparse.csr_matrix(
                (np.ones(len(rows)), (np.arange(len(rows)), np.full(len(rows), j))),
                shape=(len(rows), K),
            )
            blocks.append(_row_kron(E, Z[rows]))
        A = sparse.vstack(blocks, format="csr")
    A_ub = sparse.vstack([-A, -sparse.csr_matrix(A.sum(axis=0))], format="csr")
    b_ub = np.zeros(A_ub.shape[0])
    b_ub[-1] = -1.0
    res = linprog(
        np.zeros(A.shape[1]),
        A_ub=A_ub,
        b_ub=b_ub,
        bounds=(None, None),
        method="highs",
    )
    return res.status == 0


def _row_kron(E, Z):
    """Row-wise Kronecker product: row i is ``kron(E[i], Z[i])`` (sparse)."""
    E, Z = sparse.csr_matrix(E), sparse.csr_matrix(Z)
    return sparse.hstack(
        [sparse.diags(E[:, j].toarray().ravel()) @ Z for j in range(E.shape[1])],
        format="csr",
    )
