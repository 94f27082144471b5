"""A problem contributed by a separate package: a paraboloid in any dimension.

    u(x) = 1 - |x - c|^2,   c = (1/2, ..., 1/2),   on [0, 1]^d,   -Lap u = 2 d.

The package's pyproject.toml exposes :func:`paraboloid` under the entry-point
group ``pdesolve.problems``; the entry point's name (``demo_paraboloid``) is the
problem's name in pdesolve.
"""

from array_api_compat import array_namespace

from pdesolve import Box, Problem


def paraboloid(dim: int = 2) -> Problem:
    """u = 1 - |x - c|^2 on [0,1]^d (P2 finite elements reproduce it exactly)."""

    def exact(x):
        xp = array_namespace(x)
        return 1 - xp.sum((x - 0.5) ** 2, axis=1)

    def exact_grad(x):
        return -2 * (x - 0.5)

    def f(x):
        xp = array_namespace(x)
        return xp.full_like(x[:, 0], 2.0 * dim)

    return Problem(
        name="demo_paraboloid", domain=Box.cube(dim, 0.0, 1.0), f=f, g=exact, exact=exact,
        exact_grad=exact_grad, params={"dim": dim},
        description="1 - |x - c|^2 on [0,1]^d (from the pdesolve-demo-plugin package)",
    )
