"""The documentation site's own machinery: every public name has a docstring and a
reference page, new guides join the navigation by themselves, docstring examples
render as code."""

import inspect
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import public_api  # noqa: E402


def test_every_public_function_and_class_has_its_own_docstring():
    pytest.importorskip("scipy")
    undocumented = []
    for module_name in public_api.REFERENCE_MODULES:
        module = sys.modules.get(module_name) or __import__(module_name, fromlist=["_"])
        for name in public_api.public_names(module_name):
            obj = getattr(module, name)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and not obj.__doc__:
                undocumented.append(f"{module_name}.{name}")
    assert not undocumented, f"give these a docstring: {undocumented}"


def test_every_reference_module_has_a_reference_page():
    pages = "\n".join(page.read_text() for page in (ROOT / "docs" / "reference").glob("*.md"))
    documented = set(re.findall(r"^::: (chainrule[\w.]*)", pages, re.M))
    missing = [m for m in public_api.REFERENCE_MODULES if m not in documented]
    assert not missing, f"no page of docs/reference/ renders {missing}"


def test_public_names_are_the_modules_all_without_submodules():
    names = public_api.public_names("chainrule")
    assert "grad" in names and "Tensor" in names
    assert "nn" not in names and "numpy" not in names  # modules have pages of their own


def test_a_name_is_found_where_it_is_defined_too():
    entries = dict(public_api.reference_entries()["chainrule"])
    assert entries["chainrule.tensor"] == "chainrule.tensor.tensor"
    assert entries["chainrule.grad"] == "chainrule.transforms.grad"


def test_a_guide_missing_from_the_nav_joins_the_guides_with_its_title(tmp_path):
    hooks = _hooks()
    (tmp_path / "listed.md").write_text("# Listed\n")
    (tmp_path / "index.md").write_text("# Home\n")
    (tmp_path / "new-guide.md").write_text("Intro.\n\n# A new guide\n")
    config = {"docs_dir": str(tmp_path),
              "nav": [{"Home": "index.md"}, {"Guides": [{"Listed": "listed.md"}]}]}
    hooks._add_unlisted_guides(config)
    assert config["nav"][1]["Guides"] == [{"Listed": "listed.md"},
                                          {"A new guide": "new-guide.md"}]


def test_the_real_navigation_lists_every_page_it_names():
    yaml = pytest.importorskip("yaml")
    text = (ROOT / "mkdocs.yml").read_text()
    nav = yaml.safe_load(text[text.index("\nnav:"):])["nav"]
    built = {"coverage.md"} | {f"tutorials/{p.stem}.md" for p in (ROOT / "notebooks").glob("*.md")}
    missing = [path for path in _hooks()._nav_paths(nav)
               if path not in built and not (ROOT / "docs" / path).exists()]
    assert not missing


def test_docstring_examples_become_code_blocks_and_fenced_code_is_left_alone():
    markdown = pytest.importorskip("markdown")
    import doctest_blocks

    text = ("Text.\n\n>>> x = 1\n>>> x + 1\n2\n\nMore.\n\n"
            "```python\n>>> not an example\n```\n")
    html = markdown.markdown(text, extensions=["fenced_code", doctest_blocks.DoctestBlocks()])
    assert "<blockquote>" not in html
    assert html.count("<code") == 2 and "&gt;&gt;&gt; x + 1\n2" in html


def _hooks():
    pytest.importorskip("mkdocs")
    import mkdocs_hooks

    return mkdocs_hooks
