"""check_estimator's weight-equivalence checks with every explicit smooth solver.

Issue 12: they passed with ``solver="auto"`` only; ``"lbfgs"`` left
squared_hinge 3e-3 off and ``"trust-ncg"`` 0.1 off on the 15 x 30 problems
(a small gradient at small curvature), and huber 3e-6.
"""

import pytest
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
)

from sklloss import LossClassifier, LossRegressor

SOLVERS = ["lbfgs", "trust-ncg", "newton-cholesky"]
CASES = [
    (LossRegressor, loss) for loss in ("huber", "smooth_l1", "log_cosh", "poisson")
] + [
    (LossClassifier, loss)
    for loss in ("squared_hinge", "modified_huber", "log_loss", "exponential")
]


@pytest.mark.parametrize("check", ["dense", "sparse"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    "cls, loss", CASES, ids=[f"{c.__name__}-{loss}" for c, loss in CASES]
)
def test_weight_equivalence_with_every_solver(cls, loss, solver, check):
    run = {
        "dense": check_sample_weight_equivalence_on_dense_data,
        "sparse": check_sample_weight_equivalence_on_sparse_data,
    }[check]
    run(cls.__name__, cls(loss=loss, solver=solver))
