"""
=====================================================
Boosted trees for any loss: focal loss and quantiles
=====================================================

:class:`sklloss.boosting.LossBoostingClassifier` and
:class:`~sklloss.boosting.LossBoostingRegressor` grow LightGBM (or XGBoost)
trees from a sklloss loss's exact gradients and Hessians. Two uses, each
measured against the backend's native objective on held-out data:

* an imbalanced problem (5% positives): the log loss, the focal loss
  (:math:`\\gamma = 2`) and the log loss with ``class_weight="balanced"``,
  with LightGBM's native ``binary`` objective as the reference;
* a heteroscedastic regression: 10% / 50% / 90% quantile bands from the
  pinball loss, against LightGBM's native ``quantile`` objective (the leaves
  re-estimated as quantiles of their residuals, as the native does:
  ``refit_leaves="auto"``).
"""

# %%
import lightgbm as lgb  # the sklloss[lightgbm] extra
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score, balanced_accuracy_score
from sklearn.metrics import log_loss as sk_log_loss

from sklloss.boosting import LossBoostingClassifier, LossBoostingRegressor
from sklloss.losses import Quantile

PARAMS = {"num_leaves": 15, "num_threads": 1}

# %%
# Imbalanced classification
# -------------------------
X, y = make_classification(
    n_samples=6000,
    n_features=10,
    n_informative=5,
    weights=[0.95],
    flip_y=0.02,
    random_state=0,
)
X_train, y_train, X_test, y_test = X[:3000], y[:3000], X[3000:], y[3000:]

models = {
    "log_loss": LossBoostingClassifier("log_loss", backend_params=PARAMS),
    "focal (gamma=2)": LossBoostingClassifier("focal", backend_params=PARAMS),
    "log_loss, balanced": LossBoostingClassifier(
        "log_loss", class_weight="balanced", backend_params=PARAMS
    ),
}
proba = {}
for name, model in models.items():
    proba[name] = model.fit(X_train, y_train).predict_proba(X_test)[:, 1]
native = lgb.LGBMClassifier(n_estimators=100, verbose=-1, **PARAMS)
proba["native binary (LightGBM)"] = native.fit(X_train, y_train).predict_proba(X_test)[
    :, 1
]

print(f"{'model':28s} {'bal. acc.':>9s} {'avg prec.':>9s} {'log loss':>9s}")
for name, p in proba.items():
    print(
        f"{name:28s} {balanced_accuracy_score(y_test, p > 0.5):9.3f} "
        f"{average_precision_score(y_test, p):9.3f} {sk_log_loss(y_test, p):9.4f}"
    )
# The sklloss log-loss model and the native one differ by float rounding only.
print(
    "max |p(log_loss) - p(native)| =",
    np.abs(proba["log_loss"] - proba["native binary (LightGBM)"]).max(),
)

# %%
# Quantile bands
# --------------
rng = np.random.default_rng(0)
x = rng.uniform(0, 10, size=4000)
y_reg = np.sin(x) + rng.normal(scale=0.2 + 0.08 * x)
X_reg = x[:, None]
X_fit, y_fit, X_val, y_val = X_reg[:2000], y_reg[:2000], X_reg[2000:], y_reg[2000:]
grid = np.linspace(0, 10, 300)[:, None]

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
axes[0].scatter(x[:2000], y_fit, s=3, alpha=0.3, color="gray")
print(f"{'quantile':>8s} {'pinball sklloss':>16s} {'native':>8s} {'coverage':>9s}")
for q, color in [(0.1, "C0"), (0.5, "C1"), (0.9, "C2")]:
    loss = Quantile(quantile=q)
    ours = LossBoostingRegressor(loss, n_estimators=300, backend_params=PARAMS)
    ours.fit(X_fit, y_fit)
    ref = lgb.LGBMRegressor(
        objective="quantile", alpha=q, n_estimators=300, verbose=-1, **PARAMS
    ).fit(X_fit, y_fit)
    pred = ours.predict(X_val)
    print(
        f"{q:8.1f} {loss(y_val, pred):16.4f} {loss(y_val, ref.predict(X_val)):8.4f} "
        f"{np.mean(y_val <= pred):9.3f}"
    )
    axes[0].plot(grid, ours.predict(grid), color=color, label=f"sklloss q={q}")
    axes[0].plot(grid, ref.predict(grid), color=color, ls="--", lw=1)
axes[0].set(title="Quantile bands (dashed: native LightGBM)", xlabel="x", ylabel="y")
axes[0].legend(loc="lower left")

for name, p in proba.items():
    order = np.argsort(-p)
    hits = np.cumsum(y_test[order]) / y_test.sum()
    axes[1].plot(np.arange(1, len(p) + 1) / len(p), hits, label=name)
axes[1].set(
    title="Imbalanced: share of positives found",
    xlabel="share of test rows flagged (highest score first)",
    ylabel="recall",
    xlim=(0, 0.2),
)
axes[1].legend(loc="lower right")
fig.tight_layout()
plt.show()
