"""scikit-learn's estimator checks over every trainable loss.

Zero expected failures: the objective is normalised by sum(sample_weight)
and every solver converges to rounding level on the checks' small problems,
so even ``check_sample_weight_equivalence_*`` (which sklearn's own
HuberRegressor and LinearSVC fail) passes for every loss.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklloss.linear_model import LossClassifier, LossRegressor
from sklloss.losses import get_loss, loss_names


def _estimators():
    ests = [
        LossRegressor(loss=name)
        for name in loss_names(trainable=True, kind="regression")
    ]
    for kind in ("probabilistic", "distribution", "margin"):
        ests += [
            LossClassifier(loss=name) for name in loss_names(trainable=True, kind=kind)
        ]
    # variants: elastic net, class weights, label smoothing, extreme quantile
    ests += [
        LossRegressor(loss="squared_error", l1_ratio=0.5, alpha=0.01),
        LossRegressor(loss="huber", l1_ratio=1.0, alpha=0.01),
        LossClassifier(loss="log_loss", l1_ratio=0.5, alpha=0.01),
        LossClassifier(loss="squared_hinge", l1_ratio=0.5, alpha=0.01),
        LossClassifier(loss="log_loss", class_weight="balanced"),
        LossClassifier(loss="squared_hinge", class_weight="balanced"),
        LossClassifier(loss="log_loss", label_smoothing=0.1),
        LossClassifier(loss="focal", label_smoothing=0.1),
        LossRegressor(loss=get_loss("quantile", quantile=0.9)),
        LossClassifier(loss="hinge", class_weight="balanced"),
        # "sampled-newton" is chosen by "auto" above 50,000 rows only
        LossRegressor(loss="poisson", solver="sampled-newton"),
        LossClassifier(loss="log_loss", solver="sampled-newton"),
        LossClassifier(loss="squared_hinge", solver="sampled-newton"),
    ]
    # every explicit smooth solver through the whole suite (issue 12: the
    # weight-equivalence checks of tests/test_explicit_solvers.py cover more
    # losses)
    for solver in ("lbfgs", "trust-ncg", "newton-cholesky"):
        ests += [
            LossRegressor(loss="huber", solver=solver),
            LossClassifier(loss="log_loss", solver=solver),
        ]
    return ests


@parametrize_with_checks(_estimators())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_every_trainable_loss_is_checked():
    names = {est.loss for est in _estimators() if isinstance(est.loss, str)}
    missing = [n for n in loss_names(trainable=True) if n not in names]
    assert not missing
