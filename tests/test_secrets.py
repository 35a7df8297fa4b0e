"""Plain-text credentials: redacted by name and by the shape of the value, and the review says to make them secrets.

A Pulumi secret never reaches a render. A credential written in plain text
(in the stack file, or in a render a fork edited) is already public, but the
README promises that a render, a review and its detail do not repeat it: the
second line of redaction (:mod:`knative_platform.offline.secrets`) catches it by its
name (``GITHUB_PAT``, ``PGPASSWORD``) and by its shape (a URL with a password,
a PEM private key, ``Bearer …``, ``--token=…``), and the review tells the
author to make it a Pulumi secret.
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, committed_files, edited_project, run_stack

from knative_platform.offline import report
from knative_platform.offline.diff import compare, load_renders
from knative_platform.offline.render import render_files, write_tree
from knative_platform.offline.secrets import PLAIN_TEXT, REDACTED, is_redacted, redact
from knative_platform.offline.stackfile import load_program_config

X = "hunter2-Xq7"
PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + X + "\n-----END RSA PRIVATE KEY-----")
CASES = {
    "GITHUB_PAT": f"github_pat_11A{X}",
    "DATABASE_URL": f"postgres://u:{X}@db/app",
    "SENTRY_DSN": f"https://{X}@o1.ingest.sentry.io/1",
    "SLACK_WEBHOOK_URL": f"https://hooks.slack.com/services/T0/B0/{X}",
    "PGPASSWORD": X,
    "MYSQL_PWD": X,
    "JWT": f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.{X}",
    "AUTH_HEADER": f"Bearer {X}",
    "TLS_KEY_PEM": PEM,
    "GREETING_WITH_KEY": f"see {PEM} there",
}


def env_object(env: dict[str, str], args: list[str] | None = None) -> dict:
    container = {"image": "i", "env": [{"name": k, "value": v} for k, v in env.items()], "args": args or []}
    return {"kind": "Service", "metadata": {"name": "api"}, "spec": {"template": {"spec": {"containers": [container]}}}}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_credential_in_an_environment_variable_is_redacted_by_its_name_or_its_shape(name):
    text = json.dumps(redact(env_object({name: CASES[name]})))
    assert X not in text, text


@pytest.mark.parametrize("args", [[f"--token={X}"], [f"--password={X}"], ["--token", X], ["--api-key", X],
                                  ["-p", "8080", f"--db-password={X}"], [f"--auth=Bearer {X}"]])
def test_a_credential_on_a_command_line_is_redacted(args):
    redacted = redact(env_object({}, args))
    assert X not in json.dumps(redacted)
    assert redacted["spec"]["template"]["spec"]["containers"][0]["args"][0].startswith("-")  # the flag stays


@pytest.mark.parametrize(("data", "kind"), [
    ({"dsn": f"https://{X}@o1.ingest.sentry.io/1"}, "ConfigMap"),
    ({"knative-platform:SECRET": X}, None),
    ({"knative-platform:db": {"url": f"mysql://root:{X}@db:3306/app"}}, None),
    ({"note": f"call with Authorization: Bearer {X}"}, None),
    ({"jwt": X}, None), ({"pat": X}, None), ({"connection": f"postgresql://app:{X}@10.0.0.3/app?sslmode=off"}, None),
])
def test_a_credential_under_a_key_or_in_a_value_is_redacted(data, kind):
    assert X not in json.dumps(redact({"kind": kind, "data": data} if kind else data, kind))


@pytest.mark.parametrize("value", ["https://example.com/path", "postgres://db/app", "Bearer", "--tokens-per-second=4",
                                   "a-token-bucket", "PWD", "/var/run/secrets/tokens", "password-reset-page"])
def test_values_that_only_look_alike_are_kept(value):
    assert redact({"GREETING": value, "args": [value]}) == {"GREETING": value, "args": [value]}


def test_names_that_refer_to_a_credential_keep_their_value():
    kept = {"secretName": "db", "TOKEN_URL": "https://auth/token", "passwordFile": "/etc/pw", "PWD": "/app"}
    assert redact(kept) == kept


def test_a_plain_text_credential_is_marked_apart_from_a_pulumi_secret():
    redacted = redact({"PGPASSWORD": X, "kubeconfig": REDACTED})
    assert redacted == {"PGPASSWORD": PLAIN_TEXT, "kubeconfig": REDACTED}
    assert is_redacted(PLAIN_TEXT) and is_redacted(REDACTED)


def test_the_review_says_a_plain_text_credential_should_be_a_pulumi_secret(tmp_path):
    services = json.loads(load_program_config(ROOT, "staging").config["knative-platform:services"])
    services["greeter"]["env"] = {"DATABASE_URL": f"postgres://u:{X}@db/app", "PGPASSWORD": X}
    project = edited_project(tmp_path, "staging", ())
    stack = project / "stacks" / "Pulumi.staging.yaml"
    stack.write_text(stack.read_text() + f"  acme:SECRET: {X}\n")  # a key of the team's own namespace
    program = load_program_config(project, "staging")
    base, head = tmp_path / "base", tmp_path / "head"
    write_tree(committed_files("staging"), base / "staging")
    write_tree(render_files(run_stack("staging", {"services": services}, project=project), program), head / "staging")
    rendered = "".join(p.read_text() for p in (head / "staging").rglob("*.yaml"))
    assert X not in rendered
    review = compare(load_renders(base), load_renders(head))
    plain = [f for f in review.findings if f.topic == "plain-text credential"]
    assert {f.resource for f in plain} >= {"stack config", "Service default/greeter"}
    assert all("Pulumi secret" in f.message for f in plain)
    summary = report.summary(review, title="t", detail="d")
    assert X not in summary and X not in report.detail(review, title="t")
    assert "`acme:SECRET`" in summary and "pulumi config set --secret" in summary
