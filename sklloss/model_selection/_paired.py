r"""The paired comparison behind the best marks of :func:`compare_losses`.

For two losses scored on the same :math:`k` folds, the per-fold differences
:math:`d_j` are tested with a two-sided paired t-test whose variance carries
the Nadeau-Bengio correction for overlapping training sets,

.. math::

    t = \frac{\bar d}{\sqrt{\left(\frac{1}{k} + \frac{n_\text{test}}
    {n_\text{train}}\right) s_d^2}}, \qquad \text{df} = k - 1,

(Nadeau & Bengio, 2003, "Inference for the generalization error"; the test
scikit-learn's example *Statistical comparison of models using grid search*
uses). Why this test: the folds share most of their training data, so the
per-fold scores are positively correlated and the plain paired t-test
(:math:`1/k` alone) declares too many differences; and rank tests cannot
decide at the usual 5 folds, since the smallest two-sided p-value of a sign
test or a Wilcoxon signed-rank test over 5 pairs is :math:`2/2^5 = 0.0625`.
"""

import math

import numpy as np
from scipy import stats


def _corrected_ttest_pvalue(diffs, test_train_ratio):
    """Two-sided p-value of the corrected paired t-test of `diffs` against 0."""
    d = np.asarray(diffs, dtype=np.float64)
    k = d.size
    mean, var = d.mean(), d.var(ddof=1)
    if var == 0:  # identical differences: decided by their sign alone
        return 0.0 if mean != 0 else 1.0
    t = mean / math.sqrt(var * (1.0 / k + test_train_ratio))
    return float(2.0 * stats.t.sf(abs(t), df=k - 1))


def _mark_best(folds, greater_is_better, test_train_ratio, level):
    """Best-of-column mark and p-values against the best, for one metric.

    Parameters
    ----------
    folds : dict of str to ndarray of shape (n_folds,)
        Per-fold values of each loss; a loss with a NaN fold is left out.
    greater_is_better : bool
        The direction of the metric.
    test_train_ratio : float
        Mean ratio of test to training size over the folds.
    level : float
        Significance level.

    Returns
    -------
    best : str or None
        The loss with the best mean, if it beats every other loss at `level`
        (an intersection-union test, so no multiplicity correction is due);
        None otherwise, or with fewer than two comparable losses.
    p_values : dict of str to float
        For each comparable loss but the best, the p-value of its
        difference to the best.
    """
    usable = {k: v for k, v in folds.items() if not np.isnan(v).any()}
    if len(usable) < 2:
        return None, {}
    means = {k: float(np.mean(v)) for k, v in usable.items()}
    pick = max if greater_is_better else min
    best = pick(means, key=means.get)
    p_values = {
        k: _corrected_ttest_pvalue(v - usable[best], test_train_ratio)
        for k, v in usable.items()
        if k != best
    }
    beats_all = all(p < level for p in p_values.values())
    return (best if beats_all else None), p_values
