"""Model selection over losses: :func:`compare_losses`.

The library function behind ``python -m sklloss compare``: cross-validated
fits of one estimator with several training losses on the same folds, scored
on several metrics, with a paired test that says where one loss is better
beyond the fold-to-fold noise. ``import sklloss.model_selection`` does not
import pandas; the result is a DataFrame only when pandas is installed.
"""

from ._compare import compare_losses

__all__ = ["compare_losses"]
