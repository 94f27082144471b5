"""Points on the Neumann and Robin parts of dOmega, with what the flux terms need there.

For kappa |grad u|^(p-2) du/dn + alpha u = h on the flux parts Gamma_F, one seeded draw of
m points y_j (fixed for the whole training, as the peers' training points are; the composite
Gauss rule of the faces for the ``gauss`` sampler on a box) with outward
normals n_j, weights w_j summing to |Gamma_F|, and alpha_j (0 on Neumann parts), h_j:

    residual loss: q_j = kappa |grad u|^(p-2) grad u(y_j) . n_j + alpha_j u(y_j) - h_j, the term
                   beta sum_j w_j q_j^2 / |dOmega| (the Dirichlet mean square's scale);
    Ritz loss:     the boundary energy sum_j w_j (alpha_j u(y_j)^2 / 2 - h_j u(y_j)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..domains.base import BoundarySample
from ..problems.base import Problem
from .sampling import face_normals, face_rule


@dataclass(frozen=True)
class FluxPoints:
    """y (m, d), normals (m, d), weights w (m,), alpha (m,), h (m,) on the flux parts."""

    y: torch.Tensor
    normals: torch.Tensor
    weights: torch.Tensor
    alpha: torch.Tensor
    h: torch.Tensor

    @classmethod
    def draw(cls, problem: Problem, n: int, seed: int, dtype: torch.dtype,
             device: torch.device, kind: str = "uniform", order: int = 4) -> FluxPoints:
        """About n uniform points spread over the flux parts by measure (at least one per
        piece); with ``kind = "gauss"`` on a box, the composite Gauss rule of the flux faces
        (n cells per direction, ``order`` points per cell direction), as the Dirichlet faces'."""
        domain, parts = problem.domain, list(problem.fluxes)
        if kind == "gauss" and domain.structured and domain.dim > 1:
            points, weights, faces = face_rule(domain, n, order, domain.part_indices(parts))
            sample = BoundarySample(points, face_normals(domain, faces), weights, faces)
        else:
            sample = domain.sample_boundary(n, np.random.default_rng(seed), parts=parts)
        alpha, h = np.zeros(len(sample)), np.zeros(len(sample))
        for k in np.unique(sample.part):
            at = sample.part == k
            condition = problem.fluxes[problem.domain.parts[k].name]
            x, normal = sample.points[at], sample.normals[at]
            h[at] = condition.h(x, normal)
            if condition.alpha is not None:
                alpha[at] = condition.alpha(x)

        def tensor(a):
            return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype).to(device)

        return cls(*(tensor(a) for a in (sample.points, sample.normals, sample.weights, alpha, h)))
