"""
===========================================
Tuning Huber's delta with an sklloss scorer
===========================================

The Huber loss is quadratic for residuals below ``delta`` and linear above, so
``delta`` decides which points count as outliers. Because a loss is a
scikit-learn parameterised object, ``GridSearchCV`` tunes it through the
estimator (``loss__delta``), and an sklloss scorer selects the value. The
held-out folds contain outliers too, so we score them with a loss that is
itself robust: the Huber loss at ``delta = 1`` as a scorer built with
:func:`sklloss.scorers.make_loss_scorer`; the mean absolute error
(``get_scorer("neg_mean_absolute_error")``) is reported alongside.

The data: a linear model with unit Gaussian noise and 10% of the targets
shifted by +8 to +15, so we also know the true coefficients and can check
what cross-validation chose against them.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold

from sklloss import get_loss
from sklloss.linear_model import LossRegressor
from sklloss.scorers import get_scorer, make_loss_scorer

rng = np.random.default_rng(0)
n, p = 300, 5
X = rng.normal(size=(n, p))
w = rng.normal(size=p)
y = X @ w + rng.normal(size=n)
bad = rng.choice(n, size=n // 10, replace=False)
y[bad] += rng.uniform(8, 15, size=len(bad))

# %%
deltas = np.logspace(-1.5, 1.5, 13)
search = GridSearchCV(
    LossRegressor(loss=get_loss("huber")),
    {"loss__delta": deltas},
    scoring={
        "huber": make_loss_scorer("huber", delta=1.0),
        "mae": get_scorer("neg_mean_absolute_error"),
    },
    refit="huber",
    cv=KFold(5, shuffle=True, random_state=0),
)
search.fit(X, y)
best = search.best_params_["loss__delta"]
res = search.cv_results_
cv_huber, cv_huber_std = -res["mean_test_huber"], res["std_test_huber"]
cv_mae = -res["mean_test_mae"]
# Ground truth, which cross-validation does not see: distance of the
# coefficients fitted on all data to the true ones.
coef_err = [
    np.linalg.norm(LossRegressor(loss=get_loss("huber", delta=d)).fit(X, y).coef_ - w)
    for d in deltas
]
for d, h, s, m, e in zip(deltas, cv_huber, cv_huber_std, cv_mae, coef_err, strict=True):
    print(
        f"delta = {d:7.3f}: CV Huber(1) loss {h:.4f} ± {s:.4f}, CV MAE {m:.4f}, "
        f"|coef - true| {e:.4f}"
    )
ls = LossRegressor(loss="squared_error").fit(X, y)
print(f"best delta by CV: {best:.3f}")
print(
    f"|coef - true|: at the CV choice {coef_err[list(deltas).index(best)]:.4f}, "
    f"smallest over the grid {min(coef_err):.4f} (delta = "
    f"{deltas[int(np.argmin(coef_err))]:.3f}), least squares "
    f"{np.linalg.norm(ls.coef_ - w):.4f}"
)

# %%
# Cross-validation separates "robust" from "not robust" clearly: the held-out
# loss rises once ``delta`` exceeds a few noise standard deviations, where the
# outliers start to pull the fit, and is worst for the least-squares-like
# large values. Below that, the scores tie within
# their fold-to-fold spread, while the true coefficient error is smallest
# around ``delta`` = 1, close to the classical choice 1.345 noise standard
# deviations. Any value in the flat region is a sound choice. ``delta`` is in
# units of the model's scale (``LossRegressor(scale="auto")``: the residuals'
# robust scale, re-estimated during the fit, about the noise's standard
# deviation here), so the same grid serves a target in any units.
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.errorbar(
    deltas,
    cv_huber,
    yerr=cv_huber_std,
    marker="o",
    capsize=3,
    label="CV Huber(delta=1) loss",
)
ax.axvline(best, color="C3", ls="--", label=f"CV choice: delta = {best:.2f}")
ax.set_xscale("log")
ax.set_xlabel("training delta (units of the fit's scale_, about the noise std)")
ax.set_ylabel("held-out Huber(delta=1) loss")
ax2 = ax.twinx()
ax2.plot(deltas, coef_err, "s:", color="C2", label="|coef - true coef|")
ax2.set_ylabel("|coef - true coef| (not seen by CV)")
lines = ax.get_legend_handles_labels()
lines2 = ax2.get_legend_handles_labels()
ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize="small")
ax.set_title("GridSearchCV over loss__delta")
plt.show()
