"""Legendre spectral discretisation on boxes: GLL bases, the G-NI operator, tensor functions."""
