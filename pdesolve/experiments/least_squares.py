"""Least squares of f(x) = arctan(25 x) on (-1, 1) in two bases of one space (experiments 4, 5).

The span of n functions at fixed knots ``-1 = b_1 < ... < b_n = 1``, in two bases of the
same space of continuous piecewise linear functions:

- "NN":  ``psi_1 = 1``, ``psi_i = ReLU(x - b_{i-1})`` for i = 2..n (ReLU(x - b_n) vanishes
  on the domain, and ReLU(x - b_1) = x + 1 supplies the linear part; the constant is the
  network's output bias). This is the network ``c + sum_{i<n} a_i ReLU(x - b_i)``.
- "FEM": the P1 hat functions on the nodes b_1..b_n.

Both Gram matrices ``G_ij = <psi_i, psi_j>`` and loads ``F_i = <f, psi_i>`` are exact
(closed forms, float64), then rounded to the working precision; the coefficients are
``G^+ F``. Also: the eigenvalues of both Gram matrices, and gradient flow da/dt = -(G a - F)
of the outer weights, whose eigen-components decay like exp(-lambda_k t).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

SHARPNESS = 25.0
"""The ``a`` in ``f(x) = arctan(a x)``."""

DTYPES = (np.float32, np.float64)
PINV_METHODS = ("eigh", "pinv", "pinvh", "pinv_eps")


def target(x: np.ndarray) -> np.ndarray:
    """``f(x) = arctan(a x)``, a = 25; shape preserved."""
    return np.arctan(SHARPNESS * x)


def _int_f(x: np.ndarray) -> np.ndarray:
    """Antiderivative of f: ``x arctan(a x) - log(1 + a^2 x^2) / (2 a)``."""
    a = SHARPNESS
    return x * np.arctan(a * x) - np.log1p((a * x) ** 2) / (2 * a)


def _int_xf(x: np.ndarray) -> np.ndarray:
    """Antiderivative of x f: ``((a^2 x^2 + 1) arctan(a x) - a x) / (2 a^2)``."""
    a = SHARPNESS
    return ((a * a * x * x + 1) * np.arctan(a * x) - a * x) / (2 * a * a)


def make_knots(n: int, kind: str) -> np.ndarray:
    """Knots b_1..b_n on [-1, 1], shape (n,).

    ``uniform``: equispaced. ``adaptive``: equidistributing |f'|, i.e.
    ``F(b_i) = (i-1)/(n-1)`` with ``F(x) = int_{-1}^x |f'| / int_{-1}^1 |f'|``; f is
    increasing, so ``F(x) = (f(x) - f(-1)) / (f(1) - f(-1))`` and ``b_i = tan(y_i) / a``.
    """
    if kind == "uniform":
        return np.linspace(-1.0, 1.0, n)
    if kind == "adaptive":
        y = np.linspace(target(-1.0), target(1.0), n)
        knots = np.tan(y) / SHARPNESS
        knots[[0, -1]] = -1.0, 1.0
        return knots
    raise ValueError(f"knots must be 'uniform' or 'adaptive', got {kind!r}")


def relu_system(knots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact Gram matrix (n, n) and load (n,) of the basis {1, ReLU(x - b_i), i < n}.

    For b_i, b_j with m = max(b_i, b_j), L = 1 - m, p = m - b_i, q = m - b_j:
    ``int_m^1 (x - b_i)(x - b_j) dx = L^3/3 + (p + q) L^2/2 + p q L``;
    ``<1, ReLU(x - b_i)> = (1 - b_i)^2 / 2``; ``<f, ReLU(x - b_i)>`` from the antiderivatives.
    """
    b = knots[:-1]
    m = np.maximum.outer(b, b)
    length, p, q = 1.0 - m, m - b[:, None], m - b[None, :]
    gram = np.empty((knots.size, knots.size))
    gram[1:, 1:] = length**3 / 3 + (p + q) * length**2 / 2 + p * q * length
    gram[0, 0] = 2.0
    gram[0, 1:] = gram[1:, 0] = (1.0 - b) ** 2 / 2
    load = np.empty(knots.size)
    load[0] = _int_f(1.0) - _int_f(-1.0)
    load[1:] = (_int_xf(1.0) - b * _int_f(1.0)) - (_int_xf(b) - b * _int_f(b))
    return gram, load


