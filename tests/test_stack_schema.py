"""The stack-file JSON Schema: generated from the typed model, committed, and true to the shipped stacks."""

from __future__ import annotations

import copy
import functools
import json
import os

import jsonschema
import pytest
import yaml
from conftest import ROOT, STACKS

from knative_platform.model import schema

SCHEMA_FILE = ROOT / "stacks" / "stack-file.schema.json"
COMMENT = "# yaml-language-server: $schema=./stack-file.schema.json\n"


@functools.cache  # checked and built once per session: the schema file does not change under the tests
def validator() -> jsonschema.Draft202012Validator:
    document = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


def stack(name: str) -> dict:
    return yaml.safe_load((ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text(encoding="utf-8"))


def test_the_committed_schema_is_the_generated_one():
    if os.environ.get("UPDATE_GOLDEN"):
        SCHEMA_FILE.write_text(schema.render(), encoding="utf-8")
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema.render(), (
        "stacks/stack-file.schema.json is stale; regenerate: python -m knative_platform.model.schema > "
        "stacks/stack-file.schema.json")


@pytest.mark.parametrize("name", STACKS)
def test_every_shipped_stack_file_is_valid_and_points_editors_at_the_schema(name):
    path = ROOT / "stacks" / f"Pulumi.{name}.yaml"
    assert path.read_text(encoding="utf-8").startswith(COMMENT)
    errors = [f"{e.json_path}: {e.message}" for e in validator().iter_errors(stack(name))]
    assert errors == []


def _set(doc: dict, path: list, value) -> dict:
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def _rename(doc: dict, path: list, new: str) -> dict:
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[new] = node.pop(path[-1])
    return doc


@pytest.mark.parametrize(("broken", "where"), [
    (lambda d: _rename(d, ["config", "knative-platform:domain"], "knative-platform:domian"), "$.config"),
    (lambda d: _rename(d, ["config", "knative-platform:cluster", "profile"], "profle"),
     "$.config['knative-platform:cluster']"),
    (lambda d: _set(d, ["config", "knative-platform:ingress"], "gloo"), "$.config['knative-platform:ingress']"),
    (lambda d: _set(d, ["config", "knative-platform:services"], {"api": {"image": "x", "minScale": 1}}),
     "$.config['knative-platform:services'].api"),
    (lambda d: _set(d, ["config", "knative-platform:knative"], {"autoscaler": {"scaleToZero": "no"}}),
     "$.config['knative-platform:knative'].autoscaler.scaleToZero"),
])
def test_the_schema_rejects_a_typo(broken, where):
    errors = list(validator().iter_errors(broken(stack("staging"))))
    assert errors, "the broken stack file passed"
    assert any(e.json_path.startswith(where) for e in errors) or any(
        c.json_path.startswith(where) for e in errors for c in e.context), [e.json_path for e in errors]


def test_other_namespaces_are_left_to_their_providers():
    doc = _set(stack("dev"), ["config", "gcp:project"], "anything")
    assert list(validator().iter_errors(doc)) == []


def docs_examples() -> list[tuple[str, dict]]:
    """Every stack-file example in the docs (a YAML block with knative-platform:* keys)."""
    import re

    found = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for block in re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            try:
                doc = yaml.safe_load(block)
            except yaml.YAMLError:
                continue
            if isinstance(doc, dict) and any(str(k).startswith("knative-platform:") for k in doc):
                doc = {"config": doc}
            if isinstance(doc, dict) and "config" in doc:
                found.append((page.name, doc))
    return found


def test_every_stack_file_example_in_the_docs_is_valid():
    examples = docs_examples()
    assert len(examples) >= 3
    for page, doc in examples:
        assert [f"{e.json_path}: {e.message}" for e in validator().iter_errors(doc)] == [], page
