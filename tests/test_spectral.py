"""Per-frequency error measures: transforms checked against their definitions."""

import numpy as np
import pytest

from pdesolve import Box, get_problem
from pdesolve.spectral import (
    band_labels,
    dft_errors,
    dst1,
    mode_labels,
    peak_frequencies,
    plot_frequency_history,
    radial_band_errors,
    sine_mode_errors,
    tensor_grid,
)


def test_dst1_matches_definition(rng):
    v = rng.standard_normal(7)
    i = np.arange(1, 8)
    direct = np.array([np.sum(v * np.sin(np.pi * i * k / 8)) for k in range(1, 8)])
    np.testing.assert_allclose(dst1(v), direct, atol=1e-12)


def test_peak_frequencies_of_a_two_tone_signal():
    t = np.arange(200) / 200
    u = sum(a * np.cos(2 * np.pi * k * t) for k, a in ((5, 3.0), (17, 1.0), (40, 0.2)))
    assert peak_frequencies(u).tolist() == [5, 17, 40]
    assert peak_frequencies(u, count=2).tolist() == [5, 17]


def test_peaks_of_the_multifrequency_reference():
    x, _ = tensor_grid(get_problem("poisson_multifreq_1d").domain, 1001)
    u = get_problem("poisson_multifreq_1d").exact(x)
    assert peak_frequencies(u).tolist() == [1, 8]


def test_dft_errors_of_a_perturbed_mode():
    t = np.arange(64) / 64
    ref = np.sin(2 * np.pi * 3 * t) + np.sin(2 * np.pi * 9 * t)
    approx = ref + 0.1 * np.sin(2 * np.pi * 9 * t)
    np.testing.assert_allclose(dft_errors(approx, ref, [3, 9]), [0.0, 0.1], atol=1e-12)


def test_sine_mode_errors_isolate_each_mode():
    n = 20
    i = np.arange(n + 1)
    ref = np.sin(i * 2 * np.pi / n) + 2 * np.sin(i * 5 * np.pi / n)
    approx = ref + 0.02 * np.sin(i * 5 * np.pi / n)
    np.testing.assert_allclose(sine_mode_errors(approx, ref, [2, 5]), [0.0, 0.01], atol=1e-12)
    with pytest.raises(ValueError, match="modes"):
        sine_mode_errors(approx, ref, [n])


def test_radial_bands_split_low_and_high_modes():
    x, shape = tensor_grid(Box.cube(2), 17)
    low = np.prod(np.sin(np.pi * x), axis=1).reshape(shape)
    high = np.prod(np.sin(14 * np.pi * x), axis=1).reshape(shape)
    edges, err = radial_band_errors(low + high + 0.5 * high, low + high, n_bands=2)
    assert edges[0] == 0 and np.isclose(edges[-1], np.hypot(15, 15))
    np.testing.assert_allclose(err, [0.0, 0.5], atol=1e-12)
    assert band_labels(edges)[0].startswith("|k| in [0,")


def test_plot_frequency_history_draws_one_line_per_frequency():
    import matplotlib

    matplotlib.use("Agg")
    history = [{"step": s, "freq_err": dict(zip(mode_labels([1, 8]), [1 / (s + 1), 0.5**s]))}
               for s in range(5)]
    ax = plot_frequency_history(history)
    assert [line.get_label() for line in ax.get_lines()] == ["k=1", "k=8"]
    assert ax.get_yscale() == "log"
