"""Metrics of the classification and distribution losses, made from the loss classes.

One concept (the classification and distribution metrics; most of its lines are
their docstrings), hence one module above 500 lines.

Each metric is the weighted mean of its loss object's per-sample value, read
through the loss's one input check (``sklloss/losses/_checks.py``, the check
of :meth:`Loss.__call__ <sklloss.losses.Loss.__call__>`); a metric that takes
labels of any type reads them through the one label encoder
(``sklloss/losses/_labels.py``) in place of the check of encoded targets.
``_loss_metric`` makes each function from its loss class: the signature
(the data, the loss's parameters with their defaults, ``sample_weight``,
``labels`` where labels are encoded), the docstring (its own formula and
note, the loss's parameter entries, the shared entries) and the body.

Argument names follow :mod:`sklearn.metrics` where it has the metric:
``log_loss(y_true, y_proba)`` (scikit-learn 1.9 renamed ``y_pred`` to
``y_proba``), ``hinge_loss(y_true, pred_decision)``,
``zero_one_loss(y_true, y_pred)``. The new metrics take the same names as
their closest sklearn sibling: ``focal_loss`` and ``cross_entropy`` take
``y_proba``, the margin metrics ``pred_decision``, the divergences ``y_pred``.
Scorers pass the prediction positionally, so the name only matters to
keyword callers. ``log_loss`` and ``zero_one_loss`` are written by hand, as
scikit-learn's signatures need (``normalize``, the deprecated ``y_pred``,
multilabel indicators, sparse matrices).
"""

import warnings

import numpy as np
from scipy import sparse

from .._validation import (
    check_finite_array,
    check_loss_sample_weight,
    check_same_length,
)
from ..losses import (
    Entropy,
    Exponential,
    Focal,
    Hinge,
    JSDivergence,
    KLDivergence,
    LogLoss,
    ModifiedHuber,
    SquaredHinge,
    ZeroOne,
)
from ..losses._checks import (
    UNIT_INTERVAL,
    _check_rows_sum_to_one,
    _check_targets,
    mean_of,
)
from ..losses._labels import (
    _as_label_array,
    _column,
    _integer_view,
    _require_two_classes,
    encode,
)
from ._factory import loss_metric, metric_mean

_LOG_LOSS = LogLoss()


# ------------------------------------------------------------ reading targets
def _one_column(p):
    """(n, 1) probabilities or decision values as 1-D, as scikit-learn reads them."""
    return p[:, 0] if p.ndim == 2 and p.shape[1] == 1 else p


def _is_indicator(targets):
    """Whether a 2-D target holds only 0 and 1 (a label-indicator matrix)."""
    return bool(np.all((targets == 0) | (targets == 1)))


def _class_count_error(classes, K, labels):
    if labels is None:
        return ValueError(
            f"y_true and y_proba contain different number of classes: "
            f"{len(classes)} vs {K}. Please provide the true labels "
            f"explicitly through the labels argument. Classes found in "
            f"y_true: {classes.tolist()}"
        )
    return ValueError(
        f"The number of classes in labels ({len(classes)}) is different "
        f"from that in y_proba ({K}). Classes found in labels: "
        f"{classes.tolist()}"
    )


def _soft_targets(y_arr, p, loss_name, multilabel):
    """A checked (n, K) indicator / soft-target `y_true`, and `p` to match."""
    targets = check_finite_array(y_arr, name="y_true")
    check_same_length(("y_true", targets), ("y_proba", p))
    K = 2 if p.ndim == 1 else p.shape[1]
    if targets.shape[1] != K:
        raise ValueError(
            f"y_true has {targets.shape[1]} columns but y_proba describes {K} classes."
        )
    UNIT_INTERVAL.check(targets, name="y_true", loss_name=loss_name)
    if multilabel and _is_indicator(targets):
        # scikit-learn scores a multilabel indicator as -sum_k y_k log p_k,
        # rows of any sum; the 1-D probability is the second column
        if p.ndim == 1:
            p = np.stack([1 - p, p], axis=1)
    else:
        _check_rows_sum_to_one(targets, name="y_true", loss_name=loss_name)
    return (targets if p.ndim == 2 else targets[:, 1]), p


