"""Stack files read as the Pulumi CLI reads them; secrets never in plain text, yet a rotation shows (issue 8).

The reader follows yaml.v3 (what the CLI parses stack files with), so each
case states what the CLI hands the program, or the file, line and reason it
refuses. The secret cases render a copy of the project offline and diff it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from knative_platform.offline.__main__ import main
from knative_platform.offline.secrets import is_credential_name
from knative_platform.offline.stackfile import StackFileError, load_program_config

HEAD = ("config:\n  knative-platform:cluster: {type: existing, context: team-cluster}\n"
        "  knative-platform:domain: example.com\n")


def project(tmp_path: Path, stack_text: str, name: str = "qa") -> Path:
    """A copy of this project with one more stack file."""
    out = tmp_path / "project"
    if not out.exists():
        out.mkdir()
        for file in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(ROOT / file, out / file)
        (out / "stacks").mkdir()
        shutil.copy(ROOT / "stacks" / "services.py", out / "stacks" / "services.py")
        shutil.copy(ROOT / "stacks" / "__init__.py", out / "stacks" / "__init__.py")
    (out / "stacks" / f"Pulumi.{name}.yaml").write_text(stack_text, encoding="utf-8")
    return out


ACCEPTED = [
    ("a date stays the text written", "  team:day: 2026-01-01\n", "team:day",
     "2026-01-01"),
    ("yes is a string, not a boolean", "  team:flag: yes\n", "team:flag", "yes"),
    ("base-60 is a string", "  team:when: 1:30\n", "team:when", "1:30"),
    ("Go integers", "  team:n: 0x1f\n", "team:n", "31"),
    ("past int64 a float", "  team:n: 99999999999999999999\n", "team:n", "1e+20"),
    ("past a float's range the text", "  team:n: 1" + "0" * 400 + "\n", "team:n", "1" + "0" * 400),
    ("!!binary is its text", "  team:b: !!binary aGVsbG8=\n", "team:b", "hello"),
    ("integer keys become text", "  team:m: {1: a, true: b}\n", "team:m", '{"1":"a","true":"b"}'),
    ("null is JSON null", "  team:n: null\n", "team:n", "null"),
    ("a secure value inside a map keeps the map", "  team:m: {a: {secure: v1:abc}}\n", "team:m",
     '{"a":"[secret]"}'),
    ("secure must be text to be a secret", "  team:m: {secure: 5}\n", "team:m", '{"secure":5}'),
    ("the old ns:config:name form", "  team:config:x: 1\n", "team:x", "1"),
    ("octal, zero and a 19-digit integer", "  team:n: [017, 0, 1234567890123456789]\n", "team:n",
     "[15,0,1234567890123456789]"),
    # gopkg.in/yaml.v3 v3.0.1 decode.go (*decoder).merge: the map's own keys win, then the first merged map's
    ("a merge key: the map's own keys win", "  team:m: {<<: {a: 1, b: 2}, b: 3}\n", "team:m", '{"a":1,"b":3}'),
    ("a merge of two maps: the first one's keys win", "  team:m: {<<: [{a: 1}, {a: 2, c: 3}]}\n", "team:m",
     '{"a":1,"c":3}'),
    ("an alias is its anchor's value", "  team:a: &x {k: [1, 2]}\n  team:b: *x\n", "team:b", '{"k":[1,2]}'),
    ("a tagged key is its value's text", "  team:m: {!!int 0x1f: a, !!binary aGk=: b}\n", "team:m",
     '{"31":"a","hi":"b"}'),
    ("= is a key like any other", "  team:m: {=: a}\n", "team:m", '{"=":"a"}'),
    ("text naming secure is not a secret", "  team:m: ['\"secure\": x']\n", "team:m", '["\\"secure\\": x"]'),
]


@pytest.mark.parametrize(("text", "key", "value"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_what_the_cli_accepts_reaches_the_program_as_the_cli_passes_it(tmp_path, text, key, value):
    program = load_program_config(project(tmp_path, HEAD + text), "qa")
    assert program.config[key] == value


REFUSED = [
    ("!!set", "  team:s: !!set {a, b}\n", ":4: the tag !!set is not a type Pulumi config has"),
    ("!!int on text", "  team:n: !!int abc\n", ":4: 'abc' is tagged !!int but is not an integer"),
    ("a custom tag", "  team:n: !Ref other\n", ":4: the tag !Ref is not a type Pulumi config has"),
    ("a null key", "  team:m: {~: a}\n", ":4: a map key is null; keys are text: quote it"),
    ("a duplicate key", "  team:a: 1\n  team:a: 2\n", ":5: the key 'team:a' is already defined at line 4; keep one"),
    (".inf", "  team:n: .inf\n", ":4: .inf is not a number Pulumi can store"),
    ("deep nesting", "  team:n: " + "[" * 40 + "]" * 40 + "\n", ":4: this value nests more than 32 levels deep"),
    ("alias bombs", "  a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"  {n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip("abcde", "bcdef", strict=True)),
     ":4: aliases expand the file too far"),
    ("a config that is not a map", "  - a\n", ": config must be a map, got a list"),
    ("a key with two colons", "  a:b:c: 1\n", ": config key 'a:b:c' is not of the form <namespace>:<name>"),
    ("invalid YAML", "  a: b: c\n", ":4: mapping values are not allowed in this context"),
    ("a merge of text", "  team:m: {<<: x}\n",
     ":4: while constructing a mapping expected a mapping or list of mappings for merging, but found scalar"),
    ("a key tagged !!int that is not one", "  team:m: {!!int k: v}\n", ":4: 'k' is tagged !!int but is not an integer"),
    ("a key with a custom tag", "  team:m: {!Ref k: v}\n", ":4: could not determine a constructor for the tag '!Ref'"),
    ("a bad key before its bad value", "  team:m: {!!int k: !!int v}\n", ":4: 'k' is tagged !!int"),
    ("a duplicate key before a bad value", "  team:m: {a: !!int x, a: 1}\n", ":4: the key 'a' is already defined"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_what_the_cli_refuses_is_a_stack_file_error_with_file_and_line(tmp_path, text, expected):
    path = project(tmp_path, "config:\n" + text if text.startswith("  - ") else HEAD + text)
    with pytest.raises(StackFileError) as info:
        load_program_config(path, "qa")
    assert str(info.value).startswith(str(path / "stacks" / "Pulumi.qa.yaml")), str(info.value)
    assert expected in str(info.value), str(info.value)


def test_a_large_file_is_read_however_many_values_it_writes_out(tmp_path):
    """A stack of thousands of services writes out hundreds of thousands of values (issue 9)."""
    program = load_program_config(project(tmp_path, HEAD + "  team:big: [" + ",".join(["1"] * 150_000) + "]\n"), "qa")
    assert len(json.loads(program.config["team:big"])) == 150_000


def test_anchors_shared_by_many_maps_are_read(tmp_path):
    shared = "  team:defaults: &d {" + ", ".join(f"k{i}: v" for i in range(20)) + "}\n"
    uses = "  team:services:\n" + "".join(f"    s{i}: {{<<: *d, image: x}}\n" for i in range(2_000))
    program = load_program_config(project(tmp_path, HEAD + shared + uses), "qa")
    services = json.loads(program.config["team:services"])
    assert len(services) == 2_000 and services["s7"]["k19"] == "v"


def test_a_secure_value_anywhere_makes_its_key_secret_and_text_naming_secure_does_not(tmp_path):
    text = HEAD + ("  team:deep: [{a: &s {secure: v1:abc}}, *s]\n  team:plain: {a: ['\"secure\": v1:abc']}\n"
                   "  team:notext: {secure: 5}\n")
    program = load_program_config(project(tmp_path, text), "qa")
    assert program.secret_keys == ("team:deep",)
    assert program.config["team:deep"] == '[{"a":"[secret]"},"[secret]"]'
    assert "abc" not in program.config["team:deep"] and list(program.secret_fingerprints) == ["team:deep"]


def test_a_document_that_is_not_a_map_is_refused(tmp_path):
    path = project(tmp_path, "- just\n- a list\n")
    with pytest.raises(StackFileError, match="a stack file must be a map, got a list"):
        load_program_config(path, "qa")


def test_a_bad_stack_file_exits_2_through_render_without_a_traceback(tmp_path, capsys):
    path = project(tmp_path, HEAD + "  team:n: !!int abc\n")
    assert main(["render", "--stack", "qa", "--project", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {path / 'stacks' / 'Pulumi.qa.yaml'}:4: 'abc' is tagged !!int but is not an integer\n"


# -- secrets ----------------------------------------------------------------------------------------


def render(tmp_path: Path, text: str, out: str) -> Path:
    path = project(tmp_path, text)
    assert main(["render", "--stack", "qa", "--project", str(path), "--out", str(tmp_path / out)]) == 0
    return tmp_path / out


def test_a_rotated_secret_shows_as_changed_with_its_value_redacted(tmp_path, capsys):
    base = render(tmp_path, HEAD + "  knative-platform:kubeconfig:\n    secure: v1:OLDCIPHERTEXT\n", "base")
    head = render(tmp_path, HEAD + "  knative-platform:kubeconfig:\n    secure: v1:NEWCIPHERTEXT\n", "head")
    capsys.readouterr()
    detail = tmp_path / "detail.md"
    assert main(["diff", str(base), str(head), "--detail", str(detail)]) == 0
    summary = capsys.readouterr().out
    assert "No changes" not in summary
    assert "`knative-platform:kubeconfig` is a secret whose value changed (rotated; both values redacted)" in summary
    for text in (summary, detail.read_text(), *(p.read_text() for p in (base / "stack.yaml", head / "stack.yaml"))):
        assert "CIPHERTEXT" not in text
    assert (base / "stack.yaml").read_text() != (head / "stack.yaml").read_text()
    assert "[secret " in (head / "stack.yaml").read_text()


def test_an_unchanged_secret_keeps_its_fingerprint(tmp_path):
    text = HEAD + "  knative-platform:kubeconfig:\n    secure: v1:SAME\n"
    one = load_program_config(project(tmp_path, text), "qa").secret_fingerprints
    two = load_program_config(project(tmp_path, text), "qa").secret_fingerprints
    assert one == two and list(one) == ["knative-platform:kubeconfig"]


def test_credential_named_plain_values_never_reach_a_render_or_a_review(tmp_path, capsys):
    plain = ("  gcp:accessToken: ya29.PLAIN-ACCESS-TOKEN\n"
             "  knative-platform:services:\n    api:\n      image: ghcr.io/acme/api:1\n"
             "      env: {AWS_SECRET_ACCESS_KEY: PLAIN-AWS-KEY, LOG_LEVEL: info}\n")
    base = render(tmp_path, HEAD, "base")
    head = render(tmp_path, HEAD + plain, "head")
    capsys.readouterr()
    detail = tmp_path / "detail.md"
    assert main(["diff", str(base), str(head), "--detail", str(detail)]) == 0
    texts = [capsys.readouterr().out, detail.read_text(), *(p.read_text() for p in head.rglob("*.yaml"))]
    for text in texts:
        assert "PLAIN-ACCESS-TOKEN" not in text and "PLAIN-AWS-KEY" not in text
    assert any("LOG_LEVEL" in text and "info" in text for text in texts)


@pytest.mark.parametrize(("name", "credential"), [
    ("gcp:accessToken", True), ("AWS_SECRET_ACCESS_KEY", True), ("AWS_ACCESS_KEY_ID", True), ("DB_PASSWORD", True),
    ("privateKey", True), ("kubeconfig", True), ("GITHUB_TOKEN", True), ("clientSecret", True),
    ("secretName", False), ("secretKeyRef", False), ("TOKEN_URL", False), ("secret", False), ("LOG_LEVEL", False),
    ("key", False), ("secretEnv", False),
])
def test_credential_names(name, credential):
    assert is_credential_name(name) is credential


@pytest.mark.parametrize("resources", ["a: 5\n", "a: {inputs: [1]}\n", "- not a map\n", "a: {dependsOn: x}\n"])
def test_a_malformed_render_exits_2_through_diff_without_a_traceback(tmp_path, capsys, resources):
    for side in ("base", "head"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "stack.yaml").write_text("project: p\nstack: s\n")
        (tmp_path / side / "resources.yaml").write_text(resources)
    assert main(["diff", str(tmp_path / "base"), str(tmp_path / "head"), "--detail", str(tmp_path / "d.md")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "render" in err and "Traceback" not in err
