"""Fit time of LightGBM / XGBoost with a sklloss objective vs the native one.

For each backend and loss, the same data, the same parameters and the same
number of trees are fitted twice, alternating: once with the library's
native objective, once with :class:`sklloss.boosting.LightGBMObjective` /
:class:`~sklloss.boosting.XGBoostObjective` (the Python callback computes the
gradient and Hessian every round). The ratio sklloss / native is the cost of
the callback; the goal is <= 1.3. The predictions of the two fits are
compared too (max absolute difference of the raw scores; the quantile pair is
compared by pinball loss, the natives re-estimate their leaves).

    python benchmarks/bench_boosting.py                 # 1e5 x 50, 200 trees
    python benchmarks/bench_boosting.py --quick         # a smoke run
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklloss.boosting import LightGBMObjective, XGBoostObjective
from sklloss.losses import get_loss

_E07 = float(np.exp(0.7))
# loss -> (sklloss loss, native lightgbm, native xgboost, classes, lgb kw, xgb kw)
# The keyword arguments make the sklloss derivatives equal to the natives'
# (see sklloss.boosting's module notes), so that both fits grow the same trees.
CASES = {
    "squared_error": (
        "squared_error",
        "regression",
        "reg:squarederror",
        1,
        {"scale": 0.5},
        {"scale": 0.5},
    ),
    "log_loss (binary)": ("log_loss", "binary", "binary:logistic", 2, {}, {}),
    "log_loss (3 classes)": (
        "log_loss",
        "multiclass",
        "multi:softprob",
        3,
        {"hessian_scale": 1.5},
        {"hessian_scale": 2.0},
    ),
    "poisson": (
        "poisson",
        "poisson",
        "count:poisson",
        1,
        {"scale": 0.5, "hessian_scale": _E07},
        {"scale": 0.5, "hessian_scale": _E07},
    ),
    "quantile (0.9)": ("quantile", "quantile", "reg:quantileerror", 1, {}, {}),
    # LossBoostingRegressor's refit_leaves (LightGBM only): the leaves
    # re-estimated as quantiles of their residuals, as the native does.
    "quantile (0.9), leaves re-estimated": (
        "quantile",
        "quantile",
        None,
        1,
        {},
        {},
    ),
    # No native focal loss: timed against the native binary log loss on the
    # same data (the cost of a costlier callback; the trees differ).
    "focal (binary)": ("focal", "binary", "binary:logistic", 2, {}, {}),
}


def make_data(name, n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    f = X[:, 0] + 0.5 * X[:, 1] ** 2 - X[:, 2] + 0.3 * X[:, 3] * X[:, 4]
    if name.startswith(("log_loss (binary)", "focal")):
        y = (f + rng.logistic(size=n) > 0).astype(float)
    elif name.startswith("log_loss"):
        y = np.digitize(f + rng.normal(size=n), [-0.5, 0.8]).astype(float)
    elif name == "poisson":
        y = rng.poisson(np.exp(0.3 * f)).astype(float)
    else:
        y = f + rng.normal(size=n)
    return X, y


def _loss(name, key):
    return get_loss(key, quantile=0.9) if key == "quantile" else get_loss(key)


_CLOCK = {"seconds": 0.0}  # module-level: lgb.train deep-copies its params


class _Timed:
    """The objective, with the wall time spent inside it summed in _CLOCK."""

    def __init__(self, objective):
        self.objective = objective
        _CLOCK["seconds"] = 0.0

    @property
    def seconds(self):
        return _CLOCK["seconds"]

    def __call__(self, *args):
        t0 = time.perf_counter()
        out = self.objective(*args)
        _CLOCK["seconds"] += time.perf_counter() - t0
        return out

    def init_score(self, *args, **kwargs):
        return self.objective.init_score(*args, **kwargs)

    @property
    def loss(self):
        return self.objective.loss


def fit_lightgbm(X, y, name, trees, native, threads):
    import lightgbm as lgb

    key, nat, _, K, lkw, _ = CASES[name]
    params = {"verbose": -1, "num_threads": threads}
    if K > 2:
        params["num_class"] = K
    if native:
        params["objective"] = nat
        if key == "quantile":
            params["alpha"] = 0.9
        data = lgb.Dataset(X, y)
        init = 0.0
    else:
        obj = _Timed(LightGBMObjective(_loss(name, key), **lkw))
        params["objective"] = obj
        init = obj.init_score(y, n_classes=K if K > 2 else None)
        data = lgb.Dataset(X, y, init_score=init)
    t0 = time.perf_counter()
    if name.endswith("re-estimated") and not native:
        booster = _train_refit(X, y, obj, params, trees)
    else:
        booster = lgb.train(params, data, num_boost_round=trees)
    elapsed = time.perf_counter() - t0
    raw = booster.predict(X, raw_score=True) + (init if native else init[:1][0])
    return elapsed, raw, 0.0 if native else obj.seconds


def _train_refit(X, y, obj, params, trees):
    """The estimator's training path with leaf re-estimation."""
    from sklloss.boosting._backends import _train_lightgbm

    params = {k: v for k, v in params.items() if k != "objective"}
    params.update(learning_rate=0.1, num_boost_round=trees)
    train = (X, y, None, obj.init_score(y))
    fitted = _train_lightgbm(
        obj, None, train, None, n_classes=1, params=params, es=1, refit_loss=obj.loss
    )
    return fitted.booster


