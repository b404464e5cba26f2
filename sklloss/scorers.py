r"""Scorers: every sklloss metric as a scikit-learn scorer.

A scorer is what ``GridSearchCV(scoring=...)``, ``cross_validate`` and
friends call as ``scorer(estimator, X, y, sample_weight=None)``. For a loss
:math:`\ell` with metric

.. math::

    L(y, \hat y; w) = \frac{\sum_i w_i \, \ell(y_i, \hat y_i)}{\sum_i w_i},

the scorer returns :math:`-L` (greater is better), where :math:`\hat y` is the
output of the estimator method the loss reads (its ``response_method``):
``predict`` for regression losses and ``zero_one``, ``predict_proba`` for
probabilistic and distribution losses, ``decision_function`` for margin
losses.

Three things make these scorers more than ``make_scorer(metric)``:

* **Labels.** When the estimator has ``classes_`` and the metric takes
  ``labels``, the scorer passes ``labels=estimator.classes_``, so a test fold
  that misses a class is still scored against the columns the estimator
  actually predicts (scikit-learn's own ``neg_log_loss`` raises there).
  Metrics without ``labels`` (the divergences, ``cross_entropy``,
  ``entropy``) get ``y`` encoded as positions in ``classes_`` instead, so
  string labels work too.
* **Sample weights, without metadata routing.** The metric functions have an
  explicit ``sample_weight`` parameter, so ``GridSearchCV.fit(X, y,
  sample_weight=w)`` forwards the test-fold weights to them.
* **Sample weights, with metadata routing**
  (``sklearn.set_config(enable_metadata_routing=True)``). The scorers request
  ``sample_weight`` by default, so the test-fold weights reach the metric in
  this mode too and both modes give the same number. To score without
  weights while fitting with them, call
  ``scorer.set_score_request(sample_weight=False)``. Note that scikit-learn's
  ``cross_validate(..., params={"sample_weight": w})`` forwards the weights to
  the scorer only under metadata routing; without it only ``fit`` sees them.

Scorer names are ``"neg_" + metric function name``. Where scikit-learn has a
scorer of the same name (``neg_mean_squared_error``, ``neg_log_loss``,
``neg_mean_poisson_deviance``, ...), :func:`get_scorer` returns ours: the
metric values are equal to scikit-learn's (tested), and ours add the label
and weight handling above. scikit-learn's private scorer registry is never
modified, so ``GridSearchCV(scoring="neg_mean_huber_loss")`` is an error:
pass ``scoring=get_scorer("neg_mean_huber_loss")`` (or a dict of scorers).
"""

import inspect

import numpy as np
from sklearn.metrics import get_scorer as _sklearn_get_scorer
from sklearn.metrics import get_scorer_names as _sklearn_get_scorer_names
from sklearn.metrics import make_scorer, mean_squared_error

from . import metrics as _metrics
from .losses import available_losses, get_loss
from .losses._labels import positions

__all__ = [
    "make_loss_scorer",
    "get_scorer",
    "get_scorer_names",
    "sklloss_scorer_names",
]

# Metrics that are not the ``metric_name`` of a registered loss but still make
# a scorer: metric function name -> response method.
_EXTRA_METRICS = {
    "root_mean_squared_error": "predict",
    # log loss over soft targets; the key "cross_entropy" is an alias of log_loss
    "cross_entropy": "predict_proba",
}

# Arguments of a metric function that are data, not parameters.
_DATA_ARGS = frozenset({"y_true", "y_pred", "y_proba", "y_prob", "pred_decision"})

# The class that ``make_scorer`` returns (scikit-learn's ``_Scorer``), reached
# through the public factory rather than a private import.
_ScorerBase = type(make_scorer(mean_squared_error))


