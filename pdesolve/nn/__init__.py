"""Neural solvers' building blocks: activations, networks, losses, training loop, checkpoints.

Importing this package imports torch; the classical solvers never do.
"""
