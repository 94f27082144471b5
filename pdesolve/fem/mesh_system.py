"""The discrete problem on any mesh of a Domain (scikit-fem's general basis path).

Every domain is meshed by gmsh, read from a file (:mod:`pdesolve.domains.meshing`) or, for a
box, given its structured simplex mesh; the forms are assembled here on the whole mesh:

    a(u, v) = int kappa grad u . grad v            (the p = 2 bilinear form, ``stiffness``)
    m(u, v) = int c u v + sum_Robin int_part alpha u v                   (``lower_order``)
    l(v)    = int f v + sum_flux parts int_part h v                              (``load``)

the facet terms by a FacetBasis on each Neumann/Robin part, Dirichlet values g interpolated
at the DOFs of the other parts (the lifting ``u_bc``). Coefficients are evaluated at each
cell's own quadrature points, so a coefficient that jumps across cell boundaries (a mesh
that follows the interface) is integrated exactly cell by cell. :class:`MeshSystem` is a
:class:`pdesolve.fem.system.FEMSystem`: the linear solve and the Newton iteration for
p != 2 (:mod:`pdesolve.fem.system`) run on it as on the box's structured fast path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp
import skfem
from skfem.helpers import dot, grad

from .elements import available_elements, make_element, oriented_dofs
from .evaluate import element_degree

LAGRANGE = {
    (1, 1): skfem.ElementLineP1, (1, 2): skfem.ElementLineP2,
    (2, 1): skfem.ElementTriP1, (2, 2): skfem.ElementTriP2, (2, 3): skfem.ElementTriP3,
    (2, 4): skfem.ElementTriP4, (3, 1): skfem.ElementTetP1, (3, 2): skfem.ElementTetP2,
}
"""(dimension, degree) -> Lagrange element on intervals / triangles / tetrahedra."""

NEWTON_STEPS = 20
"""Newton iterations of the isoparametric inverse map (quadratic cells converge in 3-4)."""


@skfem.BilinearForm
def laplace(u, v, _):
    """grad u . grad v (kappa = 1: no coefficient array, one temporary fewer per pair)."""
    return dot(grad(u), grad(v))


@skfem.BilinearForm
def weighted_laplace(u, v, w):
    """kappa grad u . grad v."""
    return w.kappa * dot(grad(u), grad(v))


@skfem.LinearForm
def weighted_load(v, w):
    """f v."""
    return w.f * v


@skfem.BilinearForm
def weighted_mass(u, v, w):
    """c u v (the reaction term in cells, alpha u v on Robin facets)."""
    return w.c * u * v


def p1_stiffness(basis: skfem.CellBasis) -> sp.csr_matrix:
    """int grad phi_j . grad phi_i of P1 on straight simplices, (N, N), in closed form:
    K_e = |T_e| G_e G_e^T with the constant gradients G_e = (grad phi_i)_i = R A_e^{-1}, R the
    reference gradients (-1, ..., -1), e_1, ..., e_d and |T_e| = |det A_e| / d!; equal to the
    quadrature of :data:`laplace` (which the quadrature integrates exactly), without the
    basis values at every quadrature point."""
    mapping = basis.mapping
    d = mapping.invA.shape[0]
    reference = np.vstack([-np.ones(d), np.eye(d)])                      # (d + 1, d)
    G = np.einsum("ik,kjn->nij", reference, mapping.invA)                # (nel, d + 1, d)
    K = (np.abs(mapping.detA) / math.factorial(d))[:, None, None] * (G @ G.transpose(0, 2, 1))
    dofs = basis.element_dofs.T
    rows = np.broadcast_to(dofs[:, :, None], K.shape).ravel()
    cols = np.broadcast_to(dofs[:, None, :], K.shape).ravel()
    return sp.coo_matrix((K.ravel(), (rows, cols)), shape=(basis.N, basis.N)).tocsr()


class StraightStartMapping(skfem.MappingIsoparametric):
    """The isoparametric map of a curved mesh whose inverse runs Newton from the straight
    cell's affine inverse, unclipped (scikit-fem's starts every point at 1/2 and clips to the
    unit cube, which fails for facet points of coarse curved tetrahedra)."""

    def invF(self, x, tind=None, newton_max_iters=NEWTON_STEPS, newton_tol=1e-12):
        mesh = self.mesh
        cells = np.arange(mesh.t.shape[1]) if tind is None else tind
        corners = mesh.p[:, mesh.t[: mesh.dim() + 1, cells]]  # (d, d + 1, m)
        edges = np.moveaxis(corners[:, 1:] - corners[:, :1], 2, 0)  # (m, d, d)
        offset = np.moveaxis(x - corners[:, 0][:, :, None], 0, 1)  # (m, d, q)
        X = np.moveaxis(np.linalg.solve(edges, offset), 1, 0)  # (d, m, q)
        for _ in range(newton_max_iters):
            step = np.einsum("ijkl,jkl->ikl", self.invDF(X, tind), x - self.F(X, tind))
            X = X + step
            if np.abs(step).max() < newton_tol:
                break
        return X


def curved_facet_basis(mesh: skfem.Mesh, elem, facets, intorder: int,
                       dofs: skfem.Dofs | None = None) -> skfem.FacetBasis:
    """A FacetBasis on ``facets`` (the cells' DOF numbering ``dofs``), on curved simplex meshes
    through :class:`StraightStartMapping`."""
    curved = not mesh.affine and mesh.t.shape[0] == mesh.dim() + 1
    mapping = StraightStartMapping(mesh, mesh.elem(), mesh.bndelem) if curved else None
    return skfem.FacetBasis(mesh, elem, mapping=mapping, facets=facets, intorder=intorder,
                            dofs=dofs)


def mesh_elements(dim: int, cells: str) -> list[str]:
    """The element names the mesh path offers on ``cells`` ("simplex" or "tensor") in ``dim``
    dimensions: scikit-fem's Pk on triangles and tetrahedra (:data:`LAGRANGE`), and what
    :func:`pdesolve.fem.elements.available_elements` offers on intervals and tensor cells."""
    if cells == "simplex" and dim > 1:
        return [f"P{k}" for d, k in LAGRANGE if d == dim]
    return available_elements(dim, cells)


def mesh_element(mesh: skfem.Mesh, element: str) -> skfem.Element:
    """The Lagrange element ``element`` ("Pk"/"Qk", one of :func:`mesh_elements`) on the cells
    of ``mesh``."""
    d, simplex = mesh.dim(), mesh.t.shape[0] == mesh.dim() + 1
    if simplex and (d, int(element[1:])) in LAGRANGE:
        return LAGRANGE[d, int(element[1:])]()
    return make_element(d, "simplex" if simplex else "tensor", element)


def coordinates(basis: skfem.AbstractBasis) -> np.ndarray:
    """Global quadrature points of a basis (cells or facets) as (n, d) rows (for the problem's
    functions), in the order of ``basis.dx``."""
    x = np.asarray(basis.global_coordinates())
    return x.reshape(x.shape[0], -1).T


def at_quadrature(fn, basis: skfem.AbstractBasis) -> np.ndarray:
    """fn evaluated at the quadrature points of ``basis``, shape (nelems, nqp)."""
    return np.asarray(fn(coordinates(basis)), dtype=float).reshape(basis.dx.shape)


@dataclass(frozen=True)
class FluxPart:
    """A Neumann/Robin part on the mesh: its facet basis, h there and alpha (None: Neumann)."""

    basis: skfem.FacetBasis
    h: np.ndarray
    alpha: np.ndarray | None


@dataclass
class MeshSystem:
    """The discrete problem on one mesh (see the module docstring).

    ``element`` is the scikit-fem element of the space, ``f`` the source, ``dirichlet`` maps
    the boundary part names where u = g to the function g of each; ``kappa`` is kappa(x) or
    None (kappa = 1); ``reaction`` is c(x) or None; ``fluxes`` maps part names to their
    :class:`pdesolve.problems.base.FluxCondition`.
    """

    mesh: skfem.Mesh
    element: skfem.Element
    f: object
    dirichlet: dict
    kappa: object = None
    reaction: object = None
    fluxes: dict = field(default_factory=dict)
    intorder: int | None = None
    grid = None  # unstructured: no grid for geometric multigrid (smoothed aggregation instead)

    @classmethod
    def of(cls, problem, mesh: skfem.Mesh, element: str) -> MeshSystem:
        """The system of ``problem`` (source, kappa, Dirichlet parts, reaction and flux parts)
        in the Lagrange space ``element`` ("Pk"/"Qk", :func:`mesh_element`) on ``mesh``."""
        return cls(mesh, mesh_element(mesh, element), problem.f,
                   {name: problem.g for name in problem.dirichlet_parts},
                   kappa=None if problem.constant_kappa else problem.kappa,
                   reaction=problem.reaction, fluxes=dict(problem.fluxes))

    @property
    def quadrature_order(self) -> int:
        """Degree of the cell rules (default 2 k for degree k: exact for the stiffness with
        constant kappa on straight cells and for the mass of degree-k functions; the L2 rate
        k + 1 needs 2 k - 1, Ciarlet's quadrature condition)."""
        return self.intorder or 2 * self.degree

    @property
    def degree(self) -> int:
        """k of Pk / Qk."""
        return element_degree(self.element)

    @cached_property
    def dofs(self) -> skfem.Dofs:
        """The DOF numbering, facets oriented (:func:`~pdesolve.fem.elements.oriented_dofs`)."""
        return oriented_dofs(self.mesh, self.element)

    @cached_property
    def basis(self) -> skfem.CellBasis:
        return skfem.CellBasis(self.mesh, self.element, intorder=self.quadrature_order,
                               dofs=self.dofs)

    @property
    def N(self) -> int:
        return self.basis.N

    @cached_property
    def boundary_dofs(self) -> dict[str, np.ndarray]:
        """DOF indices of each Dirichlet part."""
        return {name: self.basis.get_dofs(name).all() for name in self.dirichlet}

    @cached_property
    def fixed(self) -> np.ndarray:
        return np.unique(np.concatenate([*self.boundary_dofs.values(), np.zeros(0, int)]))

    @cached_property
    def interior(self) -> np.ndarray:
        return np.setdiff1d(np.arange(self.basis.N), self.fixed)

    @cached_property
    def u_bc(self) -> np.ndarray:
        """g interpolated at the DOFs of each Dirichlet part, 0 elsewhere (the lifting), (N,)."""
        u = np.zeros(self.basis.N)
        for name, dofs in self.boundary_dofs.items():
            u[dofs] = self.dirichlet[name](self.basis.doflocs[:, dofs].T)
        return u

    @cached_property
    def quadrature_points(self) -> np.ndarray:
        """The cells' quadrature points (nel * nq, d), in the order of ``f_q``."""
        return coordinates(self.basis)

    @cached_property
    def f_q(self) -> np.ndarray:
        """f at the quadrature points, (nel, nq)."""
        return at_quadrature(self.f, self.basis)

    @cached_property
    def kappa_q(self) -> np.ndarray | None:
        """kappa at the quadrature points (nel, nq); None when kappa = 1."""
        return None if self.kappa is None else at_quadrature(self.kappa, self.basis)

    @cached_property
    def flux_parts(self) -> list[FluxPart]:
        """The Neumann/Robin parts with h (from the points and outward normals) and alpha at
        their facets' quadrature points."""
        parts = []
        for name, condition in self.fluxes.items():
            facet = curved_facet_basis(self.mesh, self.element, self.mesh.boundaries[name],
                                       self.quadrature_order, self.dofs)
            x = coordinates(facet)
            normal = np.asarray(facet.normals).reshape(x.shape[1], -1).T
            h = np.asarray(condition.h(x, normal), dtype=float).reshape(facet.dx.shape)
            alpha = None if condition.alpha is None else at_quadrature(condition.alpha, facet)
            parts.append(FluxPart(facet, h, alpha))
        return parts

    def stiffness(self) -> sp.csr_matrix:
        """A_ij = int kappa grad phi_j . grad phi_i, (N, N); P1 on straight simplices with
        kappa = 1 in closed form (:func:`p1_stiffness`)."""
        if self.kappa_q is None:
            straight = (isinstance(self.basis.mapping, skfem.MappingAffine)
                        and self.mesh.t.shape[0] == self.mesh.dim() + 1)
            return (p1_stiffness(self.basis) if straight and self.degree == 1
                    else laplace.assemble(self.basis))
        return weighted_laplace.assemble(self.basis, kappa=self.kappa_q)

    def lower_order(self) -> sp.csr_matrix | None:
        """M_ij = int c phi_j phi_i + sum_Robin int alpha phi_j phi_i, (N, N); None if zero."""
        terms = [weighted_mass.assemble(part.basis, c=part.alpha)
                 for part in self.flux_parts if part.alpha is not None]
        if self.reaction is not None:
            terms.append(weighted_mass.assemble(self.basis,
                                                c=at_quadrature(self.reaction, self.basis)))
        return sum(terms[1:], terms[0]).tocsr() if terms else None

    def load(self) -> np.ndarray:
        """l_i = int f phi_i + sum_flux parts int h phi_i, (N,)."""
        rhs = weighted_load.assemble(self.basis, f=self.f_q)
        for part in self.flux_parts:
            rhs = rhs + weighted_load.assemble(part.basis, f=part.h)
        return rhs

    def condense(self, A: sp.spmatrix, b: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        """Eliminate the Dirichlet DOFs: A_II and b_I - A_ID g_D (interior rows only)."""
        I = self.interior
        return A[I][:, I].tocsr(), (b - A @ self.u_bc)[I]

    def expand(self, u_interior: np.ndarray) -> np.ndarray:
        """Full coefficient vector (N,): interior values plus the boundary data."""
        u = self.u_bc.copy()
        u[self.interior] = u_interior
        return u
