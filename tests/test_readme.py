"""The README's and the docs' promises: the Python example runs from outside components/, the README's
commands are the CI's, and the generated references (components, a sample review) are up to date."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import ROOT, committed_files, edited_project

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
GENERATED = {"component-reference": DOCS / "components.md", "sample-review": DOCS / "review.md",
             "cluster-keys": DOCS / "cluster.md"}
"""Where each generated section lives: between ``<!-- name:start -->`` and ``<!-- name:end -->``."""


def test_readme_canary_example_runs_from_a_file_outside_components(tmp_path):
    block = (DOCS / "python-api.md").read_text(encoding="utf-8").split("<!-- example: canary -->", 1)[1]
    code = re.search(r"```python\n(.*?)```", block, re.S).group(1)
    script = tmp_path / "my_service.py"
    script.write_text(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "revisionName: api-v1" in result.stdout
    assert "tag: canary" in result.stdout
    assert "'canary': 'http://canary-api.default.apps.example.com'" in result.stdout


def test_ci_runs_the_readme_setup_and_test_commands():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    setup = "python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt"
    test = ".venv/bin/ruff check . && .venv/bin/python -m pytest -q"
    assert setup in README and test in README
    assert setup.replace("pip install", "pip install -q") in ci
    assert test in ci


# -- generated sections: the component reference and the sample review ---------------------------


def _section(name: str) -> tuple[str, str, str]:
    start, end = f"<!-- {name}:start -->\n", f"<!-- {name}:end -->"
    before, rest = GENERATED[name].read_text(encoding="utf-8").split(start, 1)
    body, after = rest.split(end, 1)
    return before + start, body, end + after


def _check_or_update(name: str, generated: str) -> None:
    before, body, after = _section(name)
    page = GENERATED[name]
    if os.environ.get("UPDATE_README"):
        page.write_text(before + generated + after, encoding="utf-8")
        return
    assert body == generated, (f"{page.relative_to(ROOT)}'s {name} section is stale; regenerate: "
                               f"UPDATE_README=1 pytest {__file__}")


def _cell(text: str) -> str:
    return f"`{text}`".replace("|", "\\|")


def _default(field) -> str:
    """A default as a short cell: a value, or what builds it (a giant repr says nothing)."""
    import dataclasses

    if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
        return "required"
    if field.default is not dataclasses.MISSING:
        value = field.default
        text = repr(value)
    else:
        value = field.default_factory()
        text = repr(value)
        if dataclasses.is_dataclass(value):
            text = f"{type(value).__name__}()"
    return _cell(text) if len(text) <= 40 else _cell(f"{type(value).__name__}(...)")


def component_reference() -> str:
    """Every public component, its argument dataclass and its attributes (annotated, then properties), from the code."""
    import dataclasses
    import importlib
    import inspect
    import pkgutil

    import pulumi

    import knative_platform
    from knative_platform.model.core.docstrings import field_docs
    from knative_platform.model.key_table import markdown_text

    blocks = []
    # every component: the root's (knative_platform.__all__) and the parts only Platform and KnativeApp compose
    components = {}
    for module in pkgutil.iter_modules(knative_platform.__path__):
        loaded = importlib.import_module(f"knative_platform.{module.name}")
        components.update({name: (loaded, cls) for name, cls in vars(loaded).items() if inspect.isclass(cls)
                           and issubclass(cls, pulumi.ComponentResource) and cls.__module__ == loaded.__name__})
    for name in sorted(components):
        module, cls = components[name]
        args = getattr(module, f"{name}Args")
        about = " ".join(markdown_text(inspect.getdoc(c).split("\n\n")[0]) for c in (cls, args))
        about += "" if name in knative_platform.__all__ else f" (from `{module.__name__}`)"
        docs = {f: markdown_text(d) for f, d in field_docs(args).items()}
        lines = [f"### `{name}`", "", about, "", f"`{name}(name, {args.__name__}(...), opts=None)`", "",
                 "| argument | type | default | meaning |", "|---|---|---|---|"]
        for field in dataclasses.fields(args):
            meaning = docs.get(field.name, "").replace("|", "\\|")
            lines.append(f"| `{field.name}` | {_cell(str(field.type))} | {_default(field)} | {meaning} |")
        lines += ["", "| attribute | type |", "|---|---|"]
        properties = [(attr, inspect.signature(prop.fget).return_annotation) for attr, prop in vars(cls).items()
                      if isinstance(prop, property)]
        attributes = [*cls.__annotations__.items(), *properties]
        lines += [f"| `{attr}` | {_cell(str(tp))} |" for attr, tp in attributes if not attr.startswith("_")]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def test_the_component_reference_is_generated_from_the_code():
    generated = component_reference()
    for name in ("KnativeApp", "Platform", "PlatformReference"):
        assert f"### `{name}`" in generated
    undocumented = re.findall(r"^\| `(\w+)` \|.*\|  \|$", generated, re.M)
    assert undocumented == [], "give each argument an attribute docstring: the reference's meaning column"
    assert not re.search(r":[a-z]+:`", generated), "a Sphinx role is left in the Markdown"
    _check_or_update("component-reference", generated)


def test_the_cluster_key_table_is_generated_from_the_attribute_docstrings():
    from knative_platform.model.cluster.cluster import GkeClusterSpec
    from knative_platform.model.key_table import key_rows, key_table

    undocumented = [row.key for row in key_rows(GkeClusterSpec, collapsed={"relax"}) if not row.meaning]
    assert undocumented == [], "give each cluster key an attribute docstring: the docs' table is made of them"
    _check_or_update("cluster-keys", key_table(GkeClusterSpec, collapsed={"relax"}))


def sample_review(tmp_path) -> str:
    """Staging's canary to 50%, greeter made public, helloworld-go's env changed without a new revision."""
    from knative_platform.offline import report
    from knative_platform.offline.diff import compare, load_renders
    from knative_platform.offline.render import render_files, write_tree
    from knative_platform.offline.stackfile import load_program_config
    from knative_platform.offline.update import previous_outputs, run_update

    head_project = edited_project(tmp_path, "staging", (
        ("      percent: 20", "      percent: 50"), ("visibility: cluster-local", "visibility: public"),
        ("TARGET: Knative staging v2", "TARGET: Knative staging v2.1")))
    for stack in ("local", "dev", "staging", "prod"):
        write_tree(committed_files(stack), tmp_path / "base" / stack)  # the base: the stack as committed
        # the head as the update after the base, as `diff --base-ref` renders it (render --previous)
        program = load_program_config(head_project, stack)
        capture, refused = run_update(program, previous_outputs(tmp_path / "base", stack))
        write_tree(render_files(capture, program, refused), tmp_path / "head" / stack)
    review = compare(load_renders(tmp_path / "base"), load_renders(tmp_path / "head"))
    summary = report.summary(review, title="Offline review: main → canary-50",
                             detail="`build/review/offline-review.md`")
    return f"````markdown\n{summary}````\n"


def test_the_sample_review_is_real_output_of_the_tool(tmp_path):
    generated = sample_review(tmp_path)
    for heading in ("### Refused by Knative", "### Security-relevant changes", "### Changes"):
        assert heading in generated
    _check_or_update("sample-review", generated)


def test_one_command_regenerates_every_generated_file():
    """.ci/regenerate runs every test that writes a generated file, with every variable that makes one write."""
    script = (ROOT / ".ci" / "regenerate").read_text(encoding="utf-8")
    writers = {}
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for variable in re.findall(r"os\.environ\.get\(\"(UPDATE_[A-Z]+)\"\)", path.read_text(encoding="utf-8")):
            writers.setdefault(variable, set()).add(f"tests/{path.name}")
    assert writers, "no test writes a generated file: the pattern above is stale"
    command = script.split("UPDATE_GOLDEN=1", 1)[1]
    for variable, files in writers.items():
        assert f"{variable}=1" in script, variable
        assert all(f in command for f in files), (variable, files)
