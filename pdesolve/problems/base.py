"""The problem interface shared by every solver.

A :class:`Problem` describes

    -div( kappa(x) |grad u|^(p-2) grad u ) + c(x) u = f(x)   in  Omega (a Domain: a box, a
                                                   shape, a CSG combination or a mesh file),
                                                   u = g(x)   on the Dirichlet parts of dOmega,
    kappa |grad u|^(p-2) du/dn + alpha(x) u = h(x, n)    on the flux parts (alpha = 0: Neumann,
                                                   alpha > 0: Robin), n the outward normal.

Every part of the boundary not named in ``fluxes`` is a Dirichlet part; the reaction c >= 0
defaults to none.

Every function takes points ``x`` of shape (n, d) and returns shape (n,)
(gradients: (n, d)). They are written once with the array-API namespace of
their argument, so the same function evaluates NumPy arrays (FEM, grids,
metrics) and torch tensors (networks, autograd).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from array_api_compat import array_namespace

from ..domains import Domain
from . import operator

PointFunction = Callable[[Any], Any]
"""x: (n, d) -> (n,) on NumPy arrays and torch tensors alike."""


@dataclass(frozen=True)
class FluxCondition:
    """kappa |grad u|^(p-2) du/dn + alpha u = h on one boundary part.

    h : (x (n, d), normal (n, d)) -> (n,), the outward normal given so that data derived from
        an exact solution (h = kappa grad u . n + alpha u) can be evaluated anywhere;
    alpha : x -> (n,), >= 0, or None (Neumann).
    """

    h: Callable[[Any, Any], Any]
    alpha: PointFunction | None = None

    @property
    def kind(self) -> str:
        return "neumann" if self.alpha is None else "robin"


def unit_kappa(x):
    """kappa(x) = 1, shape (n,), same array type, dtype and device as x."""
    xp = array_namespace(x)
    return xp.ones_like(x[:, 0])


@dataclass(frozen=True)
class Problem:
    """One instance of the PDE family on a domain.

    Attributes
    ----------
    name : registry name (or a user label).
    domain : Omega (:class:`pdesolve.domains.Domain`; solvers that need a box say so).
    f : source term, x (n, d) -> (n,).
    g : Dirichlet data on dOmega, x (n, d) -> (n,).
    p : exponent of the p-Laplacian (2: linear), p >= 2 for the built-ins.
    kappa : coefficient, x (n, d) -> (n,), positive; defaults to 1.
    exact, exact_grad : the exact solution (n,) and its gradient (n, d), if known.
    params : the parameters the problem was built with (recorded in results).
    reaction : c(x) >= 0, x -> (n,), or None (no reaction term).
    fluxes : boundary part name -> :class:`FluxCondition` (Neumann or Robin); the other parts
        are Dirichlet parts (u = g there).
    constant_kappa : True when kappa is identically 1 (solvers may skip evaluating it).
    reference : for a problem without exact solution, a reference solution x -> (n,) (a fine
        FEM solve, set by the harness) that training monitors report their errors against;
        no solver may use it to solve.
    """

    name: str
    domain: Domain
    f: PointFunction
    g: PointFunction
    p: float = 2.0
    kappa: PointFunction = unit_kappa
    exact: PointFunction | None = None
    exact_grad: PointFunction | None = None
    params: dict = field(default_factory=dict)
    description: str = ""
    reaction: PointFunction | None = None
    fluxes: dict[str, FluxCondition] = field(default_factory=dict)
    reference: PointFunction | None = None

    @property
    def dim(self) -> int:
        return self.domain.dim

    @property
    def constant_kappa(self) -> bool:
        return self.kappa is unit_kappa

    @property
    def is_linear(self) -> bool:
        return self.p == 2

    @property
    def has_exact(self) -> bool:
        return self.exact is not None

    @property
    def dirichlet_parts(self) -> tuple[str, ...]:
        """Names of the boundary parts where u = g (every part not in ``fluxes``)."""
        return tuple(p.name for p in self.domain.parts if p.name not in self.fluxes)

    @property
    def beyond_dirichlet(self) -> str | None:
        """None for -div(...) = f with u = g on all of dOmega, else what the problem adds (a
        reaction term, Neumann or Robin parts): solvers that cannot honour it refuse by it."""
        found = (["a reaction term"] if self.reaction is not None else []) + [
            f"a {c.kind} condition on {name!r}" for name, c in self.fluxes.items()]
        return ", ".join(found) or None

    def energy_density(self, grad_u, u, x):
        """Ritz energy density psi(kappa, |grad u|^2) + c u^2 / 2 - f u (:func:`.operator.density`),
        (n,).

        grad_u (n, d), u (n,), x (n, d). With the boundary energy of the flux parts
        (:meth:`boundary_energy_density`) and u = g on the Dirichlet parts it is minimised by
        the weak solution; FEM's Newton line search, the Deep Ritz loss and ENGD use it.
        """
        xp = array_namespace(grad_u)
        sq = xp.sum(grad_u * grad_u, axis=1)
        density = operator.density(self.kappa(x), sq, self.p) - self.f(x) * u
        if self.reaction is not None:
            density = density + self.reaction(x) * u * u / 2
        return density

    @staticmethod
    def boundary_energy_density(u, alpha, h):
        """alpha u^2 / 2 - h u at points of a flux part (alpha 0 on Neumann parts), (n,)."""
        return alpha * u * u / 2 - h * u

    def describe(self) -> dict:
        """A JSON-serialisable record of the problem (for results files)."""
        return {
            "name": self.name,
            "dim": self.dim,
            "domain": self.domain.to_dict(),
            "p": self.p,
            "constant_kappa": self.constant_kappa,
            "has_exact": self.has_exact,
            "params": dict(self.params),
            **({"reaction": True} if self.reaction is not None else {}),
            **({"fluxes": {name: c.kind for name, c in self.fluxes.items()}}
               if self.fluxes else {}),
            "parts": {part.name: self.fluxes[part.name].kind if part.name in self.fluxes
                      else "dirichlet" for part in self.domain.parts},
        }
