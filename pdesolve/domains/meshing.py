"""Meshes of 2-D/3-D domains by gmsh, as scikit-fem meshes whose boundaries are the parts.

gmsh's OpenCASCADE kernel builds the shape (each domain's ``build_occ``: rectangles,
disks, polygons, boxes, balls and their Boolean combinations), meshes it at a target size
h (``Mesh.MeshSizeMax``) with straight (order 1) or curved quadratic (order 2) cells, and
the cells become a ``MeshTri1/MeshTri2/MeshTet1/MeshTet2``. Each boundary curve/surface
of the model is assigned to the part whose pieces it lies on (the smallest piece distance
at its mesh nodes), and its facets become ``mesh.boundaries[part name]``.

Quadratic cells place their edge nodes on the curved geometry, so P2 elements on them are
isoparametric and keep their optimal rates on disks and holes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import skfem

from ..errors import ConfigError
from ..isolation import run_isolated

log = logging.getLogger(__name__)

GMSH_SECONDS = 900.0
"""Time limit of one gmsh call (building a shape, meshing it); past it gmsh is killed."""

CELL_TYPES = {(2, 1): (2, 3), (2, 2): (9, 6), (3, 1): (4, 4), (3, 2): (11, 10)}
"""(dimension, order) -> (gmsh element type, nodes per cell): 3/6-node triangles,
4/10-node tetrahedra."""

QUAD_TYPE = (3, 4)
"""gmsh's 4-node quadrilateral."""

FACET_TYPES = {(2, 1): (1, 2), (2, 2): (8, 3), (3, 1): (2, 3), (3, 2): (9, 6)}
"""(dimension, order) -> (gmsh element type, nodes) of the boundary facets: 2/3-node lines,
3/6-node triangles."""


@contextlib.contextmanager
def gmsh_model(domain) -> Iterator:
    """A fresh gmsh model holding ``domain`` (synchronised); yields (gmsh, its (dim, tag)s)."""
    if domain.dim not in (2, 3):
        raise ConfigError(f"domain: gmsh meshes 2-D and 3-D domains, this one has d = {domain.dim}")
    import gmsh

    gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add("pdesolve")
        tags = domain.build_occ(gmsh.model.occ)
        gmsh.model.occ.synchronize()
        yield gmsh, tags
    finally:
        gmsh.finalize()


def occ_volume(domain) -> float:
    """|Omega| as OpenCASCADE computes it for the shape gmsh builds (exact for CSG of
    boxes, balls and polygons), in a child process (:data:`GMSH_SECONDS`)."""
    return run_isolated(_occ_volume, domain, seconds=GMSH_SECONDS,
                        what=f"gmsh building the {domain.kind}")


def _occ_volume(domain) -> float:
    with gmsh_model(domain) as (gmsh, tags):
        return float(sum(gmsh.model.occ.getMass(dim, tag) for dim, tag in tags))


def write_shape(domain, path: str) -> None:
    """Write the domain's OpenCASCADE shape to ``path`` (BREP, STEP, ... by its extension),
    gmsh in a child process like every gmsh call."""
    run_isolated(_write_shape, domain, path, seconds=GMSH_SECONDS,
                 what=f"gmsh writing the {domain.kind}'s shape")


def _write_shape(domain, path: str) -> None:
    with gmsh_model(domain) as (gmsh, _):
        gmsh.write(path)


def nearest_part(domain, x: np.ndarray) -> int:
    """Index of the part of ``domain`` that the boundary nodes x (n, d) of one geometric
    entity lie on: the part with a piece at the smallest median distance."""
    gaps = np.full(len(domain.parts), np.inf)
    for k, _, piece in domain.pieces():
        gaps[k] = min(gaps[k], float(np.median(piece.distance(x))))
    return int(np.argmin(gaps))


def _classify(gmsh, domain, entity: tuple[int, int]) -> int:
    """Index of the part of ``domain`` the boundary entity lies on."""
    _, coords, _ = gmsh.model.mesh.getNodes(*entity, includeBoundary=True)
    return nearest_part(domain, coords.reshape(-1, 3)[:, :domain.dim])


def entity_keys(rows: np.ndarray, n: int) -> np.ndarray:
    """One int64 per column of ``rows`` (k, m; vertex indices < n): sum_i rows[i] n^(k-1-i),
    by Horner's rule (NumPy's integer matmul is not BLAS and 50x slower). Keys of sorted
    columns order them lexicographically; they overflow once n^k >= 2^63."""
    keys = rows[0].astype(np.int64)
    for row in rows[1:]:
        keys = keys * n + row
    return keys