def fit_xgboost(X, y, name, trees, native, threads):
    import xgboost as xgb

    key, _, nat, K, _, xkw = CASES[name]
    params = {"nthread": threads, "tree_method": "hist", "max_depth": 6}
    if K > 2:
        params["num_class"] = K
    obj = _Timed(XGBoostObjective(_loss(name, key), **xkw))
    init = obj.init_score(y, n_classes=K if K > 2 else None)
    dtrain = xgb.DMatrix(X, y, base_margin=init)
    if native:
        params["objective"] = nat
        if key == "quantile":
            params["quantile_alpha"] = 0.9
        kwargs = {}
    else:
        params.update(base_score=0.0, disable_default_eval_metric=1)
        if key == "poisson":
            params["max_delta_step"] = 0.7  # count:poisson sets it for its trees
        kwargs = {"obj": obj}
    _CLOCK["seconds"] = 0.0
    t0 = time.perf_counter()
    booster = xgb.train(params, dtrain, trees, **kwargs)
    elapsed = time.perf_counter() - t0
    return elapsed, booster.predict(dtrain, output_margin=True), obj.seconds


FIT = {"lightgbm": fit_lightgbm, "xgboost": fit_xgboost}


def callback_table(n, p, repeat=7):
    """Median time of one LightGBM / XGBoost objective call on n rows."""
    lines = [
        "| loss | LightGBM call | XGBoost call | per 200 rounds (LightGBM) |",
        "| --- | --- | --- | --- |",
    ]
    rng = np.random.default_rng(1)
    for name, (key, *_, K, lkw, xkw) in CASES.items():
        if name.endswith("re-estimated"):
            continue  # the same objective as the row above
        _, y = make_data(name, n, 5)
        shape = (n, K) if K > 2 else (n,)
        raw_f = np.asfortranarray(rng.normal(scale=0.5, size=shape))  # LightGBM's
        raw_c = np.ascontiguousarray(raw_f)  # XGBoost's layout
        cells = []
        for obj, raw in (
            (LightGBMObjective(_loss(name, key), **lkw), raw_f),
            (XGBoostObjective(_loss(name, key), **xkw), raw_c),
        ):
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                obj(y, raw)  # the scikit-learn API's call: (y_true, raw)
                times.append(time.perf_counter() - t0)
            cells.append(statistics.median(times))
        lines.append(
            f"| {name} | {cells[0] * 1e3:.2f} ms | {cells[1] * 1e3:.2f} ms | "
            f"{cells[0] * 200:.1f} s |"
        )
    return lines


def compare(name, y, raw_native, raw_ours):
    if name.startswith("focal"):
        return "n/a (timed against the native binary log loss)"
    if name.startswith("quantile"):
        loss = get_loss("quantile", quantile=0.9)
        a, b = loss.loss(y, raw_native).mean(), loss.loss(y, raw_ours).mean()
        return f"pinball {a:.4f} vs {b:.4f}"
    return f"max |diff| {np.max(np.abs(raw_native - raw_ours)):.1e}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--p", type=int, default=50)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2000 x 10, 20 trees")
    parser.add_argument("--backends", default="lightgbm,xgboost")
    parser.add_argument(
        "--cases",
        default="",
        help="comma-separated prefixes of the loss rows to run (default: all)",
    )
    parser.add_argument(
        "--no-calls", action="store_true", help="skip the one-call table"
    )
    parser.add_argument("--output", help="write the markdown table here")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.p, args.trees, args.repeat = 2000, 10, 20, 1
    load_start = os.getloadavg()
    calls = [] if args.no_calls else callback_table(args.n, args.p)
    print("\n".join(calls), flush=True)
    lines = [
        "| backend | loss | native | sklloss | ratio sklloss/native | goal (<= 1.3) "
        "| agreement | callback share of the sklloss fit | load (1 min) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for backend in args.backends.split(","):
        prefixes = tuple(c.strip() for c in args.cases.split(",") if c.strip())
        for name in CASES:
            if prefixes and not name.startswith(prefixes):
                continue
            if backend == "xgboost" and CASES[name][2] is None:
                continue  # LightGBM only
            X, y = make_data(name, args.n, args.p)
            times = {True: [], False: []}
            callback = []
            for _ in range(args.repeat):
                for native in (True, False):  # alternate: the load shifts alike
                    t, raw, cb = FIT[backend](
                        X, y, name, args.trees, native, args.threads
                    )
                    times[native].append(t)
                    if not native:
                        callback.append(cb / t)
                    if native:
                        raw_native = raw
                    else:
                        raw_ours = raw
            tn, ts = statistics.median(times[True]), statistics.median(times[False])
            ratio = ts / tn
            row = (
                f"| {backend} | {name} | {tn:.2f} s | {ts:.2f} s | {ratio:.2f} | "
                f"{'met' if ratio <= 1.3 else 'missed'} | "
                f"{compare(name, y, raw_native, raw_ours)} | "
                f"{100 * statistics.median(callback):.1f}% | "
                f"{os.getloadavg()[0]:.1f} |"
            )
            print(row, flush=True)
            lines.append(row)
    header = (
        f"# Boosting with sklloss objectives: fit time\n\n"
        f"- command: `python benchmarks/bench_boosting.py "
        f"{' '.join(argv if argv is not None else sys.argv[1:])}`\n"
        f"- data: {args.n} x {args.p} standard normal features, {args.trees} "
        f"trees, {args.threads} threads, median of {args.repeat} alternating fits\n"
        f"- backends: default parameters (LightGBM 31 leaves; XGBoost hist, "
        f"depth 6); sklloss objective with the natives' derivative conventions\n"
        f"- load average (1, 5, 15 min) at start: "
        f"{', '.join(f'{v:.1f}' for v in load_start)}; at end: "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())} "
        f"(nproc = {os.cpu_count()})\n\n"
    )
    calls_md = (
        f"\n\n## One call of the objective at n = {args.n} (median of 7)\n\n"
        + "\n".join(calls)
        + "\n"
    )
    if args.output:
        Path(args.output).write_text(header + "\n".join(lines) + calls_md)
    return lines


if __name__ == "__main__":
    main()
