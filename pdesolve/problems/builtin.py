"""The built-in problems (see DESIGN.md and REFERENCES.md for their origins)."""

from __future__ import annotations

import math

from array_api_compat import array_namespace, device

from ..domains import Box, check_dim, lshape
from ..errors import ConfigError
from .base import Problem
from .calculus import laplacian, plaplace_source, product_rule
from .registry import register_problem


def _check_p(p) -> float:
    if not (isinstance(p, (int, float)) and p >= 2):
        raise ConfigError(f"problem.p: must be a number >= 2, got {p!r}")
    return float(p)


def _sine_factors(x, w):
    """phi = sin(w x), phi' = w cos(w x), phi'' = -w^2 sin(w x), each (n, d)."""
    xp = array_namespace(x)
    s, c = xp.sin(w * x), xp.cos(w * x)
    return s, w * c, -(w**2) * s


def _sine_product_problem(name, dim, w, box, params, description, p=2.0, kappa=None):
    """u = prod_i sin(w x_i) with -div(kappa |grad u|^(p-2) grad u) = f derived exactly.

    kappa, if given, is a pair (kappa(x), x -> (kappa(x), grad kappa(x))); the second
    evaluates both at once (f needs both; they share their transcendental factors).
    """

    def exact(x):
        return xp_prod_sin(x, w)

    def exact_grad(x):
        return product_rule(*_sine_factors(x, w))[1]

    def f(x):
        xp = array_namespace(x)
        if kappa is None and p == 2:  # f = -Lap u, the same values without cos and grad u
            s = xp.sin(w * x)
            return -laplacian(s, -(w**2) * s)
        u, grad, lap, *hess = product_rule(*_sine_factors(x, w), hessian=p != 2)
        if kappa is None:
            k, gk = xp.ones_like(u), xp.zeros_like(grad)
        else:
            k, gk = kappa[1](x)
        return plaplace_source(k, gk, grad, lap, hess[0] if hess else None, p)

    extra = {} if kappa is None else {"kappa": kappa[0]}
    return Problem(
        name=name, domain=box, f=f, g=exact, p=p, exact=exact, exact_grad=exact_grad,
        params=params, description=description, **extra,
    )


def xp_prod_sin(x, w):
    """prod_i sin(w x_i), shape (n,)."""
    xp = array_namespace(x)
    out = xp.sin(w * x[:, 0])
    for i in range(1, x.shape[1]):  # column by column: a row reduction is 5x slower
        out = out * xp.sin(w * x[:, i])
    return out


@register_problem("poisson_sine", source="builtin")
def poisson_sine(dim: int = 2, k: float = 1.0) -> Problem:
    """u = prod_i sin(k pi x_i) on [0,1]^d, -Lap u = d (k pi)^2 u: the smooth baseline."""
    dim = check_dim(dim, "problem.dim")
    return _sine_product_problem(
        "poisson_sine", dim, k * math.pi, Box.cube(dim, 0.0, 1.0), {"dim": dim, "k": k},
        "u = prod_i sin(k pi x_i) on [0,1]^d",
    )


@register_problem("poisson_sin_prod", source="builtin")
def poisson_sin_prod(dim: int = 2, mu: float = 7 * math.pi) -> Problem:
    """u = prod_i sin(mu x_i) on [-1,1]^d, f = d mu^2 u (MscaleDNN test B)."""
    dim = check_dim(dim, "problem.dim")
    return _sine_product_problem(
        "poisson_sin_prod", dim, float(mu), Box.cube(dim, -1.0, 1.0), {"dim": dim, "mu": mu},
        "u = prod_i sin(mu x_i) on [-1,1]^d",
    )


@register_problem("plaplace_sine", source="builtin")
def plaplace_sine(dim: int = 2, p: float = 3.0, k: float = 1.0) -> Problem:
    """p-Laplacian with u = prod_i sin(k pi x_i) on [0,1]^d, kappa = 1, f derived exactly."""
    dim, p = check_dim(dim, "problem.dim"), _check_p(p)
    return _sine_product_problem(
        "plaplace_sine", dim, k * math.pi, Box.cube(dim, 0.0, 1.0), {"dim": dim, "p": p, "k": k},
        "-div(|grad u|^(p-2) grad u) = f, u = prod_i sin(k pi x_i) on [0,1]^d", p=p,
    )


_KAPPA5_FREQ = (1.0, 2.0, 3.0, 2.0, 1.0)


def _kappa5_factors(x):
    xp = array_namespace(x)
    w = math.pi * xp.asarray(_KAPPA5_FREQ, dtype=x.dtype, device=device(x))
    c, s = xp.cos(w * x), xp.sin(w * x)
    return c, -w * s, -(w**2) * c


