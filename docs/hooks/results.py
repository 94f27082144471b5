"""MkDocs hook: the curated ``results/`` are part of the site, never copied into it by hand.

- Every figure under ``results/`` becomes a file of the site at the same path
  (``results/<case>/<figure>.png``), so pages link the figures the runs wrote and strict mode
  fails on a link to a figure that is not there.
- A line ``<!-- report-section: results/<case>/report.md | <heading> -->`` is replaced by that
  section of the report (the heading's line down to the next heading of the same or a higher
  level, the heading itself left out); a missing report or heading fails the build.
"""

import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = re.compile(r"^<!-- report-section: (\S+) \| (.+?) -->$", re.M)


def on_files(files, config):
    for path in sorted((ROOT / "results").rglob("*.png")):
        files.append(File(path.relative_to(ROOT).as_posix(), str(ROOT), config["site_dir"],
                          config["use_directory_urls"]))
    return files


def report_section(report: str, heading: str) -> str:
    """The body of the section ``heading`` of the Markdown file ``report`` (under ROOT)."""
    path = ROOT / report
    if not path.is_file():
        raise PluginError(f"report-section: no file {report}")
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        level = len(line) - len(line.lstrip("#"))
        if level and line[level:].strip() == heading:
            body = []
            for rest in lines[i + 1:]:
                depth = len(rest) - len(rest.lstrip("#"))
                if depth and depth <= level and rest[depth:depth + 1] == " ":
                    break
                body.append(rest)
            return "\n".join(body).strip()
    raise PluginError(f"report-section: {report} has no heading {heading!r}")


def on_page_markdown(markdown, page, config, files):
    return INCLUDE.sub(lambda m: report_section(m.group(1), m.group(2)), markdown)