def _read_proba_labels(labels, loss_name, multilabel=False):
    """Targets of log loss and focal: labels of any type, or (n, K) soft targets."""

    def read(y_true, p):
        p = _one_column(p)
        y_arr = _as_label_array(y_true, "y_true")
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:
            return _soft_targets(y_arr, p, loss_name, multilabel)
        classes, codes = encode(y_arr, labels)
        check_same_length(("y_true", codes), ("y_proba", p))
        _require_two_classes(classes, labels)
        K = 2 if p.ndim == 1 else p.shape[1]
        if len(classes) != K:
            raise _class_count_error(classes, K, labels)
        return codes, p

    return read


def _read_soft_targets(loss_name):
    """Targets of cross-entropy: the loss's own check, after (n, 1) is raveled."""

    def read(y_true, p):
        p = _one_column(p)
        targets = _check_targets(
            y_true, p, soft=True, loss_name=loss_name, pred_name="y_proba"
        )
        return targets, p

    return read


def _read_margin_labels(labels):
    """Codes and decision values, checked like scikit-learn's hinge_loss.

    Binary (two classes): the greater label is positive, ``pred_decision`` is
    1-D (or (n, 2), read as two class scores). Multiclass: (n, K) scores with
    K the number of classes of ``labels`` (or of ``y_true``).
    """

    def read(y_true, pred):
        classes, codes = encode(y_true, labels)
        check_same_length(("y_true", codes), ("pred_decision", pred))
        _require_two_classes(classes, labels)
        K = len(classes)
        pred = _one_column(pred)
        if K > 2 and pred.ndim == 1:
            raise ValueError(
                f"pred_decision must have shape (n_samples, n_classes) = "
                f"({len(codes)}, {K}) with a multiclass target; got {pred.shape}."
            )
        if pred.ndim == 2 and pred.shape[1] != K:
            hint = "" if labels is not None else " Pass every label through labels="
            raise ValueError(
                f"pred_decision has {pred.shape[1]} columns but there are {K} "
                f"classes: {classes.tolist()}.{hint}"
            )
        return codes, pred

    return read


_READERS = {  # by the kind of metric: how it reads y_true (labels or not)
    "proba_labels": lambda loss, labels: _read_proba_labels(labels, loss.name),
    "soft": lambda loss, labels: _read_soft_targets(loss.name),
    "margin_labels": lambda loss, labels: _read_margin_labels(labels),
    "loss": lambda loss, labels: None,  # the loss's own check (Loss.__call__)
}


# ------------------------------------------------------------------ factory
_TRUE_DOC = {
    "proba_labels": """y_true : array-like of shape (n_samples,) or \
(n_samples, n_classes)
    Labels of any type, or soft targets (rows summing to 1).""",
    "soft": """y_true : array-like of shape (n_samples, n_classes) or (n_samples,)
    Target distributions (a ValueError names the row whose sum is not 1);
    1-D: the probability of the positive class, with 1-D ``y_proba``.""",
    "margin_labels": """y_true : array-like of shape (n_samples,)
    Labels of any type.""",
    "loss": """y_true : array-like of shape (n_samples, n_classes) or (n_samples,)
    Target distributions (rows in [0, 1] summing to 1; 1-D: Bernoulli
    parameters).""",
}


def _loss_metric(name, loss_cls, *, reads, true_doc=None, **kwargs):
    """:func:`~._factory.loss_metric` with the target reading ``reads``."""
    return loss_metric(
        name,
        loss_cls,
        read=_READERS[reads],
        labels=reads.endswith("labels"),
        true_doc=true_doc or _TRUE_DOC[reads],
        **kwargs,
    )


