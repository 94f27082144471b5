"""Domains: volumes, sampling, normals, distance functions, gmsh meshes and mesh files."""

import math
from pathlib import Path

import numpy as np
import pytest
import skfem
import torch

from pdesolve.domains import Annulus, Ball, Box, Difference, Intersection, Polygon, Union, lshape
from pdesolve.domains.locate import SimplexLocator
from pdesolve.domains.meshfile import MeshDomain
from pdesolve.domains.meshing import facet_lookup, index_entities

PLATE = Path(__file__).resolve().parents[1] / "cases" / "meshes" / "plate.msh"


def square_with_holes():
    """PINNacle's 2d-C domain: [-0.5, 0.5]^2 minus four disks of radius 0.1."""
    holes = [Ball((cx, cy), 0.1) for cx in (-0.3, 0.3) for cy in (-0.3, 0.3)]
    return Difference(Box((-0.5, -0.5), (0.5, 0.5)), holes)


SHAPES = {
    "box": (Box((0.0, -1.0), (2.0, 1.0)), 4.0, 8.0),
    "disk": (Ball((0.5, 0.5), 0.5), math.pi / 4, math.pi),
    "annulus": (Annulus((0.0, 0.0), 0.5, 1.0), 0.75 * math.pi, 3 * math.pi),
    "lshape": (lshape(), 3.0, 8.0),
    "holes": (square_with_holes(), 1 - 0.04 * math.pi, 4 + 0.8 * math.pi),
    "ball": (Ball((0.0, 0.0, 0.0), 1.0), 4 * math.pi / 3, 4 * math.pi),
    "cube_minus_ball": (Difference(Box.cube(3), [Ball((0.5, 0.5, 0.5), 0.25)]),
                        1 - 4 * math.pi / 3 / 64, 6 + math.pi / 4),
    "union": (Union([Box((0.0, 0.0), (1.0, 1.0)), Box((0.5, 0.5), (1.5, 1.5))]), 1.75, 6.0),
    "intersection": (Intersection([Box((0.0, 0.0), (1.0, 1.0)), Ball((0.0, 0.0), 1.0)]),
                     math.pi / 4, 2 + math.pi / 2),
}


@pytest.mark.parametrize("name", SHAPES)
def test_volume_and_boundary_measure_match_closed_forms(name):
    domain, volume, perimeter = SHAPES[name]
    assert domain.volume == pytest.approx(volume, rel=1e-12)
    # kept fractions of partly kept pieces are sampled (2^16 points): ~1 % where they occur
    assert domain.boundary_measure == pytest.approx(perimeter, rel=1e-2)


@pytest.mark.parametrize("name", SHAPES)
def test_boundary_samples_lie_on_the_boundary_with_outward_normals(name):
    domain, _, perimeter = SHAPES[name]
    rng = np.random.default_rng(0)
    sample = domain.sample_boundary(600, rng)
    assert sample.weights.sum() == pytest.approx(domain.boundary_measure, rel=1e-12)
    assert np.allclose(np.linalg.norm(sample.normals, axis=1), 1.0)
    step = 1e-6 * domain.diameter
    inside = domain.contains(sample.points - step * sample.normals, tol=0.0)
    outside = ~domain.contains(sample.points + step * sample.normals, tol=0.0)
    assert inside.mean() > 0.99 and outside.mean() > 0.99  # corners may miss
    assert np.abs(domain.level(sample.points)).max() < 1e-9 * domain.diameter


@pytest.mark.parametrize("name", SHAPES)
def test_interior_samples_are_inside_and_estimate_the_volume(name):
    domain, volume, _ = SHAPES[name]
    rng = np.random.default_rng(1)
    x = domain.sample_interior(4000, rng)
    assert x.shape == (4000, domain.dim) and domain.contains(x).all()
    assert (domain.distance(x) > 0).all()
    lower, upper = domain.bounds
    box = lower + (upper - lower) * rng.random((20000, domain.dim))
    estimate = np.prod(upper - lower) * domain.contains(box).mean()
    assert estimate == pytest.approx(volume, rel=0.05)


@pytest.mark.parametrize("name", ["disk", "lshape", "holes", "cube_minus_ball"])
def test_distance_has_finite_autograd_gradients_and_unit_slope_at_the_boundary(name):
    domain, _, _ = SHAPES[name]
    sample = domain.sample_boundary(200, np.random.default_rng(2))
    step = 1e-4 * domain.diameter
    inner = torch.tensor(sample.points - step * sample.normals, requires_grad=True)
    phi = domain.distance(inner)
    (grad,) = torch.autograd.grad(phi.sum(), inner)
    assert torch.isfinite(grad).all()
    slope = phi.detach().numpy() / step
    if name != "lshape" and name != "holes":  # vertices and R-junctions are not normalised
        assert np.median(np.abs(slope - 1)) < 1e-2


