"""Shallow ReLU network <-> linear spline conversion (pdesolve.nn.relu_spline)."""

import numpy as np
import pytest

from pdesolve.nn.relu_spline import (
    LinearSpline,
    ShallowReLU,
    network_to_spline,
    spline_to_network,
)


def test_known_network_gives_hand_computed_spline():
    # knot 1/2 (w > 0, jump 1*2), knot -1/2 (w < 0, jump -2*1, left slope -2*-1),
    # a w = 0 neuron is the constant 0.5 ReLU(3) = 1.5
    net = ShallowReLU(
        a=np.array([1.0, -2.0, 0.5]),
        w=np.array([2.0, -1.0, 0.0]),
        b=np.array([1.0, 0.5, -3.0]),
        c=0.25,
    )
    spline = network_to_spline(net)
    np.testing.assert_array_equal(spline.knots, [-0.5, 0.5])
    np.testing.assert_array_equal(spline.slopes, [2.0, 0.0, 2.0])
    np.testing.assert_array_equal(spline.jumps, [-2.0, 2.0])
    assert spline.value0 == 1.75
    x = np.linspace(-3, 3, 61)
    np.testing.assert_allclose(spline(x), net(x), rtol=0, atol=1e-14)


def test_round_trip_random_network_evaluates_identically(rng):
    net = ShallowReLU(a=rng.normal(size=50), w=rng.normal(size=50), b=rng.normal(size=50), c=0.3)
    spline = network_to_spline(net)
    back = spline_to_network(spline)
    x = np.concatenate([rng.uniform(-10, 10, 500), spline.knots])
    scale = np.abs(net.a * net.w).sum() * 10
    np.testing.assert_allclose(back(x), net(x), rtol=0, atol=1e-13 * scale)
    again = network_to_spline(back)
    np.testing.assert_allclose(again.knots, spline.knots, rtol=0, atol=0)
    np.testing.assert_allclose(again.slopes, spline.slopes, rtol=1e-12, atol=1e-12)
    assert again.value0 == pytest.approx(spline.value0, rel=1e-12)


def test_merged_and_cancelling_neurons():
    # two neurons on the same knot merge; an exactly cancelling pair leaves no knot
    net = ShallowReLU(
        a=np.array([1.0, 2.0, 1.0, -1.0]),
        w=np.array([1.0, 2.0, 1.0, 1.0]),
        b=np.array([0.5, 1.0, -0.25, -0.25]),
    )
    spline = network_to_spline(net)
    np.testing.assert_array_equal(spline.knots, [0.5])
    np.testing.assert_array_equal(spline.jumps, [5.0])


def test_affine_spline_without_knots():
    spline = LinearSpline(knots=np.array([]), slopes=np.array([3.0]), value0=-1.0)
    net = spline_to_network(spline)
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(net(x), 3 * x - 1, atol=1e-15)
    assert network_to_spline(net).knots.size == 0


def test_spline_validates_shapes():
    with pytest.raises(ValueError, match="slopes must have shape"):
        LinearSpline(knots=np.array([0.0]), slopes=np.array([1.0]), value0=0.0)
    with pytest.raises(ValueError, match="strictly increasing"):
        LinearSpline(knots=np.array([1.0, 0.0]), slopes=np.zeros(3), value0=0.0)