# ------------------------------------------------------ probabilistic metrics
def log_loss(
    y_true,
    y_proba=None,
    *,
    normalize=True,
    sample_weight=None,
    labels=None,
    y_pred="deprecated",
):
    r"""Log loss (cross-entropy) of predicted probabilities, like scikit-learn's.

    .. math::

        L = -\frac{1}{\sum_i w_i} \sum_i w_i \log \tilde p_{i, y_i},
        \qquad \tilde p = \operatorname{clip}(p, \epsilon, 1 - \epsilon),

    with :math:`\epsilon` the machine epsilon of ``y_proba``'s dtype. The value
    equals :func:`sklearn.metrics.log_loss` (1.9), in a fraction of its time.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels of any type (or a label-indicator / soft-target matrix whose
        rows sum to 1).
    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities: of the positive (greater) label when 1-D, of
        each class in sorted label order when 2-D. Values outside [0, 1], NaN
        and inf are a ValueError; rows that do not sum to 1 raise a
        UserWarning, as in scikit-learn.
    normalize : bool, default=True
        Return the (weighted) mean; otherwise the (weighted) sum.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero.
    labels : array-like, default=None
        All class labels, when ``y_true`` does not contain every class.
    y_pred : array-like, default="deprecated"
        The old name of ``y_proba``, accepted with a FutureWarning as
        scikit-learn 1.9 does (it removes the name in 1.11).

    Returns
    -------
    float
        The (weighted) mean log loss, or the (weighted) sum with
        ``normalize=False``.

    Examples
    --------
    >>> from sklloss.metrics import log_loss
    >>> log_loss(["spam", "ham", "ham", "spam"],
    ...          [[.1, .9], [.9, .1], [.8, .2], [.35, .65]])
    0.21616...
    """
    y_proba = _renamed_y_pred(y_proba, y_pred)
    read = _read_proba_labels(labels, "log_loss", multilabel=True)
    return metric_mean(
        _LOG_LOSS,
        y_true,
        y_proba,
        sample_weight,
        pred_name="y_proba",
        read=read,
        normalize=normalize,
    )


def _renamed_y_pred(y_proba, y_pred):
    """``y_proba``, or the deprecated ``y_pred`` with scikit-learn's FutureWarning."""
    if isinstance(y_pred, str) and y_pred == "deprecated":
        if y_proba is None:
            raise ValueError("log_loss needs y_proba; got y_proba=None.")
        return y_proba
    if y_proba is not None:
        raise ValueError(
            "Cannot use both `y_pred` and `y_proba`. `y_pred` is deprecated, "
            "use `y_proba` instead."
        )
    warnings.warn(
        "`y_pred` was renamed to `y_proba` in version 1.9 and will be removed "
        "in 1.11. Use `y_proba` instead.",
        FutureWarning,
        stacklevel=3,
    )
    return y_pred


focal_loss = _loss_metric(
    "focal_loss",
    Focal,
    pred_name="y_proba",
    reads="proba_labels",
    text=r"""Focal loss of predicted probabilities (Lin et al. 2017).

.. math::

    L = \frac{1}{\sum_i w_i} \sum_i w_i \,
        \bigl(-\alpha_{y_i} (1 - \tilde p_{i, y_i})^\gamma
        \log \tilde p_{i, y_i}\bigr),

with probabilities clipped as in :func:`log_loss`. ``gamma=0`` and
``alpha=None`` give :func:`log_loss`. The mean of
:class:`~sklloss.losses.Focal`, whose ``alpha`` weighs class ``k`` in sorted
label order (the order of the columns of ``y_proba``).""",
    example=""">>> focal_loss([0, 1, 1], [0.2, 0.7, 0.95])
0.0137...
>>> focal_loss([0, 1, 1], [0.2, 0.7, 0.95], gamma=0.0)  # the log loss
0.2103...""",
)


cross_entropy = _loss_metric(
    "cross_entropy",
    LogLoss,
    pred_name="y_proba",
    reads="soft",
    text=r"""Cross-entropy of predicted probabilities against soft targets.

.. math::

    L = -\frac{1}{\sum_i w_i} \sum_i w_i \sum_k y_{ik} \log \tilde p_{ik},
    \qquad \tilde p = \operatorname{clip}(p, \epsilon, 1 - \epsilon).

The :class:`~sklloss.losses.LogLoss` object's metric for targets that are
distributions: ``(n, K)`` rows in [0, 1] summing to 1, or a 1-D
probability of the positive class in [0, 1] with 1-D ``y_proba`` (binary
cross-entropy). With one-hot targets it equals :func:`log_loss`.""",
    example=""">>> cross_entropy([[0.5, 0.5], [0.9, 0.1]], [[0.5, 0.5], [0.8, 0.2]])
0.527...
>>> cross_entropy([0.2, 1.0], [0.2, 0.9])  # binary cross-entropy
0.303...""",
)