def p1_system(knots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact P1 mass matrix (n, n) and load (n,) on the nodes ``knots``.

    Element [x_k, x_{k+1}], h = x_{k+1} - x_k: mass ``h/6 [[2, 1], [1, 2]]``; load of the
    right hat ``int f (x - x_k)/h``, of the left hat ``int f`` minus that.
    """
    h = np.diff(knots)
    left, right = knots[:-1], knots[1:]
    diag = np.zeros(knots.size)
    diag[:-1] += h / 3
    diag[1:] += h / 3
    mass = np.diag(diag) + np.diag(h / 6, 1) + np.diag(h / 6, -1)
    whole = _int_f(right) - _int_f(left)
    moment = (_int_xf(right) - _int_xf(left) - left * whole) / h
    load = np.zeros(knots.size)
    load[:-1] += whole - moment
    load[1:] += moment
    return mass, load


def pinv_solve(gram: np.ndarray, load: np.ndarray, method: str = "eigh") -> np.ndarray:
    """``G^+ F`` in the dtype of ``gram``, shape (n,).

    ``eigh``: ``V diag(1/lambda) V^T F`` over the eigenpairs of the symmetric G with
    ``|lambda| > eps * max |lambda|`` (eps of the dtype; for symmetric positive
    semi-definite G this is the truncated SVD), applied without forming G^+.
    ``pinv``/``pinvh``: ``numpy.linalg.pinv`` / ``scipy.linalg.pinvh`` with their default
    cut-offs (1e-15 and n eps), formed, then multiplied. ``pinv_eps``:
    ``numpy.linalg.pinv`` with cut-off eps, formed.
    """
    eps = np.finfo(gram.dtype).eps
    if method == "eigh":
        lam, vec = np.linalg.eigh(gram)
        keep = np.abs(lam) > eps * np.abs(lam).max()
        return vec[:, keep] @ ((vec[:, keep].T @ load) / lam[keep])
    if method == "pinv":
        return np.linalg.pinv(gram) @ load
    if method == "pinvh":
        return scipy.linalg.pinvh(gram) @ load
    if method == "pinv_eps":
        return np.linalg.pinv(gram, rcond=eps) @ load
    raise ValueError(f"method must be one of {PINV_METHODS}, got {method!r}")


def evaluate(basis: str, knots: np.ndarray, coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The fitted function at x (m,), as float64 (m,).

    NN: ``c + sum_i a_i ReLU(x - b_i)`` in the dtype of ``coef`` (blocks of 4096 points).
    FEM: piecewise linear interpolation of the nodal values ``coef``.
    """
    if basis == "FEM":
        return np.interp(x, knots, coef.astype(np.float64))
    dtype = coef.dtype
    xs, b = x.astype(dtype), knots[:-1].astype(dtype)
    out = np.empty(x.size, dtype=dtype)
    for start in range(0, x.size, 4096):
        block = xs[start : start + 4096, None]
        out[start : start + 4096] = np.maximum(block - b, 0) @ coef[1:] + coef[0]
    return out.astype(np.float64)


def fit_errors(basis: str, knots: np.ndarray, dtype, x: np.ndarray, method: str = "eigh"):
    """(MAX, MSE) of the least-squares fit in precision ``dtype`` on the points x (m,)."""
    gram, load = relu_system(knots) if basis == "NN" else p1_system(knots)
    coef = pinv_solve(gram.astype(dtype), load.astype(dtype), method)
    err = evaluate(basis, knots, coef, x) - target(x)
    return float(np.abs(err).max()), float(np.mean(err**2))


def gram_spectrum(n: int, kind: str = "uniform", dtype=np.float64) -> dict[str, np.ndarray]:
    """Eigenvalues (descending, shape (n,)) of the NN and FEM Gram matrices rounded to dtype."""
    knots = make_knots(n, kind)
    return {
        "NN": np.linalg.eigvalsh(relu_system(knots)[0].astype(dtype))[::-1],
        "FEM": np.linalg.eigvalsh(p1_system(knots)[0].astype(dtype))[::-1],
    }


def decay_slope(eigenvalues: np.ndarray, k_range: tuple[int, int]) -> float:
    """Least-squares slope of log lambda_k against log k for k in [k0, k1] (1-based)."""
    k = np.arange(k_range[0], k_range[1] + 1)
    return float(np.polyfit(np.log(k), np.log(eigenvalues[k - 1]), 1)[0])


def gradient_flow(n: int, steps: int, basis: str = "NN", n_records: int = 200) -> dict:
    """Gradient descent on ``1/2 a^T G a - F^T a`` (``basis`` NN or FEM, uniform knots, float64).

    Forward Euler for ``da/dt = -(G a - F)`` with step ``dt = 1 / lambda_max``, from a = 0.
    The error ``a - a*`` (``a* = G^+ F``) is projected on the eigenvectors v_k of G at
    ``n_records`` log-spaced steps. Theory: ``v_k^T (a(t) - a*) = (1 - dt lambda_k)^(t/dt)
    v_k^T (a(0) - a*) ~ exp(-lambda_k t) v_k^T (a(0) - a*)``.

    Returns
    -------
    dict with ``t`` (n_records,), ``modes`` (n_records, n) = |v_k^T e(t)| / |v_k^T e(0)|,
    ``lam`` (n,) descending eigenvalues, ``steps`` (n_records,) and ``l2`` (n_records,) =
    ``||u(t) - u*||_L2 = sqrt(e^T G e)``, e = a(t) - a*.
    """
    knots = make_knots(n, "uniform")
    gram, load = relu_system(knots) if basis == "NN" else p1_system(knots)
    lam, vec = np.linalg.eigh(gram)
    lam, vec = lam[::-1], vec[:, ::-1]
    dt = 1.0 / lam[0]
    a_star = pinv_solve(gram, load)
    record = set(np.unique(np.geomspace(1, steps, n_records).astype(int)).tolist())
    a = np.zeros(n)
    e0 = vec.T @ (a - a_star)
    done, modes = [], []
    for step in range(1, steps + 1):
        a -= dt * (gram @ a - load)
        if step in record:
            done.append(step)
            modes.append(vec.T @ (a - a_star))
    modes, done = np.array(modes), np.array(done)
    l2 = np.sqrt(np.maximum((modes**2) @ lam, 0.0))
    return {"t": done * dt, "steps": done, "modes": np.abs(modes) / np.abs(e0), "lam": lam,
            "l2": l2}


def e_folding_times(flow: dict[str, np.ndarray], modes: np.ndarray) -> np.ndarray:
    """First recorded time at which mode k's error fell below 1/e (NaN if never); shape of modes."""
    below = flow["modes"][:, modes] < np.exp(-1.0)
    first = np.argmax(below, axis=0)
    return np.where(below.any(axis=0), flow["t"][first], np.nan)