def test_extension_takes_each_part_its_own_values():
    domain = square_with_holes()
    outer, holes = set(domain.groups["outer"]), set(domain.groups["holes"])
    values = [(lambda y: y[:, 0] * 0 + 1.0) if k in outer else (lambda y: y[:, 0] + y[:, 1])
              for k in range(len(domain.parts))]
    sample = domain.sample_boundary(400, np.random.default_rng(3))
    got = domain.extension(sample.points, values)
    want = np.where(np.isin(sample.part, list(outer)), 1.0, sample.points.sum(axis=1))
    assert np.abs(got - want).max() < 1e-9
    assert holes and outer.isdisjoint(holes)


def test_part_names_groups_and_unknown_names():
    domain = square_with_holes()
    assert [p.name for p in domain.parts] == ["x1min", "x1max", "x2min", "x2max",
                                              "hole1", "hole2", "hole3", "hole4"]
    assert domain.part_measure("holes") == pytest.approx(0.8 * math.pi)
    with pytest.raises(ValueError, match="'inlet' is not a boundary part.*holes"):
        domain.part_indices("inlet")


@pytest.mark.parametrize("order", [1, 2])
def test_gmsh_mesh_has_the_parts_as_boundaries_and_the_right_area(order):
    domain = square_with_holes()
    mesh = domain.mesh(0.05, order)
    assert set(mesh.boundaries) == {p.name for p in domain.parts}
    for part in domain.parts:
        facets = mesh.boundaries[part.name]
        assert len(facets)
        corners = mesh.p[:, mesh.facets[:, facets]].reshape(2, -1).T
        assert part.pieces[0].distance(corners).max() < 1e-9
    x, w = domain.quadrature(h=0.05)
    # quadratic cells: area to ~1e-5 at h = 0.05 (straight ones: 5e-3)
    assert w.sum() == pytest.approx(domain.volume, rel=5e-5)
    assert domain.contains(x, tol=1e-3).all()


@pytest.mark.parametrize("mesh", [skfem.MeshTri.init_circle(3), skfem.MeshTet().refined(2),
                                  skfem.MeshTet2.init_ball(1)], ids=["tri", "tet", "tet2"])
def test_entities_by_integer_keys_equal_scikit_fems(mesh):
    ours = index_entities(index_entities(type(mesh)(mesh.doflocs, mesh.t)), "edges")
    theirs = type(mesh)(mesh.doflocs, mesh.t)
    for name in ("facets", "t2f") + (("edges", "t2e") if mesh.dim() == 3 else ()):
        mine, reference = getattr(ours, name), getattr(theirs, name)
        assert mine.dtype == reference.dtype and np.array_equal(mine, reference), name
    columns = np.random.default_rng(0).permutation(ours.facets.shape[1])[:20]
    find = facet_lookup(ours.facets, ours.p.shape[1])
    assert np.array_equal(find(ours.facets[::-1, columns]), columns)  # order within a column free


def test_polygon_orientation_and_names():
    clockwise = Polygon(((0, 0), (0, 1), (1, 1), (1, 0)), edge_names=("a", "b", "c", "d"))
    assert clockwise.volume == pytest.approx(1.0)
    assert [p.name for p in clockwise.parts] == ["c", "b", "a", "d"]
    with pytest.raises(ValueError, match="zero area"):
        Polygon(((0, 0), (1, 1), (2, 2)))


def test_simplex_locator_finds_cells_and_flags_outside_points():
    mesh = lshape().mesh(0.2)
    locate = SimplexLocator(mesh.p.T, mesh.t.T)
    rng = np.random.default_rng(4)
    x = lshape().sample_interior(500, rng)
    cell, bary = locate(np.concatenate([x, [[0.5, -0.5], [2.0, 2.0]]]))
    assert (cell[:500] >= 0).all() and (cell[500:] == -1).all()
    corners = mesh.p[:, mesh.t[:, cell[:500]]]
    assert np.allclose(np.einsum("ik,dik->kd", bary[:500].T, corners), x)


