"""Run many ``pdesolve`` command lines, each in its own process, fast.

One interpreter imports pdesolve (and the toy solvers of the tests) once, then forks a
child per command line; the child runs the command's ``main`` with its standard output
and error on files of its own and exits with the command's status, so a traceback or a
stray line would show exactly as in a fresh ``pdesolve`` process. Reads a JSON list of
``{"argv": [...], "cwd": "...", "write": {path: text}}`` on stdin (``write``, optional: files
written in ``cwd`` before the command runs, e.g. an input edited between two runs) and prints a
JSON list of ``{"code": int, "stdout": str, "stderr": str}``.

Usage: ``python -m tests.cli_batch < jobs.json`` from the repository root (POSIX only).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback


def _child(argv: list[str], cwd: str, out: str, err: str) -> None:
    code = 1
    try:
        os.chdir(cwd)
        for fd, path in ((1, out), (2, err)):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(target, fd)
            os.close(target)
        from pdesolve.cli import main

        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # what the interpreter would print for an uncaught exception
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run(jobs: list[dict]) -> list[dict]:
    from tests.test_harness_solvers import register

    register()
    import pdesolve.cli  # noqa: F401 - imported once, before the forks
    import pdesolve.harness  # noqa: F401
    import pdesolve.harness.report  # noqa: F401 - matplotlib, for the runs that report
    import pdesolve.domains.tables  # noqa: F401
    import meshio  # noqa: F401 - read by mesh-file domains
    import pdesolve.problems.formulas  # noqa: F401
    from pdesolve.solvers import list_solvers, solver_module

    for kind in list_solvers():
        solver_module(kind)

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        out, err = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        for job in jobs:
            for name, text in job.get("write", {}).items():
                with open(os.path.join(job["cwd"], name), "w", encoding="utf-8") as fh:
                    fh.write(text)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(job["argv"], job["cwd"], out, err)
            _, status = os.waitpid(pid, 0)
            with open(out, encoding="utf-8") as fo, open(err, encoding="utf-8") as fe:
                results.append({"code": os.waitstatus_to_exitcode(status),
                                "stdout": fo.read(), "stderr": fe.read()})
    return results


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