def build_entities(t: np.ndarray, local) -> tuple[np.ndarray, np.ndarray] | None:
    """The entities (facets or edges) of cells ``t`` (corners, nc) whose local vertex
    tuples are ``local``, as scikit-fem's ``Mesh.build_entities`` builds them: sorted vertex
    columns (k, ne) in lexicographic order and the map (len(local), nc) from each cell's
    local entity to its index; but by one integer key per entity (:func:`entity_keys`), a
    1-D sort instead of a column-wise ``np.unique`` (about 7x faster on 10^6 facets). None
    where the keys would overflow."""
    n, k = int(t.max()) + 1, len(local[0])
    if float(n) ** k >= 2.0**63:
        return None
    rows = np.sort(np.hstack([t[list(ix)] for ix in local]), axis=0)
    keys = entity_keys(rows, n)
    order = np.argsort(keys)
    ordered = keys[order]
    new = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    cell_map = np.empty(len(keys), dtype=np.int64)
    cell_map[order] = np.cumsum(new) - 1
    # equal columns: any one will do
    return np.ascontiguousarray(rows[:, order[new]]), cell_map.reshape(len(local), -1)


def index_entities(mesh: skfem.Mesh, kind: str = "facets") -> skfem.Mesh:
    """Set ``mesh.facets`` and ``t2f`` (or ``mesh.edges`` and ``t2e``) by
    :func:`build_entities`, before scikit-fem builds them more slowly (unchanged where
    the keys would overflow, and for edges in 2-D, which are the facets)."""
    local = mesh.elem.refdom.facets if kind == "facets" else mesh.elem.refdom.edges
    built = build_entities(mesh.t, local) if local is not None else None
    if built is not None and kind == "facets":
        mesh._facets, mesh._t2f = built
    elif built is not None:
        mesh._edges, mesh._t2e = built
    return mesh


def facet_lookup(facets: np.ndarray, n_vertices: int):
    """wanted (k, m) -> the columns of ``facets`` (k, nf; sorted vertex indices) equal to the
    columns of ``wanted``, by integer keys sorted once (scikit-fem's facets and edges are
    sorted already: then by binary search alone)."""
    keys = entity_keys(facets, n_vertices)
    order = None if np.all(keys[1:] > keys[:-1]) else np.argsort(keys)
    ordered = keys if order is None else keys[order]

    def find(wanted: np.ndarray) -> np.ndarray:
        wanted_keys = entity_keys(np.sort(wanted, axis=0), n_vertices)
        found = np.minimum(np.searchsorted(ordered, wanted_keys), len(keys) - 1)
        found = found if order is None else order[found]
        if not np.array_equal(keys[found], wanted_keys):
            raise RuntimeError("gmsh's facets or edges do not match the mesh's")
        return found

    return find


def generate_mesh(domain, h: float, order: int = 1, cells: str = "simplex") -> skfem.Mesh:
    """A scikit-fem mesh of ``domain`` with cells of size about h, straight (order 1) or
    quadratic (order 2), with ``mesh.boundaries`` = {part name: facet indices}. ``cells =
    "tensor"`` (2-D, order 1): quadrilaterals, gmsh's triangles recombined by the blossom
    algorithm (triangles at size 2h, each split into quadrilaterals of size about h).

    gmsh runs in a child process: a crash or a hang past :data:`GMSH_SECONDS` raises
    :class:`pdesolve.isolation.Crashed` saying so, and leaves this process as it was."""
    if not h > 0:
        raise ConfigError(f"mesh size h: must be positive, got {h!r}")
    return skfem_mesh(*run_isolated(_gmsh_mesh, domain, h, order, cells, seconds=GMSH_SECONDS,
                                    what=f"gmsh meshing the {domain.kind} (h = {h:.3g})"))


def _gmsh_mesh(domain, h: float, order: int, cells: str) -> tuple:
    """The nodes (N, d), cells (nc, k) and boundary facets by part of gmsh's mesh (the
    arguments of :func:`skfem_mesh`)."""
    d = domain.dim
    quads = cells == "tensor"
    if quads and (d != 2 or order != 1):
        raise ConfigError(f"mesh: quadrilateral gmsh meshes are straight and 2-D; got d = {d}, "
                          f"order {order}")
    with gmsh_model(domain) as (gmsh, tags):
        gmsh.option.setNumber("Mesh.MeshSizeMax", 2 * h if quads else h)
        gmsh.option.setNumber("Mesh.MeshSizeMin", h if quads else h / 2)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)  # h alone sets the size
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        if quads:
            gmsh.option.setNumber("Mesh.RecombineAll", 1)
            gmsh.option.setNumber("Mesh.RecombinationAlgorithm", 1)  # blossom
            gmsh.option.setNumber("Mesh.SubdivisionAlgorithm", 1)    # all quadrilaterals
        gmsh.model.mesh.generate(d)
        if order == 2:
            gmsh.model.mesh.setOrder(2)
        node_tags, coords, _ = gmsh.model.mesh.getNodes()
        position = np.empty(int(node_tags.max()) + 1, dtype=np.int64)
        position[node_tags.astype(np.int64)] = np.arange(len(node_tags))
        cell_type, per_cell = QUAD_TYPE if quads else CELL_TYPES[d, order]
        elements = np.concatenate([gmsh.model.mesh.getElementsByType(cell_type, tag)[1]
                                   for dim, tag in tags if dim == d]).astype(np.int64)
        facet_type, per_facet = FACET_TYPES[d, order]
        facets: dict[str, list[np.ndarray]] = {p.name: [] for p in domain.parts}
        for dim, tag in gmsh.model.getBoundary(tags, combined=True, oriented=False):
            part = domain.parts[_classify(gmsh, domain, (dim, abs(tag)))].name
            nodes = gmsh.model.mesh.getElementsByType(facet_type, abs(tag))[1]
            facets[part].append(position[nodes.astype(np.int64)].reshape(-1, per_facet)[:, :d])
    return (coords.reshape(-1, 3)[:, :d], position[elements].reshape(-1, per_cell),
            {name: np.concatenate(f) if f else np.zeros((0, d), dtype=np.int64)
             for name, f in facets.items()})