class _LossScorer(_ScorerBase):
    """A ``make_scorer`` scorer that knows the estimator's classes and weights.

    It behaves exactly like the scorer :func:`sklearn.metrics.make_scorer`
    returns (it is built by it, see :meth:`from_scorer`), with two additions:
    ``labels=estimator.classes_`` is passed to a metric that accepts
    ``labels`` (unless given explicitly), and ``sample_weight`` is requested
    by default under metadata routing.
    """

    # Class-level default metadata request, the mechanism scikit-learn offers
    # for consumers: requested unless the user calls ``set_score_request``.
    __metadata_request__score = {"sample_weight": True}

    @classmethod
    def from_scorer(cls, scorer):
        """Wrap a scorer made by ``make_scorer`` (its state is copied, not shared).

        Parameters
        ----------
        scorer : object
            What :func:`sklearn.metrics.make_scorer` returned.

        Returns
        -------
        _LossScorer
            The same scorer with the label and weight handling of this class.
        """
        new = cls.__new__(cls)
        new.__dict__.update(vars(scorer))
        new._kwargs = dict(new._kwargs)
        # read the metric's signature once, not at every call
        new._metric_takes_labels = "labels" in _metric_params(new._score_func)
        return new

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        classes = getattr(estimator, "classes_", None)
        if (
            classes is not None
            and self._response_method != "predict"
            and np.ndim(y_true) == 1
            and "labels" not in self._kwargs
            and "labels" not in kwargs
        ):
            if self._metric_takes_labels:
                # scikit-learn style metric: it maps labels to columns itself
                kwargs["labels"] = classes
            else:
                # metric of label-encoded targets: column k is classes_[k]
                y_true = positions(y_true, classes)
        return super()._score(method_caller, estimator, X, y_true, **kwargs)


def _metric_params(func):
    """Keyword parameters of a metric function, excluding the data arguments.

    Parameters
    ----------
    func : callable
        A metric function ``func(y_true, y_pred, *, sample_weight=None, ...)``.

    Returns
    -------
    list of str
        Its parameter names other than the data and ``sample_weight``.
    """
    params = inspect.signature(func).parameters
    return [
        name
        for name, p in params.items()
        if name not in _DATA_ARGS
        and name != "sample_weight"
        and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]


def make_loss_scorer(loss, **params):
    r"""Make a scikit-learn scorer from a loss: the negated weighted mean loss.

    .. math::

        \mathrm{score}(f, X, y; w) = -\frac{\sum_i w_i\, \ell(y_i, r(X)_i)}
        {\sum_i w_i},

    where :math:`r` is the estimator's ``response_method`` for the loss
    (``predict``, ``predict_proba`` or ``decision_function``) and :math:`w`
    the sample weights (1 when none are given).

    Parameters
    ----------
    loss : str or Loss
        A registry key (``"huber"``), an alias (``"mse"``) or a Loss instance,
        whose hyper-parameters are used.
    **params
        Hyper-parameters of the loss (``delta=2.0`` for ``"huber"``), which
        override an instance's; or extra keyword arguments of the metric
        function (e.g. ``labels`` for classification metrics).

    Returns
    -------
    scorer : callable
        A scorer built by :func:`sklearn.metrics.make_scorer` with
        ``greater_is_better=False``, to be called as
        ``scorer(estimator, X, y, sample_weight=None)``. It passes
        ``labels=estimator.classes_`` to classification metrics and requests
        ``sample_weight`` under metadata routing.

    Raises
    ------
    ValueError
        If the loss is unknown, a hyper-parameter is invalid, or a keyword is
        neither a loss parameter nor a metric parameter.

    See Also
    --------
    get_scorer : A scorer by name.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklloss import make_loss_scorer
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 9.0])
    >>> model = LinearRegression().fit(X[:3], y[:3])
    >>> scorer = make_loss_scorer("huber", delta=2.0)
    >>> scorer
    make_scorer(mean_huber_loss, greater_is_better=False, ..., delta=2.0)
    >>> scorer(model, X, y)  # residuals 0, 0, 0, 6: mean of (0, 0, 0, 2 * (6 - 1))
    -2.5
    """
    loss_keys = set(get_loss(loss).get_params(deep=False))
    loss_params = {k: v for k, v in params.items() if k in loss_keys}
    loss = get_loss(loss, **loss_params)
    if loss.metric_name is None:
        # A user's own loss: its __call__ is the metric, parameters bound.
        extra = {k: v for k, v in params.items() if k not in loss_keys}
        if extra:
            raise ValueError(
                f"Unknown parameter(s) {sorted(extra)} for the scorer of loss "
                f"{loss!r}; valid ones are its parameters {sorted(loss_keys)}."
            )
        return _build(_LossMetric(loss), loss.response_method, {})
    metric = _metric_function(loss.metric_name)
    metric_kwargs = {**loss.get_params(deep=False)}
    accepted = _metric_params(metric)
    missing = sorted(set(metric_kwargs) - set(accepted))
    if missing:
        raise ValueError(
            f"The metric {loss.metric_name!r} of loss {loss.name!r} does not accept "
            f"the loss parameter(s) {missing}."
        )
    extra = {k: v for k, v in params.items() if k not in loss_keys}
    unknown = sorted(set(extra) - set(accepted))
    if unknown:
        raise ValueError(
            f"Unknown parameter(s) {unknown} for the scorer of loss {loss.name!r}; "
            f"valid ones are the loss parameters {sorted(loss_keys)} and the "
            f"metric parameters {sorted(set(accepted) - loss_keys)}."
        )
    return _build(metric, loss.response_method, {**metric_kwargs, **extra})


