"""PINNacle's Poisson 2d-MS (Hao et al., arXiv 2306.08827, class Poisson2D_ManyArea).

    -div(a grad u) = f on [-10, 10]^2,   du/dn + u = 0 on the boundary (Robin),

with [-10, 10]^2 split into 5 x 5 blocks of side 4; on block (i, j) (i along x, j along y),
with local coordinates s, t in [0, 1),

    a = A[i][j],   f = F0[i][j] + F1[i][j] sin(pi s) sin(pi t).

The tables are PINNacle's ``ref/poisson_a_coef.dat`` and ``ref/poisson_f_coef.dat`` (the
latter's (i, j, 0, 0) and (i, j, 1, 1) entries: its (0, 1) and (1, 0) terms multiply sin(0)).
The Robin condition is posed as a du/dn + a u = 0 (kappa du/dn + alpha u = h with alpha = a,
h = 0). No exact solution: errors against a fine P2 solve on a mesh that follows the blocks.
"""

from __future__ import annotations

import math

from array_api_compat import array_namespace, device

from ..domains import Box
from .base import FluxCondition, Problem
from .registry import register_problem

SPLIT = 5
"""Blocks per direction."""

A = (
    (46.117281846004595, 0.5973282397508773, 0.2922707008032916, 1.2627643278519682, 0.1445619574453011),
    (12.718149378248704, 1.469752865936043, 82.58022927071507, 0.2361176441062403, 0.3212575290274077),
    (0.9870683201679841, 9.056933162287834, 87.93603552969871, 0.1319132004739979, 66.24847847880773),
    (6.940130414049874, 1.714366236984487, 1.8829439440403082, 0.4777548052929814, 12.26775752466596),
    (65.95315787500161, 22.765143221950005, 5.149506313776846, 10.517296776784882, 6.485008302512252),
)
"""a on block (i, j): PINNacle's poisson_a_coef.dat."""

F0 = (
    (-0.5391451339174334, -0.37767988197220426, 0.9593886703936261, 0.23957922898978157, 0.5298502749299698),
    (-0.8754224820707621, 0.9200585931204495, 0.23021761805546537, 0.12641909980552346, -0.8055525847477567),
    (0.3118253907685582, -0.12397612647555611, 0.7558861904907601, -0.056908056486426606, -0.9684977429591932),
    (-0.40548048860163144, 0.8928609403540844, 0.43945794587101306, -0.8037995611915099, 0.5087799884089677),
    (0.6356459773622063, -0.4348195748336037, -0.8323420891272051, -0.7788386072361289, 0.17857871151479476),
)
"""The constant part of f on block (i, j)."""

F1 = (
    (-0.8293750991442563, 0.11428219640984527, 0.5864437428634874, -0.9370950282229811, 0.4247310664350792),
    (0.47791742194445397, -0.3690794062414746, 0.33962814440203126, 0.3241248028455903, 0.2652650222705293),
    (0.6630159896177754, -0.07972028704590484, -0.7603944602751065, 0.10513150314588171, -0.05864701654304283),
    (0.07613801587080071, -0.18601996978475244, 0.04905802665994141, -0.41341084017007623, 0.22480583646046326),
    (-0.7825124246306441, -0.6358456144333433, 0.8846090061418594, 0.6774740623099118, -0.9848308394349559),
)
"""The coefficient of sin(pi s) sin(pi t) in f on block (i, j)."""


def _blocks(x, lower: float, side: float):
    """(flat block index i * SPLIT + j (n,), local coordinates (s, t) in [0, 1], (n, 2))."""
    xp = array_namespace(x)
    scaled = (x - lower) / side
    index = xp.clip(xp.floor(scaled), 0, SPLIT - 1)
    local = scaled - index
    flat = xp.astype(index[:, 0] * SPLIT + index[:, 1], xp.int64)
    return flat, local


def _table(rows, x):
    xp = array_namespace(x)
    return xp.asarray([v for row in rows for v in row], dtype=x.dtype, device=device(x))


@register_problem("pinnacle_poisson2d_ms", source="builtin")
def pinnacle_poisson2d_ms() -> Problem:
    """PINNacle 2d-MS: -div(a grad u) = f on [-10,10]^2, 5 x 5 blocks, du/dn + u = 0."""
    lower, side = -10.0, 20.0 / SPLIT

    def kappa(x):
        xp = array_namespace(x)
        flat, _ = _blocks(x, lower, side)
        return xp.take(_table(A, x), flat)

    def f(x):
        xp = array_namespace(x)
        flat, local = _blocks(x, lower, side)
        bump = xp.sin(math.pi * local[:, 0]) * xp.sin(math.pi * local[:, 1])
        return xp.take(_table(F0, x), flat) + xp.take(_table(F1, x), flat) * bump

    def zero(x, normal=None):
        xp = array_namespace(x)
        return xp.zeros_like(x[:, 0])

    box = Box((lower, lower), (-lower, -lower))
    robin = FluxCondition(h=zero, alpha=kappa)
    return Problem(name="pinnacle_poisson2d_ms", domain=box, f=f, g=zero, kappa=kappa,
                   fluxes={part.name: robin for part in box.parts},
                   description="PINNacle 2d-MS: -div(a grad u) = f, a and f by 5 x 5 blocks of "
                               "[-10,10]^2, du/dn + u = 0 on the boundary")
