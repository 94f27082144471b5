"""NGSolve meshes of pdesolve's domains, their boundary regions named as the domain's parts.

Two ways, both ending in an ``ngsolve.Mesh`` whose boundary regions are the domain's parts:

- :func:`shape_mesh`: the domain's OpenCASCADE shape (the one it builds for gmsh, written as
  a BREP file) meshed by Netgen at size h and curved to the element order; each boundary
  region (a geometric edge or face) takes the part its mesh nodes lie nearest to
  (:func:`pdesolve.domains.meshing.nearest_part`).
- :func:`imported_mesh`: a scikit-fem mesh of pdesolve's (the box's structured simplices,
  gmsh's cells, a mesh file's), straight, with its ``boundaries`` as the regions; boundary
  facets are oriented outward (their owner cell on the inner side), so that NGSolve's normals
  point out of the domain.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import skfem

from ..domains.meshing import nearest_part, write_shape


def shape_mesh(domain, h: float, order: int, refinements: int = 0, hp_levels: int = 0,
               hp_factor: float = 0.2):
    """Netgen's mesh of the domain's shape at size h, refined uniformly ``refinements`` times
    (new boundary nodes on the geometry), then ``hp_levels`` times geometrically toward the
    domain's re-entrant corners (layers shrinking by ``hp_factor``), curved to ``order``."""
    import ngsolve
    from netgen.occ import OCCGeometry

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shape.brep"
        write_shape(domain, str(path))
        geometry = OCCGeometry(str(path), dim=domain.dim)
    if hp_levels:
        corners = domain.reentrant_corners()
        for vertex in geometry.shape.vertices:
            p = vertex.p
            if np.min(np.hypot(corners[:, 0] - p.x, corners[:, 1] - p.y)) < 1e-9 * h:
                vertex.hpref = 1
        geometry = OCCGeometry(geometry.shape, dim=domain.dim)
    ngmesh = geometry.GenerateMesh(maxh=h)
    for _ in range(refinements):
        ngmesh.Refine()
    boundary = ngmesh.Elements1D() if domain.dim == 2 else ngmesh.Elements2D()
    points = ngmesh.Coordinates()[:, : domain.dim]
    nodes: dict[int, list[int]] = {}
    for element in boundary:
        nodes.setdefault(element.index, []).extend(v.nr - 1 for v in element.vertices)
    for index, vertices in nodes.items():
        part = nearest_part(domain, points[np.unique(vertices)])
        ngmesh.SetBCName(index - 1, domain.parts[part].name)
    mesh = ngsolve.Mesh(ngmesh)
    if hp_levels:
        mesh.RefineHP(hp_levels, hp_factor)
    if order > 1:
        mesh.Curve(order)
    return mesh


def imported_mesh(mesh: skfem.Mesh, domain):
    """The straight scikit-fem ``mesh`` (triangles or tetrahedra) as an NGSolve mesh."""
    import ngsolve
    from netgen.meshing import FaceDescriptor
    from netgen.meshing import Mesh as NetgenMesh

    d = mesh.dim()
    ngmesh = NetgenMesh(dim=d)
    coordinates = np.zeros((mesh.p.shape[1], 3))
    coordinates[:, :d] = mesh.p.T
    ngmesh.AddPoints(np.ascontiguousarray(coordinates))
    cells = np.ascontiguousarray(mesh.t[: d + 1].T, dtype=np.int32)
    if d == 2:
        ngmesh.Add(FaceDescriptor(surfnr=1, domin=1, bc=1))
    ngmesh.AddElements(dim=d, index=1, data=cells, base=0)
    for k, part in enumerate(domain.parts):
        facets = _outward(mesh, mesh.boundaries.get(part.name, np.zeros(0, dtype=np.int64)))
        if d == 3:
            ngmesh.Add(FaceDescriptor(surfnr=k + 1, domin=1, domout=0, bc=k + 1))
        if len(facets):
            ngmesh.AddElements(dim=d - 1, index=k + 1, data=facets, base=0)
        ngmesh.SetBCName(k, part.name)
    return ngsolve.Mesh(ngmesh)


def _outward(mesh: skfem.Mesh, facets: np.ndarray) -> np.ndarray:
    """The vertex rows (nf, d) of boundary ``facets``, ordered so that the facet's normal by
    the right-hand rule (2-D: the segment's direction rotated clockwise) points away from
    its owner cell."""
    d = mesh.dim()
    rows = mesh.facets[:, facets].T.copy()
    corners = mesh.p[:, rows].transpose(1, 2, 0)                  # (nf, d, d)
    owner = mesh.p[:, mesh.t[: d + 1, mesh.f2t[0, facets]]].mean(axis=1).T
    if d == 2:
        tangent = corners[:, 1] - corners[:, 0]
        normal = np.stack([tangent[:, 1], -tangent[:, 0]], axis=1)
    else:
        normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    inward = np.sum(normal * (owner - corners[:, 0]), axis=1) > 0
    rows[inward] = rows[inward][:, ::-1]
    return np.ascontiguousarray(rows, dtype=np.int32)
