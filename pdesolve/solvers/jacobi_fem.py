"""The P1 finite-element systems Jacobi iterates on (``system = "fem"``).

On a box: Kuhn simplices whose vertices are the grid nodes, so the iterate maps onto the
padded grid array and keeps its spectra. On any other 2-D/3-D domain: the P1 system of the
domain's gmsh (or file) mesh, cell size (longest side of the bounding box) / (n + 1), the
iterate a vector over the mesh's vertices (no spectra: the nodes are not a tensor grid).
Both give A_II x = b_I for the interior DOFs, the Dirichlet values fixed to g.
"""

from __future__ import annotations

import numpy as np

from ..grid.tensor import TensorGrid
from ..problems.base import Problem


class _Sweeps:
    """x <- x + omega D^{-1} (b - A x) on a condensed sparse system."""

    def __init__(self, matrix, rhs: np.ndarray, omega: float):
        self.matrix, self.rhs = matrix.tocsr(), rhs
        self.scaled = omega / self.matrix.diagonal()
        self.x = np.zeros(len(rhs))

    def sweep(self, count: int = 1) -> None:
        """``count`` weighted Jacobi sweeps."""
        for _ in range(count):
            self.x += self.scaled * (self.rhs - self.matrix @ self.x)

    def residual(self) -> float:
        """||b - A x|| / ||b||."""
        r = self.rhs - self.matrix @ self.x
        return float(np.linalg.norm(r) / max(np.linalg.norm(self.rhs), np.finfo(float).tiny))

    def _direct(self) -> np.ndarray:
        from ..fem.linear import LinearSolver

        return LinearSolver("auto", 1e-13, self.dim)(self.matrix, self.rhs)[0]


class BoxFemSystem(_Sweeps):
    """The P1 system on Kuhn simplices of the grid (n + 1 cells per direction, d <= 3)."""

    def __init__(self, problem: Problem, grid: TensorGrid, omega: float):
        from ..fem.assembly import Discretisation

        self.grid, self.dim = grid, problem.dim
        self.disc = Discretisation.build(problem, "P1", grid.n[0] + 1, "simplex")
        super().__init__(*self.disc.condense(self.disc.stiffness(), self.disc.load()), omega)
        nodes = self.disc.dof_locations(self.disc.interior)
        index = np.rint((nodes - np.asarray(grid.domain.lower)) / grid.h).astype(int)
        self.order = np.ravel_multi_index(index.T, grid.shape)
        self.boundary = grid.boundary_values(problem.g)
        self.interior = grid.interior
        self.unknowns = grid.unknowns

    def sample(self, fn) -> np.ndarray:
        """fn at the grid nodes, as a padded array."""
        return self.grid.sample(fn, [self.grid.axis(j) for j in range(self.dim)])

    def start(self, padded: np.ndarray) -> None:
        """Start from the values of the padded grid array at the interior vertices."""
        self.x[:] = padded.flat[self.order]

    def nodal(self) -> np.ndarray:
        return self._padded(self.x)

    def _padded(self, x: np.ndarray) -> np.ndarray:
        values = self.boundary.copy()
        values.flat[self.order] = x
        return values

    def discrete_solution(self) -> np.ndarray:
        return self._padded(self._direct())

    def functions(self):
        from ..fem.evaluate import structured_function

        disc = self.disc
        fn = structured_function(disc, disc.expand(self.x.copy()))
        return fn, fn.grad


class MeshFemSystem(_Sweeps):
    """The P1 system on a mesh of any 2-D/3-D domain; the iterate is the vector of values at
    the mesh vertices, g at the boundary ones."""

    def __init__(self, problem: Problem, n: int, omega: float):
        from ..fem.mesh_system import MeshSystem

        domain = problem.domain
        self.dim = problem.dim
        mesh = domain.mesh(float(np.max(domain.lengths)) / (n + 1), order=1)
        self.system = MeshSystem.of(problem, mesh, "P1")
        stiffness, lower = self.system.stiffness(), self.system.lower_order()
        matrix = stiffness if lower is None else stiffness + lower
        super().__init__(*self.system.condense(matrix, self.system.load()), omega)
        self.boundary = self.system.u_bc
        self.interior = self.system.interior
        self.unknowns = int(self.interior.size)
        self.cells = int(mesh.t.shape[1])

    def sample(self, fn) -> np.ndarray:
        """fn at the mesh vertices, (N,)."""
        return np.asarray(fn(self.system.basis.doflocs.T), dtype=float)

    def start(self, values: np.ndarray) -> None:
        self.x[:] = values[self.interior]

    def nodal(self) -> np.ndarray:
        return self._full(self.x)

    def _full(self, x: np.ndarray) -> np.ndarray:
        values = self.boundary.copy()
        values[self.interior] = x
        return values

    def discrete_solution(self) -> np.ndarray:
        return self._full(self._direct())

    def functions(self):
        from ..fem.mesh_function import mesh_function

        fn = mesh_function(self.system.basis, self.nodal())
        return fn, fn.grad
