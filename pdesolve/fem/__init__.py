"""Finite elements on box meshes (scikit-fem): mesh and cell lookup, assembly,
linear solvers, Newton's method for the p-Laplacian, point evaluation.

The solver entry point is :mod:`pdesolve.solvers.fem`; this package holds its parts.
"""