def test_mesh_file_domain_reads_groups_as_parts():
    domain = MeshDomain(PLATE)
    assert domain.dim == 2 and {p.name for p in domain.parts} == {"inlet", "hole", "wall"}
    assert domain.volume == pytest.approx(2 - math.pi / 16, rel=5e-3)  # straight cells
    mesh = domain.mesh()
    assert {k: len(v) for k, v in mesh.boundaries.items()} == {"hole": 16, "wall": 50, "inlet": 10}
    sample = domain.sample_boundary(300, np.random.default_rng(5))
    inlet = sample.part == [p.name for p in domain.parts].index("inlet")
    assert np.allclose(sample.normals[inlet], [-1.0, 0.0]) and np.allclose(sample.points[inlet, 0], 0)
    x = domain.sample_interior(300, np.random.default_rng(6))
    assert domain.contains(x).all() and not domain.contains(np.array([[0.7, 0.5]]))[0]
    assert (domain.distance(x) > 0).all()
    special = domain.special_points(budget=40)  # the file's nodes: in the closed domain
    assert 2 <= len(special) <= 40 and domain.contains(special).all()


def test_mesh_file_errors_name_the_field(tmp_path):
    with pytest.raises(ValueError, match="domain.mesh: file .* not found"):
        MeshDomain(tmp_path / "none.msh")
    bad = tmp_path / "bad.msh"
    bad.write_text("not a mesh")
    with pytest.raises(ValueError, match="domain.mesh: cannot read"):
        MeshDomain(bad)


def test_case_file_tables_build_every_kind():
    from pdesolve.domains.tables import domain_from_table

    holes = domain_from_table({
        "kind": "difference", "base": {"kind": "box", "bounds": [[-0.5, 0.5], [-0.5, 0.5]]},
        "remove": [{"kind": "disk", "center": [0.3, 0.3], "radius": 0.1, "name": "a"},
                   {"kind": "disk", "center": [-0.3, -0.3], "radius": 0.1}]})
    assert [p.name for p in holes.parts][-2:] == ["a", "hole2"]
    assert domain_from_table({"kind": "lshape"}).volume == 3.0
    assert domain_from_table({"kind": "box", "bounds": [0, 2]}, dim=3).volume == 8.0
    assert domain_from_table({"mesh": "meshes/plate.msh"}, base_dir=PLATE.parents[1]).dim == 2
    ring = domain_from_table({"kind": "annulus", "center": [0, 0], "inner": 1, "outer": 2})
    assert ring.volume == pytest.approx(3 * math.pi)


@pytest.mark.parametrize("table, message", [
    ({"kind": "circle"}, r"problem.domain.kind: 'circle' is not allowed; allowed: 'box'"),
    ({"kind": "disk", "center": [0, 0]}, r"problem.domain: kind 'disk' needs 'radius'"),
    ({"kind": "disk", "center": [0, 0], "radius": -1},
     r"problem.domain.radius: must be positive"),
    ({"kind": "difference", "base": {"kind": "lshape"},
      "remove": [{"kind": "disk", "center": [0, "a"], "radius": 1}]},
     r"problem.domain.remove\[0\].center\[1\]: expected a number"),
    ({"kind": "box", "bounds": [[0, 1], [1, 0]]}, r"problem.domain: lower bound must be below"),
    ({"kind": "polygon", "vertices": [[0, 0], [1, 1]]}, r"problem.domain.vertices: expected at"),
    ({"kind": "disk", "center": [0, 0], "radius": 1, "size": 2},
     r"problem.domain: unknown key 'size' for kind 'disk'"),
    ({"mesh": "nowhere.msh"}, r"problem.domain.mesh: file .* not found"),
])
def test_case_file_table_errors_name_the_field(table, message):
    from pdesolve.domains.tables import domain_from_table

    with pytest.raises(ValueError, match=message):
        domain_from_table(table)


def test_reentrant_corners_of_polygons_and_of_holes():
    """The L-shape's one re-entrant corner is the origin; a square hole's four convex corners
    are re-entrant corners of the domain around it, and a disk or a box has none."""
    from pdesolve.domains import Ball, Box, Difference, lshape

    np.testing.assert_allclose(lshape().reentrant_corners(), [[0.0, 0.0]])
    holed = Difference(Box((0.0, 0.0), (1.0, 1.0)), (Box((0.25, 0.25), (0.5, 0.5)),))
    np.testing.assert_allclose(sorted(map(tuple, holed.reentrant_corners())),
                               [(0.25, 0.25), (0.25, 0.5), (0.5, 0.25), (0.5, 0.5)])
    assert Box((0.0, 0.0), (1.0, 1.0)).reentrant_corners().shape == (0, 2)
    assert Ball((0.0, 0.0), 1.0).reentrant_corners().shape == (0, 2)
