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
GENERATED = {"component-reference": DOCS / "components.md", "sample-review": DOCS / "review.md"}
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


def component_reference() -> str:
    """Every public component, its argument dataclass and its attributes (annotated, then properties), from the code."""
    import dataclasses
    import inspect

    import pulumi

    import knative_platform

    blocks = []
    for name in sorted(knative_platform.__all__):
        cls = getattr(knative_platform, name)
        if not (inspect.isclass(cls) and issubclass(cls, pulumi.ComponentResource)):
            continue
        args = getattr(knative_platform, f"{name}Args")
        about = " ".join(inspect.getdoc(c).split("\n\n")[0].replace("\n", " ") for c in (cls, args))
        lines = [f"### `{name}`", "", about, "", f"`{name}(name, {args.__name__}(...), opts=None)`", "",
                 "| argument | type | default |", "|---|---|---|"]
        for field in dataclasses.fields(args):
            if field.default is not dataclasses.MISSING:
                default = _cell(repr(field.default))
            elif field.default_factory is not dataclasses.MISSING:
                default = _cell(repr(field.default_factory()))
            else:
                default = "required"
            lines.append(f"| `{field.name}` | {_cell(str(field.type))} | {default} |")
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
    _check_or_update("component-reference", generated)


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
