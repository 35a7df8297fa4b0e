"""A stack that imports Pulumi ESC environments: the offline render and the review say what they cannot see.

``pulumi up`` merges the environments' ``pulumiConfig`` under the stack file's values (pulumi/pulumi v3.259.0
pkg/workspace/config.go ``mergeConfig``); the render has no Pulumi Cloud credentials, so it warns (with the stack's
name), records the keys that may differ in ``environment.yaml``, and the review lists the stack in a section no
summary leaves out (components/offline/esc.py says why it warns rather than refuses).
"""

from __future__ import annotations

import pytest
import yaml
from test_stackfile import HEAD, project

from knative_platform.offline import report
from knative_platform.offline.__main__ import main
from knative_platform.offline.diff import FindingKind, compare, load_renders
from knative_platform.offline.esc import INLINE, environment_imports
from knative_platform.offline.stackfile import StackFileError, load_program_config

ENV = "environment:\n  - knative/qa\n  - shared/dns\n"


@pytest.mark.parametrize(("value", "imports"), [
    (None, ()),
    ([], ()),
    (["a/dev", "b/dev"], ("a/dev", "b/dev")),
    ({"imports": ["a/dev", {"b/dev": {"merge": False}}]}, ("a/dev", "b/dev")),
    ({"imports": ["a/dev"], "values": {"pulumiConfig": {"x": 1}}}, ("a/dev", INLINE)),
    ({"values": {"pulumiConfig": {"x": 1}}}, (INLINE,)),
], ids=["none", "empty", "names", "definition", "definition with values", "values only"])
def test_the_environments_a_stack_imports_are_read_as_the_cli_reads_them(value, imports):
    assert environment_imports(value) == imports


def test_an_environment_block_that_is_neither_names_nor_a_definition_is_refused_with_its_form(tmp_path):
    with pytest.raises(StackFileError) as info:
        load_program_config(project(tmp_path, HEAD + "environment: knative/qa\n"), "qa")
    assert str(info.value).endswith("Pulumi.qa.yaml: environment: must be a list of environment names (environment: "
                                    "[project/dev]) or an environment definition (a map with imports and values)")


def test_the_render_says_which_keys_may_come_from_the_environments(tmp_path, capsys):
    # no domain in the file: the project's default ("") is what the render uses, where ESC may set one
    text = ENV + ("config:\n  knative-platform:cluster: {type: existing, context: team-cluster, "
                  "ingressAddress: 203.0.113.7}\n")
    root = project(tmp_path, text)
    environment = load_program_config(root, "qa").environment
    assert environment is not None
    assert environment.imports == ("knative/qa", "shared/dns")
    assert environment.set_keys == environment.maps == ("knative-platform:cluster",)
    assert environment.defaulted == ("knative-platform:domain", "knative-platform:ingress")
    assert main(["render", "--project", str(root), "--stack", "qa", "--out", str(tmp_path / "qa")]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: qa: stacks/Pulumi.qa.yaml imports Pulumi ESC environment(s) knative/qa, "
                          "shared/dns, which the offline render cannot open (they live in Pulumi Cloud): it shows the "
                          "stack file's values only, and `pulumi up` may use others. From the environments may come "
                          "any config key the stack file does not set (of those, this render used the project's "
                          "defaults for knative-platform:domain, knative-platform:ingress), and keys inside the maps "
                          "the file sets (knative-platform:cluster). To review such a value offline, set it in the "
                          "stack file, where it wins over the environment\n")
    assert yaml.safe_load((tmp_path / "qa" / "environment.yaml").read_text()) == {
        "imports": ["knative/qa", "shared/dns"], "setInStackFile": ["knative-platform:cluster"],
        "mapsTheEnvironmentMayExtend": ["knative-platform:cluster"],
        "projectDefaultsUsed": ["knative-platform:domain", "knative-platform:ingress"]}


def test_a_stack_without_environments_renders_no_environment_file_and_no_warning(tmp_path, capsys):
    root = project(tmp_path, HEAD)
    assert load_program_config(root, "qa").environment is None
    assert main(["render", "--project", str(root), "--stack", "qa", "--out", str(tmp_path / "qa")]) == 0
    assert "warning" not in capsys.readouterr().err
    assert not (tmp_path / "qa" / "environment.yaml").exists()


def test_the_review_lists_every_stack_that_imports_environments_first(tmp_path, capsys):
    root = project(tmp_path, HEAD)
    assert main(["render", "--project", str(root), "--stack", "qa", "--out", str(tmp_path / "base")]) == 0
    (root / "stacks" / "Pulumi.qa.yaml").write_text(ENV + HEAD, encoding="utf-8")
    assert main(["render", "--project", str(root), "--stack", "qa", "--out", str(tmp_path / "head")]) == 0
    review = compare(load_renders(tmp_path / "base"), load_renders(tmp_path / "head"))
    assert [(f.kind, f.stack, f.resource, f.message) for f in review.findings if f.kind is FindingKind.UNSEEN] == [
        (FindingKind.UNSEEN, "qa", "stack config",
         "imports Pulumi ESC environment(s) `knative/qa`, `shared/dns`, which this review cannot open: values they "
         "set are not shown here, and `pulumi up` merges them in. From them may come any config key the stack file "
         "does not set (of those, this render used the project's defaults for `knative-platform:ingress`), and keys "
         "inside the maps the file sets (`knative-platform:cluster`). Set a value in the stack file to review it")]
    summary = report.summary(review, title="t", detail="d", limit=1_000)  # a tight budget drops no finding
    assert "### Values this review cannot see" in summary and "- **`qa`** `stack config`: imports" in summary
    # the stack is unchanged otherwise: the section still shows, since the environments may have changed
    again = compare(load_renders(tmp_path / "head"), load_renders(tmp_path / "head"))
    assert [f.kind for f in again.findings] == [FindingKind.UNSEEN]


def test_a_required_key_the_environments_may_set_is_still_needed_offline(tmp_path):
    root = project(tmp_path, ENV + HEAD)
    (root / "Pulumi.yaml").write_text((root / "Pulumi.yaml").read_text() + "  team:\n    type: string\n")
    with pytest.raises(StackFileError) as info:
        load_program_config(root, "qa")
    assert str(info.value).endswith(
        "missing configuration value 'knative-platform:team'; set it with `pulumi config set` (the stack imports ESC "
        "environment(s) knative/qa, shared/dns, which may set it for `pulumi up`, but the offline render cannot open "
        "them: set it in the stack file to render offline)")