def kappa5(x):
    """kappa = 1 + cos(pi x1) cos(2 pi x2) cos(3 pi x3) cos(2 pi x4) cos(pi x5)."""
    xp = array_namespace(x)
    w = math.pi * xp.asarray(_KAPPA5_FREQ, dtype=x.dtype, device=device(x))
    return 1 + xp.prod(xp.cos(w * x), axis=1)


def kappa5_with_grad(x):
    """(kappa5(x), grad kappa5(x)) from one set of factors."""
    product, grad, _ = product_rule(*_kappa5_factors(x))
    return 1 + product, grad


@register_problem("plaplace_5d", source="builtin")
def plaplace_5d(p: float = 2.0) -> Problem:
    """-div(kappa |grad u|^(p-2) grad u) = f on [0,1]^5, u = prod sin(pi x_i) (arXiv 2009.14597, Ex. 4.6)."""
    p = _check_p(p)
    return _sine_product_problem(
        "plaplace_5d", 5, math.pi, Box.cube(5, 0.0, 1.0), {"p": p},
        "variable-coefficient p-Laplacian in 5-D, u = prod sin(pi x_i)", p=p,
        kappa=(kappa5, kappa5_with_grad),
    )


def _bump_factors(x, width):
    """phi = exp(-(x - 1/2)^2 / width^2) and its first two derivatives, each (n, d)."""
    xp = array_namespace(x)
    t = (x - 0.5) / width**2
    phi = xp.exp(-(x - 0.5) * t)
    return phi, -2 * t * phi, (4 * t * t - 2 / width**2) * phi


@register_problem("bump_nd", source="builtin")
def bump_nd(dim: int = 5, width: float = 1.0) -> Problem:
    """u = exp(-|x - c|^2 / width^2) on [0,1]^d (c the centre), kappa = 1 + |x|^2 / (2d)."""
    dim = check_dim(dim, "problem.dim")
    if not (isinstance(width, (int, float)) and width > 0):
        raise ConfigError(f"problem.width: must be a positive number, got {width!r}")
    width = float(width)

    def kappa(x):
        xp = array_namespace(x)
        return 1 + xp.sum(x * x, axis=1) / (2 * dim)

    def exact(x):
        return product_rule(*_bump_factors(x, width))[0]

    def exact_grad(x):
        return product_rule(*_bump_factors(x, width))[1]

    def f(x):
        _, grad, lap = product_rule(*_bump_factors(x, width))
        return plaplace_source(kappa(x), x / dim, grad, lap, None, 2.0)

    return Problem(
        name="bump_nd", domain=Box.cube(dim, 0.0, 1.0), f=f, g=exact, kappa=kappa,
        exact=exact, exact_grad=exact_grad, params={"dim": dim, "width": width},
        description="non-separable smooth solution with variable kappa in any dimension",
    )


@register_problem("poisson_sin_sq", source="builtin")
def poisson_sin_sq(dim: int = 2, mu: float = 15.0) -> Problem:
    """u = sum_i sin(mu x_i^2) on [-1,1]^d (MscaleDNN test A)."""
    dim = check_dim(dim, "problem.dim")
    mu = float(mu)

    def exact(x):
        xp = array_namespace(x)
        return xp.sum(xp.sin(mu * x * x), axis=1)

    def exact_grad(x):
        xp = array_namespace(x)
        return 2 * mu * x * xp.cos(mu * x * x)

    def f(x):
        xp = array_namespace(x)
        x2 = x * x
        return xp.sum(4 * mu**2 * x2 * xp.sin(mu * x2) - 2 * mu * xp.cos(mu * x2), axis=1)

    return Problem(
        name="poisson_sin_sq", domain=Box.cube(dim, -1.0, 1.0), f=f, g=exact, exact=exact,
        exact_grad=exact_grad, params={"dim": dim, "mu": mu},
        description="u = sum_i sin(mu x_i^2) on [-1,1]^d",
    )


def _sum_of_sines(name: str, dim: int, w: float, params: dict, description: str) -> Problem:
    """u = sum_i sin(w x_i) on [0,1]^d, -Lap u = w^2 u, u = g on the boundary."""

    def exact(x):
        xp = array_namespace(x)
        return xp.sum(xp.sin(w * x), axis=1)

    def exact_grad(x):
        xp = array_namespace(x)
        return w * xp.cos(w * x)

    def f(x):
        return w**2 * exact(x)

    return Problem(name=name, domain=Box.cube(dim, 0.0, 1.0), f=f, g=exact, exact=exact,
                   exact_grad=exact_grad, params=params, description=description)


