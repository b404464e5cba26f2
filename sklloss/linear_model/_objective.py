r"""The training objective of the linear models: the ONLY chain rule of sklloss.

Everything a solver needs from the data goes through :class:`LinearObjective`;
everything it needs from the loss goes through the loss's ``loss_gradient``,
``hessian`` and ``hessian_product``. Solvers (``_solvers.py``) see a function
of one flat float64 vector ``theta`` and nothing else. One concept -- the
objective: its coordinates, its passes over X (two-product and fused) and
its Hessians -- hence one module above 500 lines; the products with X are in
:mod:`._passes`, the separation certificate in :mod:`._separation`.

Notes
-----
Internal entry points (the dask helper overrides exactly these):

* ``_column_stats(self)`` -> ``(mean, scale)``, each of shape (p,): the
  weighted column means (zeros without an intercept) and scales used for the
  implicit standardisation below. One pass over X.
* ``_data_loss_gradient(self, W, b)`` -> ``(value, grad_W, grad_b)`` with
  ``value = sum_i s_i loss_i``, ``grad_W = X.T @ (s * g)`` shaped like ``W``
  and ``grad_b = sum_i s_i g_i`` (one entry per output), where ``s`` are the
  sample weights normalised to sum to one and ``g`` the loss gradient at
  ``raw = X @ W.T + b``. One ``X @ W`` and one ``X.T @ G``, nothing more.
* ``_data_hessp(self, W, b, V, vb)`` -> ``(hv_W, hv_b)``: the data part of the
  Hessian-vector product in the ``(W, b)`` coordinates, i.e.
  ``X.T @ (s * H (X @ V.T + vb))`` and its column sums.
* ``_data_hessian(self, W, b)`` -> the dense data Hessian in the augmented
  per-output layout (used by the Newton-Cholesky solver only, for moderate p).

Everything else (penalty, standardisation, packing) is computed here from
those four and needs no access to X.
"""

import copy
import functools

import numpy as np
from scipy import sparse

from .._kernels import (
    KINDS,
    NEEDS_LOG_Y,
    csr_column_moments,
    csr_fused_rows,
    csr_hessp,
    fused_rows,
    fused_rows_softmax,
)
from ._passes import (
    _readable_csr,
    _upcast_blocks,
    _uses_target_cache,
    _weighted,
    _weighted_gram,
    column_absmax,
    compiled_kernel,
    is_uniform,
    scaled_weights,
    uniform_weights,
    x_dot,
    xt_dot,
)
from ._threads import blas_threads, limit_blas, pool

__all__ = ["LinearObjective", "column_absmax", "scaled_weights", "x_dot", "xt_dot"]

_STATS_ROWS = 20_000  # rows used to estimate the preconditioner
# Fused passes (see LinearObjective._fused_loss_gradient): bytes of X per
# block, and the widest p * K for which they are used. Measured per
# evaluation on 2 cores (fused / two-product pass): log_loss 1e6 x 20 0.42,
# 4e5 x 50 0.72, 2e5 x 100 0.93, 1e5 x 200 1.17; huber 0.75, 0.89, 1.00, 1.30;
# blocks of 0.5 MB or 8 MB were slower. With one BLAS thread (one worker, no
# hand-over between threads): log_loss 1e5 x 100 0.88, 5e4 x 200 0.94,
# 2e4 x 500 0.99, softmax 1e5 x 100 x 3 1.03; huber 1e5 x 100 0.85.
FUSED_PASSES = True
# The compiled sweep (sklloss._kernels.fused_rows) for the losses that have
# one: used for any width and row count; rows per worker at least this many
# (a thread hand-over costs about as much as sweeping them).
COMPILED_PASSES = True
_COMPILED_MIN_ROWS = 20_000
# The compiled sweeps over a CSR X (csr_fused_rows, csr_hessp): stored
# entries per worker at least this many. Whole TF-IDF log_loss fits at two
# threads, one worker against two: 0.9e6 entries (1e5 x 1e4 and 1e5 x 1e5)
# one worker 10-15% faster, 8.8e6 entries two workers 1.5 x faster
# (benchmarks/results/sparse_kernels.md).
_COMPILED_MIN_NNZ = 1_000_000
_FUSED_BLOCK_BYTES = 2**21
_FUSED_MAX_COLUMNS = 64
_FUSED_MAX_COLUMNS_ONE_WORKER = 200


