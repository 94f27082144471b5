"""Tensor-grid machinery: grids and interpolation, the finite-difference stencil,
geometric multigrid, and Newton's method for the p-Laplacian."""