def straight_mesh(points: np.ndarray, cells: np.ndarray) -> tuple[skfem.Mesh, np.ndarray]:
    """The straight scikit-fem mesh of the corners of ``cells`` (nc, k) over the nodes
    ``points`` (N, d), its facets indexed (:func:`index_entities`), and ``vertices``: the
    node of ``points`` each mesh vertex is (increasing, so sorted index rows stay sorted)."""
    d = points.shape[1]
    quads = d == 2 and cells.shape[1] == 4
    corners = cells if quads else cells[:, : d + 1]
    used = np.zeros(len(points), dtype=bool)
    used[corners] = True
    vertices, compact = np.flatnonzero(used), np.cumsum(used) - 1
    kind = skfem.MeshQuad1 if quads else (skfem.MeshTri1 if d == 2 else skfem.MeshTet1)
    straight = kind(np.ascontiguousarray(points[vertices].T),
                    np.ascontiguousarray(compact[corners].T))
    return index_entities(straight), vertices


def skfem_mesh(points: np.ndarray, cells: np.ndarray, facets: dict[str, np.ndarray],
               straight: tuple[skfem.Mesh, np.ndarray] | None = None) -> skfem.Mesh:
    """The scikit-fem mesh of ``cells`` (nc, k) over the nodes ``points`` (N, d): k = d + 1
    corners (straight simplices), the corners followed by the edge nodes (k = 6 in 2-D, 10 in
    3-D: quadratic simplices), or 4 corners in 2-D (straight quadrilaterals). ``facets[name]``
    (nf, d) are node indices of the corners of boundary facets, which become
    ``mesh.boundaries[name]``. ``straight`` is :func:`straight_mesh` of the same arguments, if
    already built."""
    d = points.shape[1]
    straight, vertices = straight or straight_mesh(points, cells)
    compact = np.full(len(points), -1, dtype=np.int64)
    compact[vertices] = np.arange(len(vertices))
    find = facet_lookup(straight.facets, len(vertices))
    mesh = straight.with_boundaries({name: find(compact[f].T) for name, f in facets.items()})
    _keep_facets(straight, mesh)
    if cells.shape[1] > d + 1 and not (d == 2 and cells.shape[1] == 4):
        mesh = _curved(mesh, points, cells, compact)
    return mesh


def _keep_facets(source: skfem.Mesh, copy: skfem.Mesh) -> None:
    """Hand ``source``'s facets (built above) to its copy with boundaries, which would
    rebuild them (scikit-fem caches them per object; the copy has the same cells)."""
    for name in ("_facets", "_t2f"):
        if hasattr(source, name):
            setattr(copy, name, getattr(source, name))


