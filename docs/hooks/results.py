"""MkDocs hook: the curated figures under ``results/`` become files of the site.

The pages show the figures the experiments and case runs wrote (``results/<case>/*.png``)
by linking ``results/...`` from the documentation root, so no figure is copied by hand and
strict mode fails on a link to a figure that is not there.
"""

from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]


def on_files(files, config):
    for path in sorted((ROOT / "results").rglob("*.png")):
        files.append(File(path.relative_to(ROOT).as_posix(), str(ROOT), config["site_dir"],
                          config["use_directory_urls"]))
    return files
