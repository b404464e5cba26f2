"""Labels and probabilities from raw scores, shared by every sklloss classifier.

A classifier that defines ``decision_function`` (one raw score per sample for
two classes, one per class otherwise), ``classes_`` and ``loss_`` gets
``predict``, ``predict_proba`` and ``predict_log_proba`` from
:class:`RawScoreClassifierMixin`; the linear and the boosting classifiers
differ only in how they compute the raw score.
"""

import numpy as np
from scipy.special import log_expit, log_softmax
from sklearn.utils.metaestimators import available_if

from .losses import get_loss

__all__ = ["PROBA_KINDS", "RawScoreClassifierMixin"]

PROBA_KINDS = ("probabilistic", "distribution")


def _has_proba(est):
    """True exactly when the estimator's loss defines probabilities."""
    loss = getattr(est, "loss_", None)
    if loss is None:
        try:
            loss = get_loss(est.loss)
        except (TypeError, ValueError):
            return False
    return loss.kind in PROBA_KINDS


def _labels_from_raw(classes, raw):
    """The class of the largest raw score (binary: ``classes[1]`` when > 0)."""
    idx = (raw > 0).astype(np.intp) if raw.ndim == 1 else np.argmax(raw, axis=1)
    return classes[idx]


def _log_proba_from_raw(loss, raw):
    """Log-probabilities, computed without forming probabilities that underflow.

    The built-in probabilistic losses share the logit / softmax link: scipy's
    ``log_expit`` and ``log_softmax`` are accurate for raw scores of any size
    (also for log-probabilities near 0). A loss with another link goes through its own
    ``inverse_link``.
    """
    if loss.link != "logit":
        p = loss.inverse_link(raw)
        if p.ndim == 1:
            p = np.column_stack([1 - p, p])
        with np.errstate(divide="ignore"):
            return np.log(p)
    if raw.ndim == 1:
        return np.column_stack([log_expit(-raw), log_expit(raw)])
    if loss.multiclass == "ovr":  # normalise the K sigmoids
        raw = log_expit(raw)
    return log_softmax(raw, axis=1)


class RawScoreClassifierMixin:
    """``predict``, ``predict_proba`` and ``predict_log_proba`` from raw scores.

    ``_delegate(method, X)`` lets an estimator answer for inputs it handles
    elsewhere (the linear models send dask arrays to their dask backend); it
    returns None for the others.
    """

    def _delegate(self, method, X):
        return None

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The class with the largest raw score (``decision_function``).
        """
        out = self._delegate("predict", X)
        if out is not None:
            return out
        raw = self.decision_function(X)  # first: it checks that the model is fitted
        return _labels_from_raw(self.classes_, raw)

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities through the loss's inverse link.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one, columns in the order of ``classes_``.
        """
        out = self._delegate("predict_proba", X)
        return np.exp(self.predict_log_proba(X)) if out is None else out

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        out = self._delegate("predict_log_proba", X)
        if out is not None:
            return out
        raw = self.decision_function(X)  # first: it checks that the model is fitted
        return _log_proba_from_raw(self.loss_, raw)
