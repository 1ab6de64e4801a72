"""MkDocs hooks: the pages made at build time, the guides' navigation, and the check that
the API reference documents every public name.

- ``coverage.md`` is written by ``python -m chainrule coverage`` from the registry, so
  it is never stale (and never committed).
- Each notebook in ``notebooks/`` is run and becomes ``tutorials/<name>.md``, outputs
  included (``notebook_runner``).
- A page at the top of ``docs/`` that the ``nav`` of mkdocs.yml does not list joins the
  "Guides" section, titled by its first heading: a new guide needs no edit here.
- After the build, every name that ``public_api`` lists must have an entry (an anchor)
  in the reference; a missing one is a warning, which ``mkdocs build --strict`` turns
  into a failure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
# MkDocs restores sys.path once the hooks are loaded, so everything the build uses from
# this repository is imported now: this chainrule, not another installed copy.
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tools")]

import chainrule  # noqa: E402, F401
import doctest_blocks  # noqa: E402
import notebook_runner  # noqa: E402
import public_api  # noqa: E402

log = get_plugin_logger("chainrule")
GUIDES = "Guides"
_anchors: set[str] = set()


@event_priority(100)  # before mkdocstrings reads the Markdown extensions
def on_config(config):
    config.markdown_extensions.append(doctest_blocks.DoctestBlocks())
    _add_unlisted_guides(config)
    return config


def _add_unlisted_guides(config) -> None:
    listed = set(_nav_paths(config["nav"]))
    guides = next((section[GUIDES] for section in config["nav"]
                   if isinstance(section, dict) and GUIDES in section), None)
    if guides is None:
        return
    docs = Path(config["docs_dir"])
    for page in sorted(docs.glob("*.md")):
        if page.name not in listed and page.name != "index.md":
            guides.append({_title(page): page.name})


def _nav_paths(nav):
    for entry in nav:
        if isinstance(entry, str):
            yield entry
        elif isinstance(entry, dict):
            for value in entry.values():
                yield from ([value] if isinstance(value, str) else _nav_paths(value))


def _title(page: Path) -> str:
    heading = re.search(r"^# (.+)$", page.read_text(encoding="utf-8"), re.M)
    return heading.group(1).strip() if heading else page.stem.replace("-", " ").capitalize()


def on_files(files: Files, config) -> Files:
    stale = files.get_file_from_path("coverage.md")  # from `coverage --write docs/...`
    if stale is not None:
        files.remove(stale)
    files.append(File.generated(config, "coverage.md", content=_coverage_page()))
    for path in notebook_runner.notebook_paths():
        page = notebook_runner.to_markdown(notebook_runner.run(path), path.name)
        files.append(File.generated(config, f"tutorials/{path.stem}.md", content=page))
    return files


def _coverage_page() -> str:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT / "src"), environment.get("PYTHONPATH")]))
    finished = subprocess.run([sys.executable, "-m", "chainrule", "coverage"],
                              capture_output=True, text=True, env=environment, check=False)
    if finished.returncode != 0:
        log.warning("python -m chainrule coverage failed: %s", finished.stderr.strip())
    return finished.stdout


SPECIAL_TABLE = "<!-- table of chainrule.scipy.special -->"


def on_page_markdown(markdown: str, page, config, files) -> str:
    if SPECIAL_TABLE in markdown:
        markdown = markdown.replace(SPECIAL_TABLE, _special_functions_table())
    return markdown


def _special_functions_table() -> str:
    """One row per function of chainrule.scipy.special: most are SciPy's ufuncs made
    primitives, so their docstrings are SciPy's, of which the summary is shown."""
    import chainrule.scipy.special as special

    rows = ["| Function | What it computes |", "| --- | --- |"]
    for name in public_api.public_names("chainrule.scipy.special"):
        anchor = f'<a id="chainrule.scipy.special.{name}"></a>'
        rows.append(f"| {anchor}`{name}` | {_summary(getattr(special, name), name)} |")
    return "\n".join(rows)


def _summary(function, name: str) -> str:
    """The first sentence of a docstring, after the signature lines SciPy's start with."""
    paragraphs = [p.strip() for p in (function.__doc__ or "").split("\n\n") if p.strip()]
    while paragraphs and re.fullmatch(r"\w+\(.*\)", paragraphs[0], re.S):  # signatures
        paragraphs = paragraphs[1:]
    if not paragraphs:
        return f"as `scipy.special.{name}`"
    text = " ".join(paragraphs[0].split()).replace("``", "`").replace("|", "\\|")
    return re.split(r"\.\s+(?=[A-Z])", text)[0].rstrip(".") + "."


def on_page_content(html: str, page, config, files) -> str:
    _anchors.update(re.findall(r'id="(chainrule\.[\w.]+)"', html))
    return html


def on_post_build(config) -> None:
    entries = [entry for module in public_api.reference_entries().values() for entry in module]
    missing = [public for public, defined in entries if not {public, defined} & _anchors]
    if missing:
        log.warning("the API reference has no entry for %d public names (give each a "
                    "docstring and list its module in tools/public_api.py and "
                    "docs/reference/): %s", len(missing), ", ".join(missing))
    else:
        log.info("the API reference has an entry for each of the %d public names of %d "
                 "modules", len(entries), len(public_api.REFERENCE_MODULES))
    _anchors.clear()
