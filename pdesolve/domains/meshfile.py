"""A domain read from a mesh file (gmsh .msh, VTK, ... through meshio).

The file's triangles (2-D) or tetrahedra (3-D), straight or quadratic, are the domain;
its boundary facets (lines / triangles) carrying a physical group become the boundary
parts named after the groups (gmsh's ``$PhysicalNames``, or ``group<tag>`` without a
name); boundary facets in no group form the part ``unnamed``; a file without groups has
one part, ``boundary``. The FEM mesh is the file's mesh, as it is; networks sample it
(cells by volume, facets by area) and, in 2-D, build boundary values in through the
R-equivalence distance to its boundary segments.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace
from functools import cached_property
from pathlib import Path

import numpy as np
import skfem

from ..errors import ConfigError
from .base import Domain, Part
from .locate import SimplexLocator
from .meshing import cell_rule, entity_keys, facet_lookup, mesh_size, skfem_mesh, straight_mesh
from .pieces import Facets

CELLS = {"triangle": (2, 3), "triangle6": (2, 6), "tetra": (3, 4), "tetra10": (3, 10)}
FACETS = {"line": 2, "line3": 2, "triangle": 3, "triangle6": 3}


def _read(path: Path):
    import meshio

    quiet = io.StringIO()
    try:
        with contextlib.redirect_stderr(quiet), contextlib.redirect_stdout(quiet):
            return meshio.read(path)
    except (Exception, SystemExit) as exc:  # meshio exits (!) or raises for unreadable files
        reason = " ".join(quiet.getvalue().split()) or f"{type(exc).__name__}: {exc}"
        raise ConfigError(f"domain.mesh: cannot read {str(path)!r} ({reason}); give a mesh "
                          f"file meshio reads (.msh, .vtk, .vtu, ...)") from None


def _cells(mesh) -> tuple[int, np.ndarray]:
    """(d, cells) of the highest-dimensional simplices of a meshio mesh."""
    found = [(CELLS[b.type][0], b.data) for b in mesh.cells if b.type in CELLS]
    if not found:
        kinds = ", ".join(sorted({b.type for b in mesh.cells}))
        raise ConfigError(f"domain.mesh: no triangles or tetrahedra in the file (it has: "
                          f"{kinds}); pdesolve reads simplicial meshes")
    d = max(dim for dim, _ in found)
    cells = np.concatenate([c for dim, c in found if dim == d]).astype(np.int64)
    return d, cells


def _boundary_facets(straight: skfem.Mesh, vertices: np.ndarray) -> np.ndarray:
    """Node indices (nf, d), sorted per row and by row, of the facets of one cell only, from
    the straight mesh and its vertices' nodes (:func:`~.meshing.straight_mesh`)."""
    facets = straight.facets
    once = np.bincount(straight.t2f.ravel(), minlength=facets.shape[1]) == 1
    return vertices[facets[:, once]].T


def _groups(mesh, d: int) -> dict[str, np.ndarray]:
    """Physical group name -> sorted facet corner indices (nf, d) of tagged boundary facets."""
    tags = mesh.cell_data.get("gmsh:physical")
    if tags is None:
        return {}
    names = {int(v[0]): k for k, v in (mesh.field_data or {}).items() if int(v[1]) == d - 1}
    out: dict[str, list[np.ndarray]] = {}
    for block, tag in zip(mesh.cells, tags):
        if block.type in FACETS and FACETS[block.type] == d:
            facets = np.sort(block.data[:, :d].astype(np.int64), axis=1)
            for t in np.unique(tag):
                out.setdefault(names.get(int(t), f"group{int(t)}"), []).append(facets[tag == t])
    return {k: np.concatenate(v) for k, v in out.items()}


def _keys(facets: np.ndarray, n: int) -> np.ndarray:
    """One integer per facet (rows of sorted node indices < n)."""
    return entity_keys(facets.T, n)


