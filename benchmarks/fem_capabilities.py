"""The FEM capability matrix (pdesolve.fem.capabilities): every element, domain kind, p and
boundary kind, with its L2 rate in h or the one-line refusal. Prints a Markdown table.

    python benchmarks/fem_capabilities.py [--dim 3]
"""

import argparse
import time

from pdesolve.fem.capabilities import BOUNDARIES, DOMAINS, run

SIZES = {(2, "box"): (8, 16), (2, "mesh file"): (1, 2), 2: (16, 32), (3, "box"): (4, 8), 3: (6, 12)}
ELEMENTS = {2: ("P1", "P2", "P3", "P4", "Q2", "Q4"), 3: ("P1", "P2", "Q2")}

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--dim", type=int, default=2, choices=(2, 3))
dim = parser.parse_args().dim
print("| domain | boundary | p | element | n | L2 errors | rate (expected k + 1) | seconds |")
print("|---|---|---|---|---|---|---|---|")
for domain, tables in DOMAINS.items():
    if dim not in tables:
        continue
    sizes = SIZES.get((dim, domain), SIZES[dim])
    for boundary in BOUNDARIES:
        for p in (2, 3):
            for element in ELEMENTS[dim]:
                start = time.perf_counter()
                o = run(domain, dim, p, boundary, element, sizes)
                seconds = time.perf_counter() - start
                errors = ", ".join(f"{e:.2e}" for e in o.errors)
                body = (f"refused: {o.refused} | " if o.refused else
                        f"{errors} | {o.rate:.2f} ({int(element[1:]) + 1})")
                print(f"| {domain} | {boundary} | {p} | {element} | {sizes} | {body} | "
                      f"{seconds:.1f} |", flush=True)