def _curved(mesh: skfem.Mesh, points: np.ndarray, cells: np.ndarray,
            compact: np.ndarray) -> skfem.Mesh:
    """The quadratic mesh of ``mesh`` with its edge nodes moved to gmsh's (on the geometry).

    gmsh lists a cell's edge nodes (``cells[:, d + 1:]``, nodes in ``points``) in one fixed
    local order of its corner pairs; that order is read off the cells themselves, slot by slot,
    as the pair whose midpoint is nearest in most cells (a few badly curved coarse cells may
    disagree; the vote does not depend on them). The pair's corners (``compact`` maps gmsh nodes
    to mesh vertices) name the mesh edge."""
    d = mesh.dim()
    quadratic = (skfem.MeshTri2 if d == 2 else skfem.MeshTet2).from_mesh(mesh)
    edges = mesh.facets if d == 2 else mesh.edges
    corners = compact[cells[:, : d + 1]]  # (nc, d + 1) mesh vertex indices
    pairs = np.array([(a, b) for a in range(d + 1) for b in range(a + 1, d + 1)])
    ends = corners[:, pairs]  # (nc, pairs, 2)
    midpoints = mesh.p.T[ends].mean(axis=2)  # (nc, pairs, d)
    nodes = points[cells[:, d + 1:]]  # (nc, edge nodes, d)
    gaps = np.linalg.norm(nodes[:, :, None, :] - midpoints[:, None, :, :], axis=3)
    nearest = np.argmin(gaps, axis=2)  # (nc, edge nodes)
    order = [int(np.bincount(slot, minlength=len(pairs)).argmax()) for slot in nearest.T]
    which = ends[:, order].reshape(-1, 2).T
    edge = facet_lookup(edges, mesh.p.shape[1])(which)
    doflocs = quadratic.doflocs.copy()
    doflocs[:, mesh.p.shape[1] + edge] = nodes.reshape(-1, d).T
    if len(np.unique(edge)) != edges.shape[1]:
        raise RuntimeError("could not match gmsh's edge nodes to the mesh's edges")
    return replace(quadratic, doflocs=doflocs, _boundaries=mesh.boundaries)


def mesh_quadrature(domain, h: float, intorder: int):
    """(points (n, d), weights (n,)) of a degree-``intorder`` rule on each cell of a
    quadratic gmsh mesh of size h: integrals over the curved domain to O(h^3) geometry."""
    return cell_rule(generate_mesh(domain, h, order=2), intorder)


def mesh_size(mesh: skfem.Mesh) -> float:
    """The longest edge of the mesh."""
    edges = mesh.p[:, mesh.facets if mesh.dim() == 2 else mesh.edges]
    return float(np.linalg.norm(edges[:, 0] - edges[:, 1], axis=0).max())


def cell_rule(mesh: skfem.Mesh, intorder: int) -> tuple[np.ndarray, np.ndarray]:
    """(points (n, d), weights (n,)) of a degree-``intorder`` rule on every cell of ``mesh``."""
    element = skfem.ElementTriP1() if mesh.dim() == 2 else skfem.ElementTetP1()
    basis = skfem.CellBasis(mesh, element, intorder=intorder)
    points = np.asarray(basis.mapping.F(basis.X))
    return points.reshape(mesh.dim(), -1).T, np.asarray(basis.dx).ravel()


def positive_degree(dim: int, degree: int) -> int:
    """The lowest degree >= ``degree`` whose triangle (d = 2) or tetrahedron rule in scikit-fem
    has only positive weights (degree 7 on triangles, 3, 4, 8 on tetrahedra have a negative
    one); ConfigError when none up to scikit-fem's highest exists."""
    from skfem.quadrature import get_quadrature
    from skfem.refdom import RefTet, RefTri

    ref = RefTri if dim == 2 else RefTet
    for k in range(degree, degree + 4):
        try:
            if get_quadrature(ref, k)[1].min() > 0:
                return k
        except NotImplementedError:
            break
    raise ConfigError(f"quadrature_order: no positive simplex rule of degree >= {degree} in "
                      f"d = {dim}; use a lower order")


def refine(mesh: skfem.Mesh, domain, marked: np.ndarray | None = None) -> skfem.Mesh:
    """``mesh`` refined (everywhere, or the ``marked`` cells and what conformity needs),
    with the boundary parts of ``domain`` restored and new boundary vertices on the boundary."""
    bare = replace(mesh, _boundaries=None)
    return retag(bare.refined() if marked is None else bare.refined(marked), domain)


def retag(mesh: skfem.Mesh, domain) -> skfem.Mesh:
    """``mesh`` with its boundary facets assigned to the parts of ``domain`` again (after a
    refinement that dropped them), and its boundary vertices moved onto the nearest piece
    (new vertices on a curved boundary would otherwise lie on the old chords)."""
    facets = mesh.boundary_facets()
    vertices = np.unique(mesh.facets[:, facets])
    p = mesh.p.copy()
    x = p[:, vertices].T
    pieces = domain.pieces()
    gaps = np.stack([piece.distance(x) for _, _, piece in pieces])
    nearest = np.argmin(gaps, axis=0)
    for i, (_, _, piece) in enumerate(pieces):
        on = nearest == i
        if on.any():
            p[:, vertices[on]] = piece.project(x[on]).T
    mesh = replace(mesh, doflocs=p) if mesh.p.shape == mesh.doflocs.shape else mesh
    midpoints = mesh.p[:, mesh.facets[:, facets]].mean(axis=1).T
    gaps = np.full((len(domain.parts), len(facets)), np.inf)
    for k, _, piece in pieces:
        gaps[k] = np.minimum(gaps[k], piece.distance(midpoints))
    owner = np.argmin(gaps, axis=0)
    return mesh.with_boundaries({part.name: facets[owner == k]
                                 for k, part in enumerate(domain.parts)})
