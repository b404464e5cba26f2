"""
==================================
The shapes of losses and gradients
==================================

Every loss in sklloss is one object, and :class:`sklloss.plotting.LossDisplay`
draws it. Regression losses are drawn against the residual
:math:`r = y - \\hat y`, classification losses against the margin
:math:`m = (2y - 1) z` of the raw score :math:`z`; the second row shows the
first derivative along that axis, the quantity a gradient-based solver sees.

What the pictures say:

* the squared error's derivative grows without bound, so one outlier can pull
  a least-squares fit arbitrarily far; absolute error, Huber, smooth L1 and
  log-cosh have a bounded derivative, and the redescending Cauchy and Tukey
  losses give large residuals *less* pull than moderate ones;
* the absolute error's derivative jumps from -1 to 1 at 0, which is why it
  needs a non-smooth (exact) solver;
* among classification losses, the hinge is flat beyond a margin of 1 (points
  correctly classified with margin are ignored), the logistic loss never is,
  and the exponential loss grows fastest on misclassified points.

The figure is also the one shown in the project README
(``docs/images/loss_curves.png``).
"""

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt

from sklloss import get_loss
from sklloss.losses import loss_names
from sklloss.plotting import LossDisplay

# %%
# Regression losses with an identity link (the log-link deviances, Poisson,
# Gamma and Tweedie, live on another scale and are drawn separately below).
# A few parameters are moved off their defaults so that no two curves
# coincide: at its defaults smooth L1 (beta = 1) equals Huber (delta = 1), and
# the epsilon-insensitive losses (epsilon = 0) equal the absolute and squared
# errors.
regression = {
    "squared_error": "squared_error",
    "absolute_error": "absolute_error",
    "huber (delta=1)": "huber",
    "smooth_l1 (beta=2)": get_loss("smooth_l1", beta=2.0),
    "quantile (0.8)": get_loss("quantile", quantile=0.8),
    "log_cosh": "log_cosh",
    "epsilon_insensitive (1)": get_loss("epsilon_insensitive", epsilon=1.0),
    "squared_epsilon_insensitive (1)": get_loss(
        "squared_epsilon_insensitive", epsilon=1.0
    ),
    "cauchy": "cauchy",
    "tukey_biweight": "tukey_biweight",
}
classification = [
    name for kind in ("probabilistic", "margin") for name in loss_names(kind=kind)
]
print("regression:", ", ".join(regression))
print("classification:", ", ".join(classification))

fig, axes = plt.subplots(2, 2, figsize=(12, 9), constrained_layout=True)
LossDisplay.from_losses(regression, x_range=(-5, 5), ax=axes[0, 0], clip=8)
LossDisplay.from_losses(
    regression, derivative=True, x_range=(-5, 5), ax=axes[1, 0], clip=3
)
if classification:
    LossDisplay.from_losses(classification, x_range=(-3, 3), ax=axes[0, 1], clip=6)
    LossDisplay.from_losses(
        classification, derivative=True, x_range=(-3, 3), ax=axes[1, 1], clip=3
    )
# legends where the curves leave room
for ax, loc in zip(
    axes.ravel(),
    ["upper center", "upper right", "upper left", "lower right"],
    strict=True,
):
    ax.legend(fontsize="small", ncol=2, loc=loc, framealpha=0.9)
axes[0, 0].set_title("regression losses")
axes[0, 1].set_title("classification losses (label y = 1)")
axes[1, 0].set_title("their derivatives along the residual")
axes[1, 1].set_title("their derivatives along the margin")

# The README figure; SKLLOSS_FIGURE_DIR redirects it (the tests and the docs
# build use a scratch dir; sphinx-gallery runs the script without __file__).
out_dir = Path(
    os.environ.get("SKLLOSS_FIGURE_DIR")
    or Path(__file__).resolve().parents[1] / "docs" / "images"
)
out_dir.mkdir(parents=True, exist_ok=True)
fig.savefig(out_dir / "loss_curves.png", dpi=80)
print(f"wrote {out_dir / 'loss_curves.png'}")

# %%
# The log-link deviances are functions of :math:`\log y - \log \hat y`: they
# are asymmetric, and Gamma punishes under-prediction (a positive residual)
# much less than over-prediction.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
glm_losses = {
    "poisson": "poisson",
    "gamma": "gamma",
    "tweedie(power=1.5)": get_loss("tweedie", power=1.5),
}
LossDisplay.from_losses(glm_losses, x_range=(-2, 2), ax=axes[0])
LossDisplay.from_losses(glm_losses, derivative=True, x_range=(-2, 2), ax=axes[1])
axes[0].set_xlabel(r"$\log y - \log \hat{y}$ at $y = 1$")
axes[1].set_xlabel(r"$\log y - \log \hat{y}$ at $y = 1$")
axes[0].set_title("log-link deviances")
axes[1].set_title("their derivatives")
plt.show()
