"""The ``pdesolve`` command: ``run`` a case file, ``report`` a results directory,
``experiment`` a founding-paper reproduction, ``list``.

User mistakes (a bad case file, an unknown name, a missing directory, a bad option) end
with exit status 2 and one line on stderr per mistake, ``error: <field>: <what is
wrong>; <what is allowed>``, before anything runs: a case file is checked whole, so all
its mistakes are listed at once. A sweep with failed runs exits with 1.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import os
import re
import sys
from pathlib import Path

from .errors import ConfigError, ErrorCollector, PdesolveError, shortened

log = logging.getLogger(__name__)

EXIT_FAILED_RUNS, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130

SCHEDULER = re.compile(r"^([a-z][a-z0-9+]*://)?(\[[0-9A-Fa-f:]+\]|[^\s:/\[\]]+):\d+$")
"""A Dask scheduler address: [protocol://]host:port."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with a command-line mistake reported as one line (a ConfigError)."""

    def error(self, message: str):
        raise ConfigError(f"{self.prog}: {message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pdesolve", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run every configuration of a case file, then report")
    run.add_argument("case", type=Path, help="the case file (TOML)")
    run.add_argument("--out", type=Path, help="results directory (default: results/<case-name>, "
                     "results/<case-name>-quick with --quick)")
    run.add_argument("--force", action="store_true", help="redo runs already finished")
    run.add_argument("--workers", type=_positive_int, default=1,
                     help="runs at once on this machine, each in its own process (default 1)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="send the runs to this Dask scheduler (e.g. tcp://host:8786)")
    run.add_argument("--quick", action="store_true",
                     help="apply each solver table's `quick` overrides (small sizes, for smoke tests)")
    run.add_argument("--quiet", action="store_true", help="no progress bars, log lines only")
    report = sub.add_parser("report", help="write summary.csv, report.md and plots of a results "
                            "directory, from its stored runs")
    report.add_argument("results", type=Path, help="a case's or an experiment's results directory")
    experiment = sub.add_parser("experiment", help="reproduce a founding experiment (see `list`): "
                                "run its cases (resuming), then write its report")
    experiment.add_argument("name", help="experiment name")
    experiment.add_argument("--quick", action="store_true",
                            help="smaller sizes, same qualitative result (seconds)")
    experiment.add_argument("--out", type=Path, help="output directory (default: results/<name>, "
                            "results/<name>-quick with --quick)")
    experiment.add_argument("--workers", type=_positive_int,
                            help="runs at once, each in its own process (default: the "
                            "experiment's own; 1 with --quick)")
    sub.add_parser("list", help="show the problems, solvers and experiments")
    return parser


def _validated(args):
    """(case, run specifications, results directory), every input checked: all mistakes of
    the case file and of ``--out`` in one ConfigError, before anything is created or run."""
    from .harness.case import parse_case, read_case_file
    from .harness.store import check_output_directory
    from .harness.sweep import expand_case

    errors = ErrorCollector()
    if args.out is not None:
        with errors.check():
            check_output_directory(args.out)
    if args.scheduler is not None and not SCHEDULER.match(args.scheduler):
        errors.messages.append(f"--scheduler: {shortened(args.scheduler)!r} is not a scheduler "
                               f"address; give [protocol://]host:port, e.g. tcp://host:8786")
    case, specs = None, []
    with errors.check():
        data = read_case_file(args.case)
        found = ErrorCollector()
        case = parse_case(data, args.case.stem, args.case, errors=found)
        specs = expand_case(case, quick=args.quick, errors=found)
        errors.messages += [f"{args.case.name}: {m}" for m in found.messages]
    root = args.out
    if root is None and case is not None:
        root = Path("results") / (case.name + ("-quick" if args.quick else ""))
        with errors.check():
            check_output_directory(root, "results directory")
    errors.raise_any()
    return case, specs, root


def _write_report(root: Path) -> list[Path]:
    from .harness.report import write_report
    from .harness.store import Store

    with Store(root).report_lock():
        return write_report(root)


def _workers(asked: int, runs: int) -> int:
    """``--workers``, at most the CPUs and the runs of the sweep (with a note when cut)."""
    usable = max(1, min(asked, os.cpu_count() or 1, runs))
    if usable < asked:
        log.info("--workers %d: using %d (%d CPUs, %d runs)", asked, usable,
                 os.cpu_count() or 1, runs)
    return usable


def _run(args) -> int:
    case, specs, root = _validated(args)
    from .harness import Store, run_sweep
    from .harness.report import save_settings  # matplotlib: only once the input is valid

    log.info("%s: %d runs -> %s", case.name, len(specs), root)
    store = Store(root)
    try:
        outcome = run_sweep(specs, store, force=args.force,
                            workers=_workers(args.workers, len(specs)),
                            scheduler=args.scheduler, progress=not args.quiet)
    except OSError as exc:
        if args.scheduler:
            raise ConfigError(f"--scheduler: cannot reach the Dask scheduler at "
                              f"{args.scheduler!r} ({exc})") from None
        raise
    if outcome.unsaved:
        raise PdesolveError(f"{outcome.unsaved}; make {root} writable and run again "
                            f"(finished runs are kept)")
    try:
        save_settings(root, {**case.report, "description": case.description})
        written = _write_report(root)
    except OSError as exc:
        raise PdesolveError(f"cannot write the report in {root} ({exc.strerror}); the runs "
                            f"are stored: run `pdesolve report {root}` once it is "
                            f"writable") from None
    elsewhere = f", {len(outcome.elsewhere)} run by another process" if outcome.elsewhere else ""
    sys.stdout.write(
        f"{case.name}: {len(specs)} runs, {len(outcome.executed)} executed "
        f"({len(outcome.failed)} failed), {len(outcome.skipped)} already finished{elsewhere}, "
        f"{outcome.seconds:.1f} s\n" + "".join(f"  {p}\n" for p in written))
    if outcome.failed:
        log.warning("%d runs failed; see %s (a rerun retries them)", len(outcome.failed),
                    root / "report.md")
        return EXIT_FAILED_RUNS
    return 0


def _report(args) -> int:
    from .experiments import is_experiment_directory, write_experiment_report
    from .harness.store import check_output_directory

    if not args.results.is_dir():
        raise ConfigError(f"{args.results}: results directory not found")
    check_output_directory(args.results, "results directory")
    if is_experiment_directory(args.results):
        sys.stdout.write(f"{write_experiment_report(args.results)}\n")
        return 0
    if not (args.results / "runs").is_dir():
        raise ConfigError(f"{args.results}: not a results directory (it has no runs/ folder); "
                          f"give the --out of a `pdesolve run`")
    sys.stdout.write("".join(f"{p}\n" for p in _write_report(args.results)))
    return 0


def _experiment(args) -> int:
    from .experiments import get_experiment, run_experiment
    from .harness.store import check_output_directory

    get_experiment(args.name)
    out = args.out or Path("results") / (args.name + ("-quick" if args.quick else ""))
    check_output_directory(out, "--out" if args.out else "results directory")
    sys.stdout.write(f"{run_experiment(args.name, out, args.quick, args.workers)}\n")
    return 0


def _list(_args) -> int:
    from .config import describe_options
    from .experiments import list_experiments
    from .problems import list_problems
    from .solvers import solvers

    out = ["Problems (case file: [problem] name = ..., parameters as keys):"]
    for name, entry in list_problems().items():
        params = ", ".join(f"{k}={v!r}" if v is not inspect.Parameter.empty else k
                           for k, v in entry.parameters.items())
        out.append(f"  {name}({params})  {entry.summary}")
    out.append("")
    out.append("Solvers (case file: [[solver]] kind = ..., options as keys):")
    for kind, entry in solvers().items():
        try:
            module = entry.module
        except (ImportError, ConfigError) as exc:
            out.append(f"  {kind}: not available ({exc})")
            continue
        source = "" if entry.source == "builtin" else f", {entry.source}"
        out.append(f"  {kind} ({module.FAMILY}{source}; DOFs: {module.DOFS})")
        out += [f"    {n}: {tp}, default {d!r}" + (f" - {h}" if h else "")
                for n, tp, d, h in describe_options(module.Options)]
    out += ["", "Experiments (pdesolve experiment NAME [--quick]):"]
    out += [f"  {name}: {text}" for name, text in list_experiments().items()]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def _print_errors(exc: ConfigError) -> None:
    sys.stderr.write("".join(f"error: {m}\n" for m in exc.messages))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``pdesolve`` console script; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except ConfigError as exc:
        _print_errors(exc)
        return EXIT_USAGE
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    for name in ("pdesolve.cli", "pdesolve.harness", "pdesolve.experiments"):
        logging.getLogger(name).setLevel(logging.INFO)
    from tqdm.contrib.logging import logging_redirect_tqdm

    from .harness.logs import warnings_to_logging

    warnings_to_logging()
    commands = {"run": _run, "report": _report, "experiment": _experiment, "list": _list}
    try:
        with logging_redirect_tqdm():
            return commands[args.command](args)
    except ConfigError as exc:
        _print_errors(exc)
        return EXIT_USAGE
    except PdesolveError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_FAILED_RUNS
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: finished runs are stored; run again to resume\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