class MeshDomain(Domain):
    """The domain of the mesh in the file ``path``; ``scale`` multiplies its coordinates."""

    kind = "mesh"

    def __init__(self, path: str | Path, scale: float = 1.0):
        self.path, self.scale = Path(path), float(scale)
        if not self.path.is_file():
            raise ConfigError(f"domain.mesh: file {str(path)!r} not found")
        raw = _read(self.path)
        d, cells = _cells(raw)
        points = np.asarray(raw.points, dtype=float)[:, :d] * self.scale
        self._straight = straight_mesh(points, cells)
        boundary = _boundary_facets(*self._straight)
        n = len(points)
        on_boundary = _keys(boundary, n)
        parts = {name: f[np.isin(_keys(f, n), on_boundary)] for name, f in _groups(raw, d).items()}
        parts = {k: v for k, v in parts.items() if len(v)}
        tagged = np.concatenate([_keys(f, n) for f in parts.values()]) if parts else np.zeros(0)
        rest = boundary[~np.isin(on_boundary, tagged)]
        if not parts:
            parts = {"boundary": boundary}
        elif len(rest):
            parts["unnamed"] = rest
        self.dim, self.points, self.cells, self.facets = d, points, cells, parts

    @cached_property
    def fem_mesh(self):
        """The file's mesh as a scikit-fem mesh with the parts as boundaries."""
        return skfem_mesh(self.points, self.cells, self.facets, self._straight)

    def mesh(self, h: float | None = None, order: int = 1, cells: str = "simplex"):
        """The file's mesh (``h``, ``order`` and ``cells`` are ignored: the mesh is what the
        file gives)."""
        return self.fem_mesh

    def mesh_at(self, n: int, order: int = 1, cells: str = "simplex"):
        """The file's mesh refined uniformly log2(n) times: cells of size h_file / n, as n
        divides the cell size on every other domain (n = 1: the file's own cells; the domain is
        the mesh, so ``order`` changes nothing)."""
        self.check_resolution(n)
        levels = n.bit_length() - 1
        return self.fem_mesh.refined(levels) if levels else self.fem_mesh

    def check_resolution(self, n: int) -> None:
        if n < 1 or n & (n - 1):
            raise ConfigError(f"n: on a mesh-file domain n = 2^k refines the file's mesh k times "
                              f"(cells of size h_file / n); allowed: 1, 2, 4, 8, ...; got {n}")

    def quadrature(self, h: float | None = None, intorder: int = 8):
        """A degree-``intorder`` rule on the cells of the file's mesh, refined uniformly until
        its longest edge is at most h (the domain is the mesh: no geometry error)."""
        mesh = replace(self.fem_mesh, _boundaries=None)
        while h is not None and mesh_size(mesh) > h:
            mesh = mesh.refined()
        return cell_rule(mesh, intorder)

    @cached_property
    def locator(self) -> SimplexLocator:
        return SimplexLocator(self.points, self.cells[:, : self.dim + 1])

    @property
    def bounds(self):
        return self.points.min(axis=0), self.points.max(axis=0)

    @cached_property
    def volume(self) -> float:
        return float(self._cell_sizes.sum())

    @cached_property
    def _cell_sizes(self) -> np.ndarray:
        """Area/volume of each (straight) cell: |det [v_1 - v_0, ...]| / d!."""
        p, c = self.points, self.cells
        e = [p[c[:, k]] - p[c[:, 0]] for k in range(1, self.dim + 1)]
        if self.dim == 2:
            return np.abs(e[0][:, 0] * e[1][:, 1] - e[0][:, 1] * e[1][:, 0]) / 2
        return np.abs(np.einsum("ij,ij->i", e[0], np.cross(e[1], e[2]))) / 6

    @cached_property
    def _facet_cell(self) -> np.ndarray:
        """A cell of each facet of the straight mesh (the only one of a boundary facet)."""
        straight = self._straight[0]
        out = np.empty(straight.facets.shape[1], dtype=np.int64)
        out[straight.t2f] = np.arange(straight.t.shape[1])
        return out

    def _owners(self, facets: np.ndarray) -> np.ndarray:
        """The cell each boundary facet (nf, d; node indices) belongs to (the straight mesh
        numbers the file's cells in the file's order)."""
        straight, vertices = self._straight
        find = facet_lookup(straight.facets, len(vertices))
        return self._facet_cell[find(np.searchsorted(vertices, facets).T)]

    def special_points(self, budget: int = 5000) -> np.ndarray:
        """Up to ``budget`` of the file's nodes, evenly spread over its numbering (gmsh
        numbers the geometry's corners first): points of the closed domain, found without
        point location in the whole mesh."""
        return self.points[np.unique(np.linspace(0, len(self.points) - 1, budget).astype(int))]

    def contains(self, x, tol: float = 1e-12):
        return self.locator(np.asarray(x, dtype=float))[0] >= 0

    @cached_property
    def parts(self):
        cells = self.cells[:, : self.dim + 1]
        return tuple(Part(name, (Facets(self.points[f], _outward_normals(
            self.points[f], self.points[cells[self._owners(f)]].mean(axis=1))),))
            for name, f in self.facets.items())

    def level(self, x):
        """The R-equivalence distance to the boundary (2-D), positive on the whole plane:
        it is used inside the domain only (mesh domains are not combined by CSG)."""
        return 1.0 / sum(1.0 / part.pieces[0].distance(x) for part in self.parts)

    def sample_interior(self, n: int, rng: np.random.Generator) -> np.ndarray:
        d = self.dim
        sizes = self._cell_sizes
        which = rng.choice(len(sizes), size=n, p=sizes / sizes.sum())
        lam = -np.log(rng.random((n, d + 1)))  # uniform on the simplex: normalised exponentials
        lam /= lam.sum(axis=1, keepdims=True)
        return np.einsum("nk,nkd->nd", lam, self.points[self.cells[which, : d + 1]])

    def to_dict(self) -> dict:
        return {"kind": "mesh", "mesh": self.path.name, "scale": self.scale}


def _outward_normals(corners: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Unit normals of boundary facets (corners (nf, d, d)), oriented away from a point
    ``inside`` (nf, d) of each one's cell (its centroid)."""
    d = corners.shape[2]
    edges = corners[:, 1:] - corners[:, :1]
    if d == 2:
        normal = np.stack([edges[:, 0, 1], -edges[:, 0, 0]], axis=1)
    else:
        normal = np.cross(edges[:, 0], edges[:, 1])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    inward = inside - corners[:, 0]
    return np.where((np.sum(normal * inward, axis=1) > 0)[:, None], -normal, normal)