@register_problem("poisson_sum_sine", source="builtin")
def poisson_sum_sine(dim: int = 5, k: float = 1.0) -> Problem:
    """u = sum_i sin(k pi x_i) on [0,1]^d, -Lap u = (k pi)^2 u (the ENGD paper's 5-D case)."""
    dim = check_dim(dim, "problem.dim")
    return _sum_of_sines("poisson_sum_sine", dim, k * math.pi, {"dim": dim, "k": k},
                         "u = sum_i sin(k pi x_i) on [0,1]^d (arXiv 2302.13163, 5-D example)")


@register_problem("poisson_nd_pinnacle", source="builtin")
def poisson_nd_pinnacle(dim: int = 5) -> Problem:
    """-Lap u = (pi^2/4) sum sin(pi x_i/2) on [0,1]^d, u = sum sin(pi x_i/2) (PINNacle PNd)."""
    dim = check_dim(dim, "problem.dim")
    return _sum_of_sines("poisson_nd_pinnacle", dim, math.pi / 2, {"dim": dim},
                         "PINNacle PNd: u = sum_i sin(pi x_i / 2) on [0,1]^d")


_MULTIFREQ = ((1.0, 1.0), (4.0, 4.0), (8.0, -8.0), (24.0, 16.0))  # (frequency, amplitude in g)


def _g0(x, xp):
    """g0 = sin x + sin(4x)/4 - sin(8x)/8 + sin(24x)/36 = sum a_k sin(k x) / k^2."""
    return sum(a / k**2 * xp.sin(k * x) for k, a in _MULTIFREQ)


@register_problem("poisson_multifreq_1d", source="builtin")
def poisson_multifreq_1d() -> Problem:
    """-u'' = sin x + 4 sin 4x - 8 sin 8x + 16 sin 24x on (-1,1), u(+-1) = 0 (arXiv 1901.06523)."""
    import numpy as np

    g0_m1, g0_p1 = _g0(np.float64(-1.0), np), _g0(np.float64(1.0), np)
    c1 = float((g0_m1 - g0_p1) / 2)
    c0 = float(-(g0_m1 + g0_p1) / 2)

    def exact(x):
        xp = array_namespace(x)
        t = x[:, 0]
        return _g0(t, xp) + c1 * t + c0

    def exact_grad(x):
        xp = array_namespace(x)
        t = x[:, 0]
        du = sum(a / k * xp.cos(k * t) for k, a in _MULTIFREQ) + c1
        return du[:, None]

    def f(x):
        xp = array_namespace(x)
        t = x[:, 0]
        return sum(a * xp.sin(k * t) for k, a in _MULTIFREQ)

    return Problem(
        name="poisson_multifreq_1d", domain=Box.cube(1, -1.0, 1.0), f=f, g=exact, exact=exact,
        exact_grad=exact_grad, params={"frequencies": [k for k, _ in _MULTIFREQ]},
        description="frequency-principle source sin x + 4 sin 4x - 8 sin 8x + 16 sin 24x",
    )


@register_problem("lshape_corner", source="builtin")
def lshape_corner() -> Problem:
    """u = r^(2/3) sin(2 theta / 3) on the L-shape (-1,1)^2 minus [0,1) x (-1,0], -Lap u = 0.

    theta in [0, 3 pi / 2] from the positive x1-axis; u = 0 on the two edges at the re-entrant
    corner, where grad u = (2/3) r^(-1/3) (sin(-theta/3), cos(-theta/3)) is singular: u is in
    H^(1 + 2/3 - eps) only, so uniform P1 converges at H1 ~ DOFs^(-1/3), adaptive at DOFs^(-1/2).
    """
    a = 2.0 / 3.0

    def polar(x):
        xp = array_namespace(x)
        theta = xp.atan2(x[:, 1], x[:, 0])
        return xp, xp.sqrt(x[:, 0] ** 2 + x[:, 1] ** 2), xp.where(theta < 0, theta + 2 * math.pi,
                                                                  theta)

    def exact(x):
        xp, r, theta = polar(x)
        return r**a * xp.sin(a * theta)

    def exact_grad(x):
        xp, r, theta = polar(x)
        scale = a * r ** (a - 1)
        return xp.stack([scale * xp.sin((a - 1) * theta), scale * xp.cos((a - 1) * theta)], axis=1)

    def f(x):
        xp = array_namespace(x)
        return xp.zeros_like(x[:, 0])

    return Problem(name="lshape_corner", domain=lshape(), f=f, g=exact, exact=exact,
                   exact_grad=exact_grad, params={},
                   description="u = r^(2/3) sin(2 theta/3) on the L-shape (re-entrant corner)")
