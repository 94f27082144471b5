"""Per-frequency errors of a grid function against a reference (the F-principle measures).

Every function takes the values of an approximation and of the reference on the
same uniform tensor grid, boundary nodes included, and returns relative errors of
selected frequencies:

- 1-D, the paper's measure (arXiv 1901.06523): with ^ the DFT over the N grid points,
  Delta_F(k) = |h^_k - u^_k| / |u^_k| at the peak frequencies of |u^| (:func:`dft_errors`,
  :func:`peak_frequencies`).
- 1-D, the Jacobi eigenmodes: with n = N - 1 intervals, the discrete sine coefficients
  c_k = sum_{i=1}^{n-1} v_i sin(i k pi / n), k = 1..n-1, over the interior points;
  error |c_k(h) - c_k(u)| / |c_k(u)| (:func:`sine_mode_errors`), and the amplitude
  2 |c_k(h - u)| / n of mode k in the error (:func:`sine_mode_amplitudes`).
- d-D, the d-dimensional sine transform of the interior values, grouped in radial bands
  of |k| = sqrt(k_1^2 + ... + k_d^2); error ||c(h) - c(u)||_band / ||c(u)||_band
  (:func:`radial_band_errors`).

Histories store them under the key ``"freq_err"`` as ``{label: error}`` with labels from
:func:`mode_labels` (``"k=4"``) or :func:`band_labels`. NumPy only; matplotlib is imported
by :func:`plot_frequency_history` alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from .domains import Box

FREQ_KEY = "freq_err"
"""Key of the per-frequency errors in a ``Result.history`` entry."""


def tensor_grid(domain: Box, points: int | Sequence[int]) -> tuple[np.ndarray, tuple[int, ...]]:
    """The uniform tensor grid with ``points`` nodes per direction, boundary included.

    Returns x (prod(shape), d) in C order and shape (N_1, ..., N_d); values
    ``fn(x).reshape(shape)`` are what the functions of this module take.
    """
    shape = tuple(np.broadcast_to(np.asarray(points, dtype=int), (domain.dim,)).tolist())
    axes = [np.linspace(a, b, m) for a, b, m in zip(domain.lower, domain.upper, shape)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([g.ravel() for g in mesh], axis=1), shape


def dst1(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Unnormalised type-I discrete sine transform along ``axis``.

    For v of length m: S_k = sum_{i=1}^{m} v_i sin(pi i k / (m + 1)), k = 1..m,
    computed by the FFT of the odd extension (0, v, 0, -reversed v).
    """
    a = np.moveaxis(np.asarray(a, dtype=float), axis, -1)
    zero = np.zeros(a.shape[:-1] + (1,))
    odd = np.concatenate([zero, a, zero, -a[..., ::-1]], axis=-1)
    s = -np.fft.rfft(odd, axis=-1).imag[..., 1:a.shape[-1] + 1] / 2
    return np.moveaxis(s, -1, axis)


ZERO = 1e-12
"""Reference coefficients below ZERO * (largest coefficient) count as zero (error: nan)."""


