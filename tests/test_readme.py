"""The README's Python example runs and prints what the README says; the piecewise-coefficient
example of the domains guide converges at the rate the guide states."""

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
DOMAINS = README.parent / "docs" / "howto" / "domains.md"


def test_python_usage_example_prints_what_the_readme_shows():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    (example,) = [b for b in blocks if not b.startswith("# file:")]
    expected = re.search(r"# (\d+ [\d.e+-]+)\s*$", example.splitlines()[-1]).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example, "README.md", "exec"), {})
    assert out.getvalue().strip() == expected


def test_piecewise_coefficient_example_converges_at_the_rate_the_guide_states():
    """The domains guide's `where(x < 0.5, ...)` problem passes validation (continuous u and
    flux) and FEM P2 converges at the L2 slope stated there (3.00 with nodes on the interface)."""
    import tomllib

    from pdesolve.metrics import measure_errors
    from pdesolve.problems.tables import problem_from_table
    from pdesolve.solvers import solve

    from .helpers import fitted_slope

    text = DOMAINS.read_text()
    (block,) = [b for b in re.findall(r"```toml\n(.*?)```", text, flags=re.S)
                if "where(x < 0.5" in b]
    stated = float(re.search(r"P2 (\d\.\d\d) from 8 to 16", text).group(1))
    problem = problem_from_table(tomllib.loads(block)["problem"])
    errors = []
    for n in (8, 16):
        result = solve(problem, "fem", element="P2", n=n)
        errors.append(measure_errors(result.u, problem.exact, result.grad, problem.exact_grad,
                                     domain=problem.domain).l2_rel)
    assert -fitted_slope((8, 16), errors) == pytest.approx(stated, abs=0.05)
