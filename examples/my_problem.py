"""A problem of your own, in Python: a Gaussian bump in any dimension.

    u(x) = exp(-|x - c|^2 / w^2),   c = (1/2, ..., 1/2),   on [0, 1]^d,
    -Lap u = (2 d / w^2 - 4 |x - c|^2 / w^4) u,   u = g on the boundary.

The decorator registers the factory under the name "gaussian_bump". A case file
loads this file with ``[problem] module = "examples/my_problem.py"`` (relative to
the case file) and ``name = "gaussian_bump"``; in Python, import it (or use
``pdesolve.user_code.import_user_module``) and call ``get_problem``.

Every function takes x of shape (n, d) and returns (n,) (the gradient (n, d)),
written with the array-API namespace of x so that it evaluates NumPy arrays
(FEM, grids, error measurement) and torch tensors (networks, autograd) alike.
"""

from array_api_compat import array_namespace

from pdesolve import Box, Problem, register_problem


@register_problem("gaussian_bump")
def gaussian_bump(dim: int = 2, width: float = 0.3) -> Problem:
    """u = exp(-|x - c|^2 / w^2) on [0,1]^d, c the centre, w = width."""

    def r2(x):
        xp = array_namespace(x)
        return xp.sum((x - 0.5) ** 2, axis=1)

    def exact(x):
        xp = array_namespace(x)
        return xp.exp(-r2(x) / width**2)

    def exact_grad(x):
        return -2 * (x - 0.5) / width**2 * exact(x)[:, None]

    def f(x):
        return (2 * dim / width**2 - 4 * r2(x) / width**4) * exact(x)

    return Problem(
        name="gaussian_bump", domain=Box.cube(dim, 0.0, 1.0), f=f, g=exact, exact=exact,
        exact_grad=exact_grad, params={"dim": dim, "width": width},
        description="Gaussian bump exp(-|x - c|^2 / w^2) on [0,1]^d",
    )
