"""FEM's abilities on every mesh, generated from its declarations (pdesolve.fem.capabilities):
each combination of element, domain kind, p in {2, 3} and boundary kind that the solver
accepts (``supports`` and ``check``) reaches the L2 rate k + 1 in h on a smooth solution;
each one it does not accept is refused in one line. The whole matrix, with P3/P4 and every
boundary kind on every domain, is ``benchmarks/fem_capabilities.py``; here every domain
meets every p and element, the boundary kinds in rotation."""

import itertools

import pytest

from pdesolve.fem.capabilities import BOUNDARIES, DOMAINS, run

NESTED = {"box": (8, 16), "mesh file": (1, 2)}
"""Meshes of h and h/2 (the box's structured mesh; the file's mesh refined once): two sizes,
rate within 0.15."""

GMSH = {"L-shape": (16, 32, 64)}
"""gmsh meshes at h = L/n are not nested and their error constants vary by about 15 % from
mesh to mesh: three sizes, n = 8, 16, 32 (the L-shape, twice as wide: 16, 32, 64), rate within
0.25 (measured: P1 1.97-2.08, P2 2.91-3.15)."""

COMBINATIONS = [
    (domain, p, BOUNDARIES[(i + j) % len(BOUNDARIES)], element)
    for i, domain in enumerate(DOMAINS)
    for j, p in enumerate((2, 3))
    for element in (("P1", "P2", "Q2") if domain == "box" else ("P1", "P2"))]


@pytest.mark.parametrize("domain, p, boundary, element", COMBINATIONS,
                         ids=["-".join(map(str, c)) for c in COMBINATIONS])
def test_every_supported_combination_reaches_its_rate(domain, p, boundary, element):
    sizes = NESTED.get(domain) or GMSH.get(domain, (8, 16, 32))
    outcome = run(domain, 2, p, boundary, element, sizes)
    if outcome.refused:
        assert "\n" not in outcome.refused and "allowed: P1, P2, P3, P4" in outcome.refused
        assert element.startswith("Q") and boundary != "dirichlet"
        return
    tolerance = 0.15 if domain in NESTED else 0.25
    assert outcome.rate == pytest.approx(int(element[1:]) + 1, abs=tolerance)


@pytest.mark.parametrize("boundary, element", list(itertools.product(BOUNDARIES, ("P3", "Q2"))))
def test_high_order_and_tensor_elements_on_the_box(boundary, element):
    """P3 takes every boundary kind on the box; Qk (tensor cells) only u = g on all of it,
    and says so in one line otherwise."""
    outcome = run("box", 2, 3, boundary, element, (4, 8))
    if boundary == "dirichlet" or element == "P3":
        assert outcome.rate == pytest.approx(int(element[1:]) + 1, abs=0.15)
    else:
        assert "element: 'Q2' is not available with a" in outcome.refused