class LinearObjective:
    r"""Penalised empirical risk of a linear model, in standardised coordinates.

    .. math::

        F(W, b) = \frac{1}{\sum_i s_i} \sum_i s_i\, \ell(y_i, W x_i + b)
            + \alpha \Big(\rho \|W\|_1 + \frac{1 - \rho}{2} \|W\|_2^2\Big)

    with :math:`\rho` = ``l1_ratio``; the intercept is not penalised.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Training data, float64 or float32; never centred, scaled or copied.
        A float32 X is read in float64 blocks by every pass (sums in float64,
        no float64 copy of X).
    y : ndarray of shape (n_samples,) or (n_samples, K)
        Encoded targets, passed unchanged to the loss.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights, not all zero.
    loss : Loss
        The loss; its ``loss_gradient``, ``hessian`` and ``hessian_product``
        are evaluated at the raw prediction.
    n_outputs : int, default=1
        ``K``; ``softmax=True`` makes the raw prediction 2-D.
    softmax : bool, default=False
        Whether the loss receives the 2-D raw prediction of shape (n, K)
        (a softmax loss); otherwise it receives the 1-D column ``raw[:, 0]``.
    alpha : float, default=1e-4
        Penalty strength :math:`\alpha`, >= 0.
    l1_ratio : float, default=0.0
        Share :math:`\rho` of the L1 term in the penalty, in [0, 1].
    fit_intercept : bool, default=True
        Whether to fit the (unpenalised) intercept ``b``; without it ``b`` is 0.
    column_stats : tuple of two ndarrays of shape (n_features,), default=None
        ``(mean, scale)`` of the standardised coordinates; None computes them
        (:meth:`_column_stats`). A row sample of an objective takes its
        parent's, so both share one ``theta`` coordinate system.
    keep_raw : bool, default=True
        Keep the last raw prediction for a Hessian at the same point.
    n_threads : int, default=None
        BLAS threads of the fused passes (None: the user's count).

    Notes
    -----
    Conventions:

    * ``W`` always has shape ``(K, p)`` and ``b`` shape ``(K,)``: ``K = 1``
      for regression, binary classification and each one-vs-rest problem
      (the raw prediction handed to the loss is then 1-D, shape ``(n,)``),
      ``K = n_classes`` for a softmax loss (raw prediction ``(n, K)``).
    * The solvers work on ``theta``, a flat vector packed as
      ``[W_s.ravel() (K*p entries, row-major), b_s (K entries, only with an
      intercept)]``, in *implicitly standardised* coordinates:
      ``W = W_s / scale`` and ``b = b_s - W @ mean``, i.e. the model is
      ``((X - mean) / scale) @ W_s.T + b_s``. X itself is never centred or
      copied; the map is applied to the coefficients (:meth:`unpack`,
      :meth:`pack`). This is a diagonal preconditioner: with columns rescaled
      by 10**U(-2, 2) the solvers converge in as many iterations as on
      standardised data.
    * ``sample_weight`` is normalised to sum to one, so the data term is a
      weighted mean and repeating a row equals doubling its weight exactly.
    * The L2 part of the penalty is in the smooth objective
      (:meth:`loss_gradient`, :meth:`hessp`, :meth:`hessian`); the L1 part
      is exposed as per-coefficient weights :attr:`l1_weights` (``alpha *
      l1_ratio / scale``) that proximal Newton handles exactly
      (:mod:`._prox_newton`).
    * The objective holds no solver state: how a solver run evaluates it
      (``keep_raw``, ``n_threads``) is fixed at construction or by
      :meth:`configured`, which returns a copy; the solver run counts the
      evaluations.
    """

    in_memory = True  # X's columns can be sliced (not a dask array)

    def __init__(
        self,
        X,
        y,
        sample_weight,
        loss,
        *,
        n_outputs=1,
        softmax=False,
        alpha=1e-4,
        l1_ratio=0.0,
        fit_intercept=True,
        column_stats=None,
        keep_raw=True,
        n_threads=None,
    ):
        self.X = X
        self.y = y
        # scaled by their maximum first: a sum of weights near 1e308 would
        # overflow to inf and make every normalised weight zero
        raw = scaled_weights(sample_weight)
        self._weight_total = float(np.sum(raw))
        if is_uniform(raw):  # equal weights: 1 / n, one number (stride 0)
            self.sample_weight = uniform_weights(raw[0] / self._weight_total, len(raw))
        else:
            self.sample_weight = raw / self._weight_total
        # not kept: one n-vector (the normalised weights) per objective
        self._sample_weight_raw = None
        del raw
        self.loss = loss
        self.K = int(n_outputs)
        self.softmax = bool(softmax)
        self.alpha = float(alpha)
        self.l1_ratio = float(l1_ratio)
        self.fit_intercept = bool(fit_intercept)
        self.n_features = X.shape[1]
        self.l2 = self.alpha * (1.0 - self.l1_ratio)
        self.l1 = self.alpha * self.l1_ratio
        # (mean, scale) of a parent objective (a row sample of it) or computed
        self.mean, self.scale = (
            self._column_stats() if column_stats is None else column_stats
        )
        self._cache = None
        # the loss's target-only values, shared with configured copies
        self._targets = {}
        self.keep_raw = bool(keep_raw)
        self.n_threads = n_threads
        # the last evaluation's raw prediction (keep_last_raw), shared with
        # configured copies
        self._last = None

    def configured(self, *, keep_raw, n_threads):
        """This objective, evaluated as a solver run wants (a shallow copy).

        Parameters
        ----------
        keep_raw : bool
            Keep the last raw prediction for a Hessian at the same point
            (the Newton solvers); the first-order solvers drop it (memory,
            and the fused passes need it dropped).
        n_threads : int or None
            BLAS threads the fused passes may use (None: those in effect).

        Returns
        -------
        LinearObjective
            A copy sharing X, y, the weights and the target cache; this
            objective is left as it is.
        """
        view = copy.copy(self)
        view.keep_raw = bool(keep_raw)
        view.n_threads = n_threads
        view._cache = None
        return view

    def keep_last_raw(self):
        """Record the raw prediction of each evaluation, for :meth:`last_raw`.

        One output (``K == 1``) of a dense X only; the compiled sweep writes
        it as it goes, the two-product pass copies it (n doubles, kept across
        the solver's copies of this objective). Other passes record nothing,
        and a sparse X keeps no record: its pass for the residuals is cheap
        and an n-vector weighs (a TF-IDF X of 1e5 rows is ~10 of them).
        """
        if self.K == 1 and not self.softmax and not sparse.issparse(self.X):
            self._last = {"raw": np.empty(self.X.shape[0]), "at": None}

    def last_raw(self, W, b):
        """``X @ W[0] + b[0]`` as the last evaluation computed it, or None.

        None unless :meth:`keep_last_raw` is on and that evaluation was at
        exactly ``(W, b)`` (a line search's last trial point need not be the
        solution returned).

        Parameters
        ----------
        W : ndarray of shape (1, n_features)
            Coefficients, as :meth:`unpack` gives them.
        b : ndarray of shape (1,)
            Intercept.

        Returns
        -------
        ndarray of shape (n_samples,) or None
            The recorded raw prediction (not a copy), or None.
        """
        last = self._last
        if last is None or last["at"] is None:
            return None
        W0, b0 = last["at"]
        if np.array_equal(W0, W) and np.array_equal(b0, b):
            return last["raw"]
        return None

    def _record_raw(self, W, b, raw=None):
        """The record buffer to fill (None: none kept); ``at`` when filled."""
        last = self._last
        if last is None:
            return None
        if raw is None:  # about to be overwritten: no longer at any point
            last["at"] = None
            return last["raw"]
        if raw is not last["raw"]:
            last["raw"][:] = raw[:, 0]
        last["at"] = (W.copy(), b.copy())
        return last["raw"]

    @property
    def sample_weight_raw(self):
        """The weights divided by their maximum (largest entry 1).

        Recomputed from the normalised :attr:`sample_weight` when asked
        (sub-samples, fall-back objectives), equal to the weights given up
        to rounding: keeping them would hold a second n-vector through
        every fit.

        Returns
        -------
        ndarray of shape (n_samples,)
            The weights given, divided by their largest.
        """
        if self._sample_weight_raw is not None:
            return self._sample_weight_raw
        s = self.sample_weight
        if is_uniform(s):  # equal weights stay one number
            return uniform_weights(s[0] * self._weight_total, len(s))
        return s * self._weight_total

    @sample_weight_raw.setter
    def sample_weight_raw(self, value):
        self._sample_weight_raw = value

    # ---------------------------------------------------------------- sizes
    @property
    def n_coef(self):
        return self.K * self.n_features

    @property
    def n_params(self):
        return self.n_coef + (self.K if self.fit_intercept else 0)

    @property
    def l1_weights(self):
        """Weights of ``|W_s|`` in the penalty, flat, one per coefficient.

        Returns
        -------
        ndarray of shape (K * n_features,)
            ``alpha * l1_ratio / scale``, repeated for each of the ``K`` outputs.
        """
        return np.tile(self.l1 / self.scale, self.K)

    # --------------------------------------------------------- data access
    def _column_stats(self):
        """Weighted column means (zero without intercept) and scales.

        The scale is the weighted standard deviation (root mean square without
        an intercept); a column constant up to rounding gets its largest
        absolute value (all-zero columns 1), so that its centred values, zero
        up to rounding, stay tiny in the standardised coordinates. Any
        (mean, scale) gives an exact reparametrisation -- they only
        precondition -- so above ``_STATS_ROWS`` rows they are estimated on a
        deterministic sample of rows, which keeps this pass cheap for large
        n: evenly spaced contiguous blocks of a dense X (:func:`stats_blocks`;
        a strided sample touches every page of X and costs a full read), the
        evenly strided rows of a sparse X. The moments are taken of each
        column divided by its largest absolute value: ``x ** 2`` overflows
        from 1.4e154.
        """
        X, s = self.X, self.sample_weight
        n, p = X.shape
        step = 1
        blocks = stats_blocks(n)
        if n > _STATS_ROWS:
            if sparse.issparse(X):
                step = n // _STATS_ROWS
                s = s[::step]
            else:
                s = np.concatenate([s[lo:hi] for lo, hi in blocks])
            s = s / s.sum() if s.sum() > 0 else np.full(len(s), 1.0 / len(s))
        # one thread: OpenBLAS's idle threads would spin through the
        # fused passes that follow (see _LossLinearModel._solve)
        with limit_blas(1):
            if sparse.issparse(X):
                top, mean, sq = _sparse_moments(X, s, step)
            else:
                top, mean, sq = _dense_moments(X, s, blocks)
        del s  # the sampled weights: p-vectors only from here
        top[~(top > 0)] = 1.0  # an all-zero column
        if not self.fit_intercept:
            mean = np.zeros(p)
        sq -= mean * mean  # the variance, in place (sq is not used again)
        scale = np.sqrt(np.maximum(sq, 0.0, out=sq), out=sq)
        # A column constant up to rounding carries no direction to rescale.
        # sq - mean^2 of a constant c has a rounding error of ~eps c^2, so
        # its square root can be ~sqrt(eps) |c| (1.5e-8 |c|), not zero; such
        # a column is scaled by its value (1e300 constant columns included).
        tiny = scale <= 1e-7 * np.abs(mean)
        scale[tiny] = np.abs(mean[tiny])
        scale[scale == 0] = 1.0
        mean *= top  # in place: the peak of a sparse fit's construction
        scale *= top
        return mean, scale

    def _raw(self, W, b):
        if self.X.dtype != np.float64:  # float32: upcast block by block
            raw = x_dot(self.X, W.T)
            if self.softmax:  # column-major, as below
                raw = np.asfortranarray(raw)
        elif self.softmax and not sparse.issparse(self.X):
            # (K, n) rows, seen as a column-major (n, K): the softmax loops
            # over contiguous columns and X.T @ G becomes G.T @ X.
            raw = (W @ self.X.T).T
        else:
            raw = self.X @ W.T  # (n, K): the one X @ W of an evaluation
            if sparse.issparse(raw):  # pragma: no cover - safety for odd inputs
                raw = raw.toarray()
            raw = np.asarray(raw)
        if self.fit_intercept:
            raw += b  # a fresh array: no copy
        return raw

    def _xt_dot(self, G):
        """``X.T @ G`` as a (K, p) array (``G`` of shape (n, K))."""
        if self.X.dtype != np.float64:
            return xt_dot(self.X, G).T
        if not sparse.issparse(self.X) and G.flags.f_contiguous:
            return G.T @ self.X
        return np.asarray(self.X.T @ G).T

    def _for_loss(self, raw):
        return raw if self.softmax else raw[:, 0]

    def _target_cache(self):
        """The loss's per-row target-only values (``Loss._target_cache``), or None.

        Computed on the first evaluation and kept (n floats); every
        evaluation then passes its rows' slice to the loss
        (:meth:`_loss_gradient`). Used only when the class defining
        ``_loss_gradient_cached`` also defines (or inherits unchanged) the
        loss and its gradient (:func:`_uses_target_cache`): a subclass
        overriding ``loss_gradient`` keeps the plain path.
        """
        if "y" not in self._targets:
            cache = None
            if not self.softmax and _uses_target_cache(self.loss):
                cache = self.loss._target_cache(self.y)
            self._targets["y"] = cache
        return self._targets["y"]

    def _loss_gradient(self, y, raw, lo=0, hi=None):
        """The loss's ``(loss, gradient)`` on rows ``lo:hi`` of this objective."""
        cache = self._target_cache()
        if cache is None:
            return self.loss.loss_gradient(y, raw)
        return self.loss._loss_gradient_cached(y, raw, cache[lo:hi])

    def _data_loss_gradient(self, W, b):
        """Return (sum_i s_i loss_i, X.T @ (s*g) as (K, p), sum_i s_i g_i)."""
        self._cache = None  # a stale raw prediction would double the peak
        self._target_cache()  # computed once, before any worker needs it
        n_workers = self._fused_workers()
        if n_workers:
            return self._fused_loss_gradient(W, b, n_workers)
        raw = self._raw(W, b)
        self._record_raw(W, b, raw)
        value, grad = self._loss_gradient(self.y, self._for_loss(raw))
        s = self.sample_weight
        if self.keep_raw:  # for a Hessian at the same point (Newton)
            self._cache = (W.copy(), b.copy(), raw, None)
        sg = _weighted(grad, s, raw, self.y)
        del raw, grad
        grad_W = self._xt_dot(sg)  # the one X.T @ G
        return float(s @ value), grad_W, sg.sum(axis=0)

    # ------------------------------------------------------- fused passes
    def _kernel(self):
        """``(kind, param)`` of the compiled fused pass, or None.

        For a loss with a compiled formula (:func:`compiled_kernel`) and a
        dense C- or F-ordered float32 / float64 X (any other strides take the
        NumPy path): one output, or the softmax of the log loss with integer
        labels (``fused_rows_softmax``); or a CSR X with one output
        (:meth:`_csr_loss_gradient`).
        """
        X = self.X
        if _compiled_csr(X):
            return None if self.softmax else self._one_output_kernel()
        if (
            not COMPILED_PASSES
            or type(X) is not np.ndarray
            or not (X.flags.c_contiguous or X.flags.f_contiguous)
            or X.dtype not in (np.float32, np.float64)
        ):
            return None
        if self.softmax:
            kernel = compiled_kernel(self.loss)
            ok = kernel is not None and kernel[0] == KINDS["log_loss"]
            return kernel if ok and np.ndim(self.y) == 1 else None
        return self._one_output_kernel()

    def _one_output_kernel(self):
        """:meth:`_kernel` of a one-output loss, whatever X's layout."""
        kernel = compiled_kernel(self.loss)
        if kernel is None or self.K != 1:
            return None
        if kernel[0] in NEEDS_LOG_Y:  # its formula reads log y from the cache
            return kernel if self._target_cache() is not None else None
        return kernel

    def _fused_workers(self, keep_raw=None):
        """Workers of the fused pass (0: the two-product pass instead).

        Fused when X is dense and no Hessian needs the raw prediction
        afterwards (``keep_raw``, default ``self.keep_raw``), or when X is CSR
        and the loss compiled (:meth:`_csr_workers`; the sweep also writes
        what a Hessian needs). The compiled sweep (:meth:`_kernel`, C or F
        order) serves any shape, one worker per ``_COMPILED_MIN_ROWS`` rows
        up to the thread count. The NumPy blocks need a C-ordered X, at
        least 4 blocks of rows and few columns. One worker per BLAS thread
        (``self.n_threads``, else the user's count); one for a user's loss,
        which may not be thread-safe. "Few columns": ``p * K <=
        _FUSED_MAX_COLUMNS`` with several workers (there the element-wise
        loss costs more than the products, and in-cache blocks make it
        cheap), ``<= _FUSED_MAX_COLUMNS_ONE_WORKER`` with one (no thread
        hand-over: X read once wins up to p * K = 200).
        """
        X = self.X
        if keep_raw is None:
            keep_raw = self.keep_raw
        if _compiled_csr(X):  # raw and Hessian come out of the sweep
            return self._csr_workers() if FUSED_PASSES else 0
        if not FUSED_PASSES or keep_raw or type(X) is not np.ndarray:
            return 0
        n_threads = self.n_threads or blas_threads()
        if self._kernel() is not None:
            return max(1, min(n_threads, X.shape[0] // _COMPILED_MIN_ROWS))
        if not X.flags.c_contiguous or X.shape[0] < 4 * self._fused_block():
            return 0
        width = X.shape[1] * self.K
        if not type(self.loss).__module__.startswith("sklloss."):
            n_workers = 1  # a user's loss is not assumed to be thread-safe
        else:
            n_workers = max(1, min(n_threads, X.shape[0] // (2 * self._fused_block())))
        if width > _FUSED_MAX_COLUMNS and (
            n_workers > 1 or width > _FUSED_MAX_COLUMNS_ONE_WORKER
        ):
            return 0
        return n_workers

    def _fused_block(self):
        """Rows per block: about ``_FUSED_BLOCK_BYTES`` of X (in cache)."""
        row_bytes = self.X.shape[1] * 8  # float64 (a float32 block is upcast)
        return int(np.clip(_FUSED_BLOCK_BYTES // max(row_bytes, 1), 1024, 65536))

    def _fused_rows(self, W, b, lo, hi, out=None):
        """Loss and gradient sums over rows ``lo:hi``, block by block.

        ``out``: None, or n doubles whose rows ``lo:hi`` receive the raw
        prediction (one output).
        """
        X, y, s_all = self.X, self.y, self.sample_weight
        value = 0.0
        grad_W = np.zeros_like(W)
        grad_b = np.zeros(self.K)
        block = self._fused_block()
        # float64 sums for a float32 X: each block upcast into one buffer
        buf = None if X.dtype == np.float64 else np.empty((block, X.shape[1]))
        for start in range(lo, hi, block):
            stop = min(start + block, hi)
            Xb = X[start:stop]
            if buf is not None:
                Xb = buf[: stop - start]
                np.copyto(Xb, X[start:stop])
            if self.softmax:
                raw = (W @ Xb.T).T
            else:
                raw = Xb @ W[0]
            if self.fit_intercept:
                raw += b if self.softmax else b[0]
            if out is not None:
                out[start:stop] = raw
            v, g = self._loss_gradient(y[start:stop], raw, start, stop)
            s = s_all[start:stop]
            value += float(s @ v)
            sg = _weighted(g, s, raw, y)
            grad_W += sg.T @ Xb
            grad_b += sg.sum(axis=0)
        return value, grad_W, grad_b

    def _compiled_rows(self, W, b, lo, hi, raw=None):
        """:meth:`_fused_rows` by the compiled sweep (GIL released).

        ``raw``: None, or a buffer of n doubles whose rows ``lo:hi`` receive
        the raw prediction.
        """
        if "y64" not in self._targets:  # float64 targets, once per fit
            self._targets["y64"] = np.ascontiguousarray(self.y, dtype=np.float64)
        y, s = self._targets["y64"], self.sample_weight
        W = np.ascontiguousarray(W, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64) * self.fit_intercept
        if self.softmax:
            return fused_rows_softmax(self.X, y, s, W, b, lo, hi)
        kind, param = self._kernel()
        cache = None
        if kind in NEEDS_LOG_Y:
            if "c64" not in self._targets:
                self._targets["c64"] = np.ascontiguousarray(
                    self._target_cache(), dtype=np.float64
                )
            cache = self._targets["c64"]
        out = {} if raw is None else {"raw": raw}
        value, grad_w, grad_b = fused_rows(
            kind, param, self.X, y, s, W[0], float(b[0]), lo, hi, cache, **out
        )
        return value, grad_w[None, :], np.array([grad_b])

    def _fused_loss_gradient(self, W, b, n_workers):
        """One pass over X in row blocks that stay in cache.

        Each block computes its raw prediction, loss, gradient and its share
        of ``X.T @ G`` while it is in cache: X is read once per evaluation
        (the two-product pass reads it twice) and the element-wise loss runs
        on short arrays. ``n_workers`` threads take contiguous row ranges
        (the compiled sweep, NumPy and BLAS release the GIL), each with
        single-threaded BLAS; their partial sums are added in a fixed order,
        so the result does not depend on timing.
        """
        if _compiled_csr(self.X):
            return self._csr_loss_gradient(W, b, n_workers)
        n = self.X.shape[0]
        record = None if self.softmax else self._record_raw(W, b)
        if self._kernel() is not None:
            rows = functools.partial(self._compiled_rows, raw=record)
            cuts = [n * i // n_workers for i in range(n_workers + 1)]
        else:
            rows = functools.partial(self._fused_rows, out=record)
            block = self._fused_block()
            n_blocks = -(-n // block)
            cuts = [
                min(n, (n_blocks * i // n_workers) * block)
                for i in range(n_workers + 1)
            ]
            cuts[-1] = n
        with limit_blas(1):
            if n_workers == 1:
                parts = [rows(W, b, 0, n)]
            else:
                futures = [
                    pool(n_workers).submit(rows, W, b, lo, hi)
                    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)
                ]
                parts = [f.result() for f in futures]
        value = sum(part[0] for part in parts)
        grad_W = sum(part[1] for part in parts)
        grad_b = sum(part[2] for part in parts)
        if record is not None:
            self._record_raw(W, b, record)
        return value, grad_W, grad_b

    # ------------------------------------------------- CSR compiled sweeps
    def _csr_workers(self, loss_kernel=True):
        """Workers of a compiled CSR sweep (0: no kernel for this loss).

        One per ``_COMPILED_MIN_NNZ`` stored entries up to the thread count
        (``self.n_threads``, else the user's). ``loss_kernel=False``: the
        Hessian product's sweep, which reads no loss formula.
        """
        if loss_kernel and self._kernel() is None:
            return 0
        n_threads = self.n_threads or blas_threads()
        return max(1, min(n_threads, self.X.nnz // _COMPILED_MIN_NNZ))

    def _csr_cuts(self, n_workers):
        """Row ranges of ``n_workers`` with about equal stored entries."""
        indptr, n = self.X.indptr, self.X.shape[0]
        targets = [self.X.nnz * i // n_workers for i in range(1, n_workers)]
        inner = np.searchsorted(indptr, targets, side="left").tolist()
        return list(zip([0, *inner], [*inner, n], strict=True))

    def _on_workers(self, sweep, n_workers):
        """``sweep(lo, hi)`` on each worker's rows; results in row order."""
        cuts = self._csr_cuts(n_workers)
        if n_workers == 1:
            return [sweep(*cuts[0])]
        futures = [pool(n_workers).submit(sweep, lo, hi) for lo, hi in cuts]
        return [f.result() for f in futures]

    def _kernel_targets(self, kind):
        """float64 ``y`` and, for the kinds of ``NEEDS_LOG_Y``, ``log y``."""
        if "y64" not in self._targets:  # float64 targets, once per fit
            self._targets["y64"] = np.ascontiguousarray(self.y, dtype=np.float64)
        if kind not in NEEDS_LOG_Y:
            return self._targets["y64"], None
        if "c64" not in self._targets:
            self._targets["c64"] = np.ascontiguousarray(
                self._target_cache(), dtype=np.float64
            )
        return self._targets["y64"], self._targets["c64"]

    def _csr_loss_gradient(self, W, b, n_workers):
        """:meth:`_fused_loss_gradient` of a CSR X (``csr_fused_rows``).

        One read of X's arrays per evaluation; with ``keep_raw`` the same
        sweep writes the weighted Hessian diagonal that the Hessian products
        at this point read (:meth:`_sample_hessian`), so a Newton step needs
        no other pass for it. The raw prediction itself is not kept (the
        cache holds None in its place): ``csr_hessp`` reads only the
        diagonal, and an n-vector less is a tenth of a TF-IDF X's bytes.
        """
        X, n = self.X, self.X.shape[0]
        kind, param = self._kernel()
        y, cache = self._kernel_targets(kind)
        w = np.ascontiguousarray(W[0], dtype=np.float64)
        bias = float(b[0]) if self.fit_intercept else 0.0
        # a constant second derivative c: s_i h_i is c s_i, the weights
        # themselves times a number (_hessian_parts), not another n-vector
        constant = _CONSTANT_HESSIAN.get(kind)
        hess = np.empty(n) if self.keep_raw and constant is None else None

        def sweep(lo, hi):
            s = self.sample_weight
            args = (X.data, X.indices, X.indptr, y, s, w, bias, lo, hi)
            return csr_fused_rows(kind, param, *args, None, hess, cache)

        parts = self._on_workers(sweep, n_workers)
        if self.keep_raw:
            h = hess if constant is None else (self.sample_weight, constant)
            self._cache = (W.copy(), b.copy(), None, h)
        value = sum(part[0] for part in parts)
        grad_w = _sum_in_place(part[1] for part in parts)
        grad_b = sum(part[2] for part in parts)
        return value, grad_w[None, :], np.array([grad_b])

    def _csr_hessp(self, W, b, V, vb):
        """:meth:`_data_hessp` of a CSR X: ``csr_hessp``, one read of X."""
        X = self.X
        h, factor = self._hessian_parts(W, b)
        h = np.ascontiguousarray(h, dtype=np.float64)
        v = np.ascontiguousarray(V[0], dtype=np.float64)
        v_b = float(vb[0]) if self.fit_intercept else 0.0
        n_workers = self._csr_workers(loss_kernel=False)

        def sweep(lo, hi):
            return csr_hessp(X.data, X.indices, X.indptr, h, v, v_b, lo, hi)

        parts = self._on_workers(sweep, n_workers)
        out = _sum_in_place(part[0] for part in parts)
        out_b = sum(part[1] for part in parts)
        if factor != 1.0:  # exact for the factor 2 of squared_error
            out *= factor
            out_b *= factor
        return out[None, :], np.array([out_b])

    def _cached_raw(self, W, b):
        c = self._cache
        if self._cached_at(W, b) and c[2] is not None:
            return c[2]
        raw = self._raw(W, b)
        # a CSR sweep's cache (no raw) keeps its Hessian diagonal
        hess = c[3] if self._cached_at(W, b) else None
        self._cache = (W.copy(), b.copy(), raw, hess)
        return raw

    def _cached_at(self, W, b):
        """Whether the cache holds the point ``(W, b)``."""
        c = self._cache
        return c is not None and np.array_equal(c[0], W) and np.array_equal(c[1], b)

    def _hessian_parts(self, W, b):
        """``(h, factor)`` with ``factor * h`` the :meth:`_sample_hessian`.

        ``h`` is the weights themselves and ``factor`` the loss's constant
        second derivative after a CSR sweep of such a loss (squared_error:
        2); otherwise ``factor`` is 1.
        """
        if self._cached_at(W, b) and isinstance(self._cache[3], tuple):
            return self._cache[3]
        return self._sample_hessian(W, b), 1.0

    def _sample_hessian(self, W, b):
        """Per-sample weighted Hessian s_i h_i (1-D losses), cached per point."""
        if self._cached_at(W, b) and isinstance(self._cache[3], tuple):
            s, factor = self._cache[3]  # a new array: the factor applied
            return factor * s
        if self._cached_at(W, b) and self._cache[3] is not None:
            return self._cache[3]  # a CSR sweep's, whose raw is not kept
        raw = self._cached_raw(W, b)
        c = self._cache
        if c[3] is None:
            h = self.loss.hessian(self.y, self._for_loss(raw))
            self._cache = (
                c[0],
                c[1],
                c[2],
                h * self.sample_weight[:, None, None]
                if h.ndim == 3
                else h * self.sample_weight,
            )
        return self._cache[3]

    def _data_hessp(self, W, b, V, vb):
        """Data part of the Hessian times (V, vb), in (W, b) coordinates."""
        if _compiled_csr(self.X) and not self.softmax and self.K == 1:
            return self._csr_hessp(W, b, V, vb)
        u = self._raw(V, vb)  # X @ V.T + vb
        if self.softmax:
            raw = self._cached_raw(W, b)
            hu = self.loss.hessian_product(self.y, raw, u)
            hu = hu * self.sample_weight[:, None]
        else:
            hu = (self._sample_hessian(W, b) * u[:, 0])[:, None]
        return self._xt_dot(hu), hu.sum(axis=0)

    def _data_hessian(self, W, b):
        """Dense data Hessian, layout ``[W_0, b_0, W_1, b_1, ...]`` (b if any)."""
        return self._gram_hessian(W, b, np.ones(self.n_features))

    def _scaled_data_hessian(self, W, b):
        """:meth:`_data_hessian` of the columns ``X / scale`` (same layout).

        Formed from the scaled columns block by block, so that columns of
        1e300 (whose Hessian entries, 1e600, overflow) give finite entries;
        a subclass with its own :meth:`_data_hessian` (dask) is rescaled
        after the fact.
        """
        if type(self)._data_hessian is not LinearObjective._data_hessian:
            col = self.scale
            if self.fit_intercept:
                col = np.append(col, 1.0)
            col = np.tile(col, self.K)
            return self._data_hessian(W, b) / col[:, None] / col[None, :]
        return self._gram_hessian(W, b, self.scale)

    def _gram_hessian(self, W, b, col):
        """The data Hessian of the columns ``X / col`` (see _data_hessian)."""
        q = self.n_features + (1 if self.fit_intercept else 0)
        h = self._sample_hessian(W, b)
        K = self.K
        H = np.zeros((K * q, K * q))
        if h.ndim == 1:
            h = h[:, None, None]
        for k in range(K):
            for j in range(k, K):
                block = _weighted_gram(self.X, h[:, k, j], col, self.fit_intercept)
                H[k * q : (k + 1) * q, j * q : (j + 1) * q] = block
                H[j * q : (j + 1) * q, k * q : (k + 1) * q] = block.T
        return H

    def _every_nth_row(self, step, offset=0):
        """The same objective on rows ``offset, offset + step, ...``.

        None when those rows' weights are all zero. Used for the subsample
        start of large fits and for the Hessian sample of
        ``"sampled-newton"``; the dask objective overrides it. The sample
        keeps this objective's coordinates (``mean``, ``scale``): no second
        pass for statistics, and a ``theta`` means the same model in both.
        """
        # only the sample's weights (the raw weights of every row are recomputed
        # here: a strided view would keep that n-vector alive with the sample)
        raw = self._sample_weight_raw
        if raw is None:
            sw = self.sample_weight[offset::step] * self._weight_total
        else:
            sw = raw[offset::step]
        if not np.any(sw > 0):
            return None
        X = self.X[offset::step]
        # a contiguous copy: the sample is evaluated many times
        X = X.tocsr() if sparse.issparse(X) else np.ascontiguousarray(X)
        sample = LinearObjective(
            X,
            np.ascontiguousarray(self.y[offset::step]),
            np.ascontiguousarray(sw),
            self.loss,
            n_outputs=self.K,
            softmax=self.softmax,
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            fit_intercept=self.fit_intercept,
            column_stats=(self.mean, self.scale),
            n_threads=self.n_threads,
        )
        return sample

    # ------------------------------------------------------------- packing
    def unpack(self, theta):
        """Map ``theta`` (standardised) to ``(W, b)`` of the original features.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Flat parameters in standardised coordinates (see :meth:`pack`).

        Returns
        -------
        W : ndarray of shape (K, n_features)
            Coefficients of the original (unscaled) features.
        b : ndarray of shape (K,)
            Intercepts (zeros without ``fit_intercept``).
        """
        W = theta[: self.n_coef].reshape(self.K, self.n_features) / self.scale
        if self.fit_intercept:
            b = theta[self.n_coef :] - W @ self.mean
        else:
            b = np.zeros(self.K)
        return W, b

    def pack(self, W, b):
        """Inverse of :meth:`unpack` (``W`` of shape (K, p), ``b`` (K,)).

        Parameters
        ----------
        W : array-like of shape (K, n_features)
            Coefficients of the original features (reshaped to (K, p)).
        b : array-like of shape (K,)
            Intercepts; ignored without ``fit_intercept``.

        Returns
        -------
        ndarray of shape (n_params,)
            ``theta``: ``W * scale`` flattened row-major, then ``b + W @ mean``
            (only with an intercept).
        """
        W = np.asarray(W, dtype=np.float64).reshape(self.K, self.n_features)
        parts = [(W * self.scale).ravel()]
        if self.fit_intercept:
            b = np.asarray(b, dtype=np.float64).reshape(self.K)
            parts.append(b + W @ self.mean)
        return np.concatenate(parts)

    def _to_theta(self, gW, gb):
        """Chain rule from (W, b) to theta coordinates (adjoint of unpack).

        Written into one new vector, no temporaries (at p = 1e4 and n = 1e5
        each p-vector is a tenth of an n-vector, and a Newton-CG fit's peak
        holds a dozen).
        """
        out = np.empty(self.n_params)
        head = out[: self.n_coef].reshape(self.K, self.n_features)
        np.multiply(np.reshape(gb, (-1, 1)), self.mean, out=head)
        np.subtract(gW, head, out=head)
        head /= self.scale
        if self.fit_intercept:
            out[self.n_coef :] = gb
        return out

    # ----------------------------------------------------- smooth objective
    def loss_gradient(self, theta):
        """Smooth objective (data term + L2) and its gradient in theta.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Flat parameters in standardised coordinates (see :meth:`pack`).

        Returns
        -------
        value : float
            Weighted mean loss plus ``l2 / 2 * ||W||^2`` (the L1 term excluded).
        grad : ndarray of shape (n_params,)
            Gradient of ``value`` with respect to ``theta``.
        """
        W, b = self.unpack(theta)
        value, gW, gb = self._data_loss_gradient(W, b)
        if not self.l2:  # no 0 * inf: coefficients of 1e300 (X of 1e-300)
            return value, self._to_theta(gW, gb)
        grad = self._to_theta(gW + self.l2 * W, gb)
        value += 0.5 * self.l2 * float(np.sum(W * W))
        return value, grad

    def hessp(self, theta, v):
        """Hessian of the smooth objective at theta times v.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Flat parameters in standardised coordinates (see :meth:`pack`).
        v : ndarray of shape (n_params,)
            Direction, in the coordinates of ``theta``.

        Returns
        -------
        ndarray of shape (n_params,)
            The Hessian of :meth:`loss_gradient`'s value at ``theta`` times ``v``.
        """
        W, b = self.unpack(theta)
        V, vb = self.unpack(v)  # a fresh V: hW + l2 V is summed into it
        hW, hb = self._data_hessp(W, b, V, vb)
        del W
        V *= self.l2
        V += hW
        del hW
        return self._to_theta(V, hb)

    def _jacobian(self):
        """d(augmented W * scale, b) / d theta, dense (for small problems).

        The coefficients of the scaled columns ``X / scale`` are ``W_s``
        itself (identity); the intercept is ``b_s - (mean / scale) @ W_s``.
        """
        p, K, P = self.n_features, self.K, self.n_params
        q = p + (1 if self.fit_intercept else 0)
        J = np.zeros((K * q, P))
        for k in range(K):
            idx = k * p + np.arange(p)
            J[k * q + np.arange(p), idx] = 1.0
            if self.fit_intercept:
                J[k * q + p, idx] = -self.mean / self.scale
                J[k * q + p, self.n_coef + k] = 1.0
        return J

    def hessian(self, theta, rows=None):
        """Dense Hessian of the smooth objective in theta (moderate sizes).

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Flat parameters in standardised coordinates (see :meth:`pack`).
        rows : LinearObjective, optional
            The same objective on a sample of the rows (e.g. from
            :meth:`_every_nth_row`): its data Hessian, a weighted mean like
            this one's, replaces this objective's (the sub-sampled Hessian of
            the ``"sampled-newton"`` solver). The penalty and the coordinates
            stay this objective's.

        Returns
        -------
        ndarray of shape (n_params, n_params)
            Hessian of :meth:`loss_gradient`'s value (data term + L2) in ``theta``.
        """
        W, b = self.unpack(theta)
        J = self._jacobian()
        H = J.T @ (self if rows is None else rows)._scaled_data_hessian(W, b) @ J
        if self.l2:
            d = np.zeros(self.n_params)
            scale = np.tile(self.scale, self.K)
            # columns of 1e-300: the penalty's curvature 1e597 overflows;
            # capped, it still pins those coefficients at zero
            with np.errstate(over="ignore"):
                pen = self.l2 / scale / scale
            d[: self.n_coef] = np.minimum(pen, 1e300)
            H[np.diag_indices_from(H)] += d
        return H


# kinds whose second derivative is one number (squared_error's (z - y)^2: 2)
_CONSTANT_HESSIAN = {KINDS["squared_error"]: 2.0}


def _sum_in_place(arrays):
    """The sum of fresh arrays, in order, into the first (no new array)."""
    arrays = iter(arrays)
    total = next(arrays)
    for a in arrays:
        total += a
    return total


def _compiled_csr(X):
    """Whether the compiled CSR sweeps can read X as it is (no copy)."""
    return COMPILED_PASSES and _readable_csr(X)


# float64 bytes of one block of the statistics pass: its buffer is extra memory
# of the fit (0.13 x a float32 X of 1e5 x 20 at 2**20), its speed is that of a
# sample of at most 2 * _STATS_ROWS rows
_STATS_BLOCK_BYTES = 2**18
_STATS_BLOCKS = 50  # contiguous blocks of rows of the statistics' sample


def stats_blocks(n):
    """The rows of the column statistics of a dense X: ``[(lo, hi), ...]``.

    All rows below ``2 * _STATS_ROWS`` (as the strided sample it replaces,
    which took every row there); from there, ``_STATS_BLOCKS`` contiguous
    blocks of ``_STATS_ROWS // _STATS_BLOCKS`` rows, evenly spaced from the
    first row to the last. The dask objective takes the same rows, so that
    both backends fit in the same coordinates.

    Parameters
    ----------
    n : int
        Rows of X.

    Returns
    -------
    list of tuple
        Row ranges, increasing and disjoint.
    """
    if n < 2 * _STATS_ROWS:
        return [(0, n)]
    rows = _STATS_ROWS // _STATS_BLOCKS
    starts = [(n - rows) * k // (_STATS_BLOCKS - 1) for k in range(_STATS_BLOCKS)]
    return [(lo, lo + rows) for lo in starts]


def _gather(X, blocks, lo, hi, out):
    """Copy rows ``lo:hi`` of the stacked ``X[a:b]`` (``blocks``) into ``out``."""
    start = 0  # the stacked index of the block's first row
    for a, b in blocks:
        first, last = max(lo, start), min(hi, start + b - a)
        if first < last:
            np.copyto(
                out[first - lo : last - lo], X[a + first - start : a + last - start]
            )
        start += b - a


def _dense_moments(X, s, blocks):
    """``(top, mean, sq)`` of the rows ``blocks`` of X, read once, block by block.

    The rows are those of ``X[a:b]`` for ``(a, b)`` in ``blocks``, stacked
    (``s`` holds their weights). ``top`` is each column's largest absolute
    value (0 for an all-zero column), ``mean`` and ``sq`` the weighted
    (``s``) mean and mean square of the column divided by ``top``: ``x **
    2`` overflows from 1.4e154. Each buffer of rows is copied into one
    float64 buffer (a float32 X upcast) that stays in cache while its
    maximum and both sums are taken; when a buffer raises a column's
    maximum, the sums so far are rescaled to it (a factor <= 1, exact up to
    rounding).
    """
    p = X.shape[1]
    m = len(s)
    rows = max(1, _STATS_BLOCK_BYTES // (8 * max(p, 1)))
    buf = np.empty((min(rows, m), p))
    top, mean, sq = np.zeros(p), np.zeros(p), np.zeros(p)
    for lo in range(0, m, rows):
        hi = min(lo + rows, m)
        B = buf[: hi - lo]
        _gather(X, blocks, lo, hi, B)
        new = np.maximum(top, np.maximum(B.max(axis=0), -B.min(axis=0)))
        if np.any(new > top):
            r = top / np.where(new > 0, new, 1.0)
            mean *= r
            sq *= r * r
            top = new
        B /= np.where(top > 0, top, 1.0)
        sb = s[lo:hi]
        mean += sb @ B
        sq += sb @ (B * B)
    return top, mean, sq


def _sparse_moments(X, s, step):
    """:func:`_dense_moments` of the rows ``X[::step]`` of a sparse X.

    A CSR X that the compiled sweeps read (:func:`_compiled_csr`) is read in
    place, twice (the maxima, then the sums of the entries divided by
    them); any other is sliced and read in blocks of nonzeros.
    """
    p = X.shape[1]
    if _compiled_csr(X):
        arrays = (X.data, X.indices, X.indptr, p)
        top = csr_column_moments(*arrays, step=step)
        top[~(top > 0)] = 1.0
        s = np.asarray(s, dtype=np.float64)  # any stride (equal weights: 0)
        mean, sq = csr_column_moments(*arrays, s=s, col=top, step=step)
        return top, mean, sq
    X = X[::step]
    top = column_absmax(X)
    mean = xt_dot(X, s) / top
    sq = np.zeros(p)
    for axis, lo, hi, B in _upcast_blocks(X):
        cols, rows = (
            (slice(lo, hi), slice(None)) if axis else (slice(None), slice(lo, hi))
        )
        B = B @ sparse.diags(1.0 / top[cols])
        sq[cols] += np.asarray(B.multiply(B).T @ s[rows]).ravel()
    return top, mean, sq
