"""The FEM capability matrix (pdesolve.fem.capabilities): every element the solver declares,
domain kind, p and boundary kind, with its L2 rate in h on two nested meshes or the one-line
refusal. Prints a Markdown table.

    python benchmarks/fem_capabilities.py [--dim 3]
"""

import argparse
import time

from pdesolve.fem.capabilities import combinations, run

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--dim", type=int, default=2, choices=(2, 3))
dim = parser.parse_args().dim
print("| domain | boundary | p | element | n | L2 errors | rate (expected k + 1) | seconds |")
print("|---|---|---|---|---|---|---|---|")
for c in combinations():
    if c.dim != dim:
        continue
    start = time.perf_counter()
    o = run(c)
    seconds = time.perf_counter() - start
    errors = ", ".join(f"{e:.2e}" for e in o.errors)
    body = (f"refused: {o.refused} | " if o.refused else
            f"{errors} | {o.rate:.2f} ({c.degree + 1})")
    print(f"| {c.domain} | {c.boundary} | {c.p} | {c.element} | {o.sizes} | {body} | "
          f"{seconds:.1f} |", flush=True)