class _LossMetric:
    """The metric of a loss with no function in :mod:`sklloss.metrics`.

    Calls the loss object itself (its weighted mean in prediction space); a
    class rather than a closure so that scorers built on it pickle.
    """

    def __init__(self, loss):
        self.loss = loss
        self.__name__ = f"mean_{type(loss).__name__}"

    def __call__(self, y_true, y_pred, *, sample_weight=None):
        return self.loss(y_true, y_pred, sample_weight=sample_weight)

    def __repr__(self):
        return self.__name__


def _build(metric, response_method, kwargs):
    scorer = make_scorer(
        metric,
        response_method=response_method,
        greater_is_better=False,
        **kwargs,
    )
    return _LossScorer.from_scorer(scorer)


def _metric_function(name):
    try:
        return getattr(_metrics, name)
    except AttributeError:
        raise ValueError(
            f"sklloss.metrics has no function {name!r}; the loss registry and the "
            "metrics module disagree."
        ) from None


def _scorer_table():
    """Map each of our scorer names to ``(metric function name, loss or None)``.

    Returns
    -------
    dict
        ``{"neg_" + metric: (metric, registry key or None)}``; a loss's metric
        wins over an entry of ``_EXTRA_METRICS`` of the same name.
    """
    table = {}
    for key, info in available_losses().items():
        metric = info["metric"]
        if metric is not None and hasattr(_metrics, metric):
            table.setdefault("neg_" + metric, (metric, key))
    for metric in _EXTRA_METRICS:
        if hasattr(_metrics, metric):
            table.setdefault("neg_" + metric, (metric, None))
    return table


def get_scorer(scoring):
    """Get a scorer by name: sklloss's ``"neg_" + metric`` names, then sklearn's.

    Parameters
    ----------
    scoring : str, callable or None
        A name from :func:`get_scorer_names`. A callable (a scorer) is
        returned as is and None gives None, as in
        :func:`sklearn.metrics.get_scorer`.

    Returns
    -------
    scorer : callable or None
        A new scorer object at each call. For a name that both packages know
        (e.g. ``"neg_log_loss"``, ``"neg_mean_squared_error"``) it is
        sklloss's, whose values equal scikit-learn's; other scikit-learn names
        (``"r2"``, ``"accuracy"``) give scikit-learn's scorer.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.

    See Also
    --------
    make_loss_scorer : A scorer for a loss with chosen hyper-parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklloss import get_scorer
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 5.0])
    >>> model = LinearRegression().fit(X[:3], y[:3])
    >>> get_scorer("neg_mean_absolute_error")(model, X, y)
    -0.5
    >>> get_scorer("r2")(model, X[:3], y[:3])
    1.0
    """
    if scoring is None or callable(scoring):
        return scoring
    if not isinstance(scoring, str):
        raise TypeError(
            "scoring must be a string, a callable or None; got "
            f"{type(scoring).__name__}: {scoring!r}."
        )
    table = _scorer_table()
    if scoring in table:
        metric, key = table[scoring]
        if key is not None:
            return make_loss_scorer(key)
        return _build(_metric_function(metric), _EXTRA_METRICS[metric], {})
    if scoring in _sklearn_get_scorer_names():
        return _sklearn_get_scorer(scoring)
    raise ValueError(
        f"{scoring!r} is not a valid scoring value. Valid names are: "
        f"{', '.join(get_scorer_names())}."
    )


def get_scorer_names():
    """Names :func:`get_scorer` accepts: sklloss's and scikit-learn's, sorted.

    Returns
    -------
    list of str
        Every name :func:`get_scorer` resolves.

    Examples
    --------
    >>> from sklloss import get_scorer_names
    >>> names = get_scorer_names()
    >>> "neg_mean_huber_loss" in names, "r2" in names
    (True, True)
    """
    return sorted(set(_scorer_table()) | set(_sklearn_get_scorer_names()))


def sklloss_scorer_names():
    """Only sklloss's own scorer names (a subset of :func:`get_scorer_names`).

    Returns
    -------
    list of str
        ``"neg_" + name`` for every metric function that has a scorer.

    Examples
    --------
    >>> from sklloss.scorers import sklloss_scorer_names
    >>> "neg_mean_huber_loss" in sklloss_scorer_names()
    True
    >>> "r2" in sklloss_scorer_names()
    False
    """
    return sorted(_scorer_table())