def _relative(diff: np.ndarray, ref: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """|diff| / |ref|, nan where |ref| <= ZERO * scale (a mode absent from the reference)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(ref) > ZERO * scale, np.abs(diff) / np.abs(ref), np.nan)


def peak_frequencies(reference: np.ndarray, count: int | None = None,
                     floor: float = 1e-8) -> np.ndarray:
    """DFT indices of the local maxima of |DFT(reference)|, sorted ascending.

    Parameters
    ----------
    reference : (N,) values on a uniform 1-D grid.
    count : keep only the ``count`` largest peaks (still returned in ascending index).
    floor : ignore maxima below ``floor * max|DFT|`` (round-off ripples).

    Returns
    -------
    (m,) int array of indices k in 1..N//2 - 1 with |u^_k| > |u^_{k-1}| and |u^_k| > |u^_{k+1}|.
    """
    mag = np.abs(np.fft.rfft(np.asarray(reference, dtype=float)))
    inner = mag[1:-1]
    is_peak = (inner > mag[:-2]) & (inner > mag[2:]) & (inner >= floor * mag.max())
    peaks = np.nonzero(is_peak)[0] + 1
    if count is not None:
        peaks = np.sort(peaks[np.argsort(mag[peaks])[::-1][:count]])
    return peaks


def dft_errors(values: np.ndarray, reference: np.ndarray, freqs) -> np.ndarray:
    """Delta_F(k) = |h^_k - u^_k| / |u^_k| for k in ``freqs``, ^ the DFT over the grid.

    values, reference : (..., N) on the same uniform grid (leading axes are batched).
    freqs : (m,) DFT indices. Returns (..., m).
    """
    freqs = np.asarray(freqs, dtype=int)
    ref_hat = np.fft.fft(np.asarray(reference, dtype=float), axis=-1)
    err_hat = np.fft.fft(np.asarray(values, dtype=float) - reference, axis=-1)[..., freqs]
    scale = np.max(np.abs(ref_hat), axis=-1, keepdims=True)
    return _relative(err_hat, ref_hat[..., freqs], scale)


def sine_mode_errors(values: np.ndarray, reference: np.ndarray, modes) -> np.ndarray:
    """Relative error of the discrete sine coefficients c_k, k in ``modes``.

    values, reference : (..., N) on a uniform grid of n = N - 1 intervals, end points
    included; c_k = sum_{i=1}^{n-1} v_i sin(i k pi / n) over the interior points, i.e. the
    coordinates in the eigenvectors of tridiag(-1, 2, -1) (the Jacobi eigenmodes).
    modes : (m,) integers in 1..N-2. Returns (..., m); nan for a mode absent from the
    reference (e.g. the odd k of an odd function on a symmetric interval).
    """
    values, reference = np.asarray(values, dtype=float), np.asarray(reference, dtype=float)
    modes = np.asarray(modes, dtype=int)
    interior = values.shape[-1] - 2
    if modes.size and (modes.min() < 1 or modes.max() > interior):
        raise ValueError(f"modes must lie in 1..{interior} for {interior + 2} grid points")
    c_ref = dst1(reference[..., 1:-1])
    c_err = dst1(values[..., 1:-1] - reference[..., 1:-1])[..., modes - 1]
    scale = np.max(np.abs(c_ref), axis=-1, keepdims=True)
    return _relative(c_err, c_ref[..., modes - 1], scale)


def sine_mode_amplitudes(values: np.ndarray, reference: np.ndarray, modes) -> np.ndarray:
    """Amplitudes |a_k| of the error e = values - reference in the sine modes k in ``modes``.

    values, reference : (..., N) as in :func:`sine_mode_errors`; e_i = sum_k a_k sin(i k pi / n)
    at the interior points, so a_k = 2 c_k(e) / n (n = N - 1 intervals). Jacobi multiplies
    a_k by its amplification factor per sweep. Returns (..., m).
    """
    values, reference = np.asarray(values, dtype=float), np.asarray(reference, dtype=float)
    modes = np.asarray(modes, dtype=int)
    error = values[..., 1:-1] - reference[..., 1:-1]
    return np.abs(2.0 / (values.shape[-1] - 1) * dst1(error)[..., modes - 1])


def sine_coefficients(values: np.ndarray) -> np.ndarray:
    """d-dimensional sine transform of the interior of ``values`` (N_1, ..., N_d).

    Returns (N_1 - 2, ..., N_d - 2): entry [k_1 - 1, ..., k_d - 1] is
    sum_i v_i prod_j sin(i_j k_j pi / (N_j - 1)).
    """
    c = np.asarray(values, dtype=float)[(slice(1, -1),) * np.ndim(values)]
    for axis in range(c.ndim):
        c = dst1(c, axis=axis)
    return c


def radial_band_errors(values: np.ndarray, reference: np.ndarray,
                       n_bands: int) -> tuple[np.ndarray, np.ndarray]:
    """Error of the d-D sine coefficients by radial band of the mode number |k|.

    values, reference : (N_1, ..., N_d) on the same tensor grid, boundary included.
    The modes k in prod_j {1..N_j - 2} are split by |k| = sqrt(sum k_j^2) into ``n_bands``
    equal bands [e_b, e_{b+1}) from 0 to max |k| (the last band closed).

    Returns
    -------
    band_edges : (n_bands + 1,).
    errors : (n_bands,), ||c(h) - c(u)|| / ||c(u)|| over each band (nan for an empty band
        or one where the reference's norm is below ZERO times its total norm).
    """
    values, reference = np.asarray(values, dtype=float), np.asarray(reference, dtype=float)
    c_ref = sine_coefficients(reference).ravel()
    c_err = sine_coefficients(values - reference).ravel()
    ks = np.meshgrid(*[np.arange(1, m - 1) for m in values.shape], indexing="ij")
    radius = np.sqrt(sum(k.astype(float) ** 2 for k in ks)).ravel()
    edges = np.linspace(0.0, radius.max(), n_bands + 1)
    band = np.minimum(np.searchsorted(edges, radius, side="right") - 1, n_bands - 1)
    err_sq = np.bincount(band, weights=c_err**2, minlength=n_bands)
    ref_sq = np.bincount(band, weights=c_ref**2, minlength=n_bands)
    present = np.sqrt(ref_sq) > ZERO * np.sqrt(ref_sq.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        errors = np.where(present, np.sqrt(err_sq / ref_sq), np.nan)
    return edges, errors


def mode_labels(freqs) -> list[str]:
    """History labels of single frequencies: ``["k=1", "k=8", ...]``."""
    return [f"k={int(k)}" for k in freqs]


def band_labels(edges: np.ndarray) -> list[str]:
    """History labels of radial bands: ``"|k| in [a, b)"`` (b rounded to 3 digits)."""
    return [f"|k| in [{a:.3g}, {b:.3g})" for a, b in zip(edges[:-1], edges[1:])]


def convergence_steps(history: list[dict], threshold: float, key: str = FREQ_KEY,
                      x_key: str = "step") -> dict[str, float | None]:
    """For each frequency label, the first recorded step with error below ``threshold``.

    Returns {label: step, or None when the error never falls below ``threshold``}.
    """
    steps: dict[str, float | None] = {}
    for i, entry in enumerate(history):
        for label, err in entry.get(key, {}).items():
            steps.setdefault(label, None)  # err None: an absent frequency (nan in JSON)
            if steps[label] is None and err is not None and err < threshold:
                steps[label] = entry.get(x_key, i)
    return steps


def _frequency_of(label: str) -> float:
    """The first number in a label (``"k=8"`` -> 8, ``"|k| in [89.8, 180)"`` -> 89.8), for ordering."""
    match = re.search(r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?", label)
    return float(match.group()) if match else math.inf


def plot_frequency_history(history: list[dict], key: str = FREQ_KEY, ax=None,
                           x_key: str = "step"):
    """Plot the error of each frequency against iteration/step, one line per frequency.

    history : ``Result.history``; entries holding ``key`` (a dict label -> error) are used,
    the x value is ``entry[x_key]`` (the entry's index when absent). Log-scale y axis.
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        ax = plt.figure().add_subplot()
    rows = [(entry.get(x_key, i), entry[key]) for i, entry in enumerate(history) if key in entry]
    labels = sorted(dict.fromkeys(label for _, errs in rows for label in errs), key=_frequency_of)
    plotted = []
    for label in labels:
        # None/nan: a frequency absent from the reference (JSON stores nan as null)
        pts = [(x, errs[label]) for x, errs in rows
               if errs.get(label) is not None and np.isfinite(errs[label])]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=label)
            plotted.append(label)
    labels = plotted
    ax.set_yscale("log")
    ax.set_xlabel(x_key)
    ax.set_ylabel("relative error of the frequency")
    if labels:
        ax.legend()
    return ax
