"""What the estimated scale costs: LossRegressor(scale="auto") against scale=1.0.

For the robust losses ``scale="auto"`` re-estimates the residual scale during
the fit (RLM's iteration, started on a 10% row sample above 50,000 rows), so
it needs more passes over X than a fit at a fixed scale. This script times
both, and scikit-learn's HuberRegressor (which estimates its scale jointly)
in the same run, and prints the ratios.

    python benchmarks/bench_scale.py [--sizes 1e5x100,1e6x20] [--repeat 3]
"""

import argparse
import time
import warnings

import numpy as np


def _data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X @ rng.normal(size=p) + rng.standard_t(3, size=n)
    return X, y


def _time(cls, params, X, y, repeat):
    best, est = np.inf, None
    for _ in range(repeat):
        est = cls(**params)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        best = min(best, time.perf_counter() - t)
    return best, est


def main(argv=None):
    from sklearn.linear_model import HuberRegressor

    from sklloss import LossRegressor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e5x100,1e6x20")
    parser.add_argument("--losses", default="huber,log_cosh,tukey_biweight")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print("| loss | n x p | scale=1.0 [s] (passes) | auto [s] (passes) | auto / 1.0 |")
    print("| --- | --- | --- | --- | --- |")
    for size in args.sizes.split(","):
        n, p = (int(float(v)) for v in size.split("x"))
        X, y = _data(n, p)
        for loss in args.losses.split(","):
            t1, fixed = _time(
                LossRegressor, {"loss": loss, "scale": 1.0}, X, y, args.repeat
            )
            ta, auto = _time(LossRegressor, {"loss": loss}, X, y, args.repeat)
            print(
                f"| {loss} | {size} | {t1:.3f} ({fixed.n_evals_}) | "
                f"{ta:.3f} ({auto.n_evals_}) | {ta / t1:.2f} |"
            )
        th, _ = _time(HuberRegressor, {"max_iter": 1000}, X, y, args.repeat)
        print(f"| HuberRegressor (joint scale) | {size} | - | {th:.3f} | - |")


if __name__ == "__main__":
    main()