# ------------------------------------------------------------ margin metrics
def _margin_text(title, formula, note):
    return rf"""{title}

.. math::

    L = \frac{{1}}{{\sum_i w_i}} \sum_i w_i \, \phi(m_i), \qquad
    \phi(m) = {formula},

with the margin :math:`m = \pm z` (binary: :math:`+` for the greater
label) or the Crammer-Singer margin :math:`m = z_y - \max_{{j \ne y}} z_j`
(multiclass), exactly as :func:`sklearn.metrics.hinge_loss` forms it.
{note}"""


def _margin_metric(name, loss_cls, *, title, formula, note, example):
    return _loss_metric(
        name,
        loss_cls,
        pred_name="pred_decision",
        reads="margin_labels",
        order=("labels", "sample_weight"),
        text=_margin_text(title, formula, note),
        example=f">>> {name}([-1, 1, 1], [-2.18, 2.36, 0.09])\n{example}",
    )


hinge_loss = _margin_metric(
    "hinge_loss",
    Hinge,
    title="Average hinge loss, equal to :func:`sklearn.metrics.hinge_loss`.",
    formula=r"\max(0, 1 - m)",
    note="Unlike scikit-learn, a ``y_true`` with one class and no ``labels`` "
    "is a ValueError (which label is positive is then unknown).",
    example="0.30...",
)
squared_hinge_loss = _margin_metric(
    "squared_hinge_loss",
    SquaredHinge,
    title="Average squared hinge loss.",
    formula=r"\max(0, 1 - m)^2",
    note="See :class:`sklloss.losses.SquaredHinge`.",
    example="0.2760...",
)
modified_huber_loss = _margin_metric(
    "modified_huber_loss",
    ModifiedHuber,
    title="Average modified Huber loss (scikit-learn's SGD definition).",
    formula=r"\max(0, 1 - m)^2 \text{ if } m \ge -1 \text{ else } -4 m",
    note="See :class:`sklloss.losses.ModifiedHuber`.",
    example="0.2760...",
)
exponential_loss = _margin_metric(
    "exponential_loss",
    Exponential,
    title="Average exponential loss (AdaBoost).",
    formula=r"e^{-m}",
    note="Beyond :math:`m < -T` (:math:`T = 354.9` in float64) the loss is "
    "continued linearly; see :class:`sklloss.losses.Exponential`.",
    example="0.3737...",
)


# ------------------------------------------------------ distribution metrics
kl_divergence = _loss_metric(
    "kl_divergence",
    KLDivergence,
    pred_name="y_pred",
    reads="loss",
    text=r"""Mean Kullback-Leibler divergence of predicted from target distributions.

.. math::

    L = \frac{1}{\sum_i w_i} \sum_i w_i \sum_k y_{ik}
        \log \frac{y_{ik}}{\tilde q_{ik}}, \qquad 0 \log 0 = 0,

in nats, with :math:`\tilde q` clipped to :math:`[\epsilon, 1 - \epsilon]`
(so a zero prediction where the target is positive is large, not
``inf``). See :class:`sklloss.losses.KLDivergence`.""",
    example=""">>> kl_divergence([[0.5, 0.5], [1.0, 0.0]], [[0.9, 0.1], [0.5, 0.5]])
0.601...""",
)


js_divergence = _loss_metric(
    "js_divergence",
    JSDivergence,
    pred_name="y_pred",
    reads="loss",
    text=r"""Mean Jensen-Shannon divergence between target and predicted distributions.

.. math::

    L = \frac{1}{\sum_i w_i} \sum_i w_i \left(\tfrac12 \mathrm{KL}(y_i \| m_i)
        + \tfrac12 \mathrm{KL}(q_i \| m_i)\right), \qquad
    m_i = \tfrac12 (y_i + q_i),

in nats (natural logarithm), so each term lies in :math:`[0, \log 2]`; it
is the square of :func:`scipy.spatial.distance.jensenshannon`.""",
    example=""">>> js_divergence([[1.0, 0.0]], [[0.5, 0.5]])
0.215...""",
)


