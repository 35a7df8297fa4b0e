"""The ``knative-platform`` command and the stack-file reader's handling of typed config and templates."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, committed, committed_team_app

from knative_platform import cli
from knative_platform.model.platform.platform import build_platform_spec
from knative_platform.offline.stackfile import StackFileError, load_program_config

TEAM_APP = ROOT / "examples" / "team-app"


def test_help_shows_every_subcommand_examples_and_the_exit_status_contract(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for name in cli.SUBCOMMANDS:
        assert name in text
    assert "knative-platform render --stack dev" in text
    assert "exit status:" in text
    assert "2  bad configuration, input or usage" in text


RST = re.compile(r"``|:(?:class|attr|mod|func|data|meth):")
"""Sphinx and reST markup, which a terminal shows as it is."""


@pytest.mark.parametrize("command", [[], *([name] for name in cli.SUBCOMMANDS)])
def test_every_help_is_plain_text(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([*command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: knative-platform {command[0] if command else ''}".rstrip())
    assert not RST.search(text), RST.search(text)


def test_the_set_up_installs_the_command_and_the_import_name(tmp_path):
    """README's set-up (requirements-dev.txt) installs this package editable: the command, and the import name
    from anywhere (here from a directory outside the repository, where no link to components/ is in reach)."""
    script = Path(sys.executable).parent / "knative-platform"
    assert script.is_file(), f"no {script}: run the set-up, .venv/bin/pip install -r requirements-dev.txt"
    result = subprocess.run([str(script), "--help"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: knative-platform") and not RST.search(result.stdout)
    code = "import knative_platform; print(knative_platform.__file__)"
    imported = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert imported.returncode == 0, imported.stderr
    assert Path(imported.stdout.strip()).parts[-2:] == ("components", "__init__.py")  # a checkout, editable

def test_version_is_the_distributions(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.startswith("knative-platform ")


def test_an_unknown_command_suggests_the_closest(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["rendr", "--stack", "dev"])
    assert exit_.value.code == 2
    assert "unknown command 'rendr' (did you mean 'render'?)" in capsys.readouterr().err


def test_subcommands_dispatch_to_the_offline_command_line(tmp_path, capsys):
    assert cli.main(["render", "--stack", "dev", "--project", str(TEAM_APP), "--out", str(tmp_path)]) == 0
    assert "rendered dev: 14 resources, 4 Kubernetes objects" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["diff", "--help"])
    assert capsys.readouterr().out.startswith("usage: knative-platform diff")


def test_a_mistyped_stack_gets_a_suggestion(tmp_path, capsys):
    assert cli.main(["render", "--stack", "stagign", "--out", str(tmp_path)]) == 2
    assert "no stack 'stagign' (did you mean 'staging'?)" in capsys.readouterr().err


def test_a_mistyped_diff_stack_gets_a_suggestion(capsys):
    assert cli.main(["diff", "--base-ref", "HEAD", "--stack", "prdo", "--repo", str(ROOT)]) == 2
    assert "no project has a stack 'prdo' (did you mean 'prod'?)" in capsys.readouterr().err


# -- typed config: the declarations act as the Pulumi CLI applies them -------------------------


def project(tmp_path, config: dict, stack_config: dict, name: str = "app"):
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump({"name": name, "runtime": "python", "config": config}))
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": stack_config}))
    (tmp_path / "__main__.py").write_text("")
    return tmp_path


@pytest.mark.parametrize(("config", "stack_config", "message"), [
    ({"region": {"type": "string", "description": "where"}}, {}, "missing configuration value 'app:region' (where)"),
    ({"token": {"type": "string", "secret": True}}, {"app:token": "plain"}, "'app:token' must be encrypted"),
    ({"token": {"type": "string", "secret": True, "default": ""}}, {}, "a secret key cannot have a default"),
    ({"count": {"type": "integer"}}, {"app:count": "three"}, "'app:count' must be of type 'integer'"),
    ({"debug": {"type": "boolean"}}, {"app:debug": "yes"}, "'app:debug' must be of type 'boolean'"),
])
def test_a_stack_the_cli_would_refuse_is_refused_offline(tmp_path, config, stack_config, message):
    with pytest.raises(StackFileError) as info:
        load_program_config(project(tmp_path, config, stack_config), "dev")
    assert message in str(info.value)


def test_declared_defaults_fill_in_and_a_set_value_wins(tmp_path):
    config = {"ingress": {"type": "string", "default": "kgateway"}, "domain": {"type": "string", "default": ""},
              "count": {"type": "integer", "default": 3}, "token": {"type": "string", "secret": True}}
    program = load_program_config(project(tmp_path, config, {"app:count": 5, "app:token": {"secure": "x"}}), "dev")
    assert program.config == {"app:count": "5", "app:domain": "", "app:ingress": "kgateway", "app:token": "[secret]"}
    assert program.secret_keys == ("app:token",)


def test_the_platform_reads_its_declared_defaults():
    program = load_program_config(ROOT, "dev")
    assert program.config["knative-platform:ingress"] == "kgateway"
    # The declared default "" is no domain: the gateway's reserved address on sslip.io.
    cluster = {"type": "existing", "ingressAddress": "203.0.113.7"}
    assert build_platform_spec("dev", {"domain": "", "cluster": cluster}).domain is None


def test_a_template_is_named_after_its_directory_and_its_stack_files_follow(tmp_path):
    copy = tmp_path / "shop-front"
    shutil.copytree(TEAM_APP, copy, ignore=shutil.ignore_patterns("build", "__pycache__"))
    assert yaml.safe_load((copy / "Pulumi.yaml").read_text())["name"] == "${PROJECT}"
    program = load_program_config(copy, "dev")
    assert program.project == "shop-front"
    assert program.config["shop-front:platformStack"] == "organization/knative-platform/dev"
    assert load_program_config(TEAM_APP, "prod").project == "team-app"


def test_one_process_runs_the_platform_and_the_app_project_on_one_set_of_modules():
    """The engine runs the platform program and examples/team-app in one process: one module per file, one name.

    Every module of the components/ folder loaded here is a ``knative_platform`` module; no second copy under
    another name (a second ``KnativeApp`` class, a second ``ConfigError`` the command would not recognise).
    """
    import sys

    import knative_platform.app

    committed("dev")
    committed_team_app("dev")
    folder = (ROOT / "components").resolve()
    loaded = {name: Path(module.__file__).resolve() for name, module in list(sys.modules.items())
              if getattr(module, "__file__", None)}
    ours = {name for name, path in loaded.items() if path.is_relative_to(folder)}
    assert "knative_platform.app" in ours and "knative_platform.offline.engine" in ours
    assert {name.split(".", 1)[0] for name in ours} == {"knative_platform"}
    assert len({loaded[name] for name in ours}) == len(ours)  # each file once
    assert knative_platform.app.KnativeApp is knative_platform.KnativeApp


@pytest.mark.parametrize("command", [["-c", "import components"], ["-m", "components.offline", "--help"]])
def test_the_folder_has_one_import_name(command):
    """``components`` is the folder; importing it by that name is refused, with the name to use."""
    result = subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "ImportError: import knative_platform, not components" in result.stderr


def test_the_template_renders_after_pulumi_new_lays_it_down(tmp_path, capsys):
    """pulumi new replaces ${PROJECT} and ${DESCRIPTION} in every text file (pulumi/pulumi v3.259.0,
    pkg/cmd/pulumi/templates/project_templates.go ``transform``) and asks for the template's config."""
    manifest = yaml.safe_load((TEAM_APP / "Pulumi.yaml").read_text())
    assert manifest["template"]["description"]
    assert manifest["template"]["config"]["platformStack"]["description"]
    assert manifest["config"]["platformStack"]["type"] == "string"
    assert "default" not in manifest["config"]["platformStack"]  # required: pulumi new asks for it
    project = tmp_path / "shop"
    shutil.copytree(TEAM_APP, project, ignore=shutil.ignore_patterns("build", "__pycache__"))
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text()
            path.write_text(text.replace("${PROJECT}", "shop").replace("${DESCRIPTION}", "The shop's services"))
    assert "${" not in "".join(p.read_text() for p in project.rglob("*.yaml"))
    assert yaml.safe_load((project / "stacks" / "Pulumi.dev.yaml").read_text())["config"] == {
        "shop:platformStack": "organization/knative-platform/dev"}
    assert cli.main(["render", "--stack", "dev", "--project", str(project), "--out", str(tmp_path / "out")]) == 0
    assert "rendered dev: 14 resources, 4 Kubernetes objects" in capsys.readouterr().out


def test_smoke_is_a_subcommand_with_its_own_command_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["smoke", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: knative-platform smoke") and "exit status:" in out
    assert cli.main(["smoke", "--outputs", "/nonexistent/outputs.json"]) == 2
