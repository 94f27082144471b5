"""Random-feature methods: a one-hidden-layer network with its hidden layer frozen at random,
its output weights found by linear least squares (extreme learning machines, Dong & Li 2021;
the random feature method with a partition of unity, Chen, Chi, E & Yang 2022).

basis.py      the features (global, or local on a box partition glued by a partition of unity)
              and their values, gradients and Laplacians at points, as matrices
systems.py    collocation rows of the strong form and the Ritz energy on a quadrature rule
lstsq.py      column-scaled, rank-revealing least-squares and Gram (Ritz Hessian) solves
"""