entropy = _loss_metric(
    "entropy",
    Entropy,
    pred_name="y_pred",
    reads="loss",
    true_doc="""y_true : object
    Ignored.""",
    text=r"""Mean Shannon entropy of the predicted distributions (``y_true`` ignored).

.. math::

    L = \frac{1}{\sum_i w_i} \sum_i w_i \left(-\sum_k q_{ik} \log q_{ik}\right)

in nats. ``y_true`` is part of the signature so the function works as a
scorer, and is ignored.""",
    example=""">>> entropy(None, [[0.5, 0.5], [0.9, 0.1]])
0.509...""",
)


def zero_one_loss(y_true, y_pred, *, normalize=True, sample_weight=None):
    r"""Zero-one loss: the (weighted) fraction of wrong labels, like sklearn's.

    .. math::

        L = \frac{\sum_i w_i \mathbb{1}[\hat y_i \ne y_i]}{\sum_i w_i}.

    Equals :func:`sklearn.metrics.zero_one_loss`. 2-D label-indicator arrays
    (dense or SciPy sparse) count a sample as wrong unless its whole row
    matches; the old list-of-label-lists format is refused, as there.

    Parameters
    ----------
    y_true : array-like or sparse matrix
        True labels of any type, of shape (n_samples,), or a label-indicator
        matrix of shape (n_samples, n_labels).
    y_pred : array-like or sparse matrix of the same shape
        Predicted labels (``predict``), of a type comparable to ``y_true``.
    normalize : bool, default=True
        Return the fraction; otherwise the (weighted) number of mistakes.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero.

    Returns
    -------
    float
        The (weighted) fraction of wrong labels, or the (weighted) number of
        mistakes with ``normalize=False``.

    Examples
    --------
    >>> from sklloss.metrics import zero_one_loss
    >>> zero_one_loss([2, 2, 3, 4], [1, 2, 3, 4])
    0.25
    >>> zero_one_loss([2, 2, 3, 4], [1, 2, 3, 4], normalize=False)
    1.0
    """
    if sparse.issparse(y_true) or sparse.issparse(y_pred):
        wrong = _sparse_rows_differ(y_true, y_pred)
        sw = check_loss_sample_weight(sample_weight, len(wrong))
        return mean_of(wrong, sw, normalize=normalize)
    yt, yp = _as_label_array(y_true, "y_true"), _as_label_array(y_pred, "y_pred")
    if yt.ndim != 2 or yt.shape[1] == 1:
        yt, yp = _column(yt, "y_true"), _column(yp, "y_pred")
    check_same_length(("y_true", yt), ("y_pred", yp))
    if yt.shape != yp.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {yt.shape} and "
            f"{yp.shape}."
        )
    numeric = [
        _integer_view(a.ravel(), n) is not None
        for a, n in ((yt, "y_true"), (yp, "y_pred"))
    ]
    if numeric[0] != numeric[1]:
        raise ValueError(
            "Mix of label input types (string and number): y_true and y_pred "
            f"mix label types, {yt.dtype} and {yp.dtype}."
        )
    sw = check_loss_sample_weight(sample_weight, len(yt))
    return mean_of(ZeroOne().loss_from_prediction(yt, yp), sw, normalize=normalize)


def _sparse_rows_differ(y_true, y_pred):
    """1.0 where two label-indicator matrices (one at least sparse) differ in a row.

    Computed on the sparse difference, as scikit-learn does, without
    densifying; the matrices must have the same shape and hold only 0 and 1.
    """
    yt, yp = sparse.csr_array(y_true), sparse.csr_array(y_pred)
    if yt.shape != yp.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {yt.shape} and "
            f"{yp.shape}."
        )
    if yt.shape[0] == 0:
        raise ValueError(
            "Found empty input array (e.g., `y_true` or `y_pred`) while a minimum "
            "of 1 sample is required: y_true is empty."
        )
    for name, m in (("y_true", yt), ("y_pred", yp)):
        if m.nnz and not np.all(m.data == 1):
            m.eliminate_zeros()
            if not np.all(m.data == 1):
                raise ValueError(
                    f"{name} is sparse, so it must be a label-indicator matrix "
                    "of 0 and 1; it holds other values."
                )
    diff = (yt - yp).tocsr()
    diff.eliminate_zeros()
    return (np.diff(diff.indptr) > 0).astype(np.float64)
