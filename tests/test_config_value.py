"""One reader of config text: the program, the offline render and the image build read a value alike (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from knative_platform.model.core.bounds import MAX_DEPTH, too_deep
from knative_platform.model.core.config_value import TOO_DEEP, nesting_problem, parse_config_value
from knative_platform.offline.engine import Capture
from knative_platform.offline.render import MARKER, render_files
from knative_platform.offline.stackfile import ProgramConfig


@pytest.mark.parametrize(("raw", "value"), [
    (None, None),
    ("null", None),  # a YAML null, as the CLI hands it over: leaving the key out
    ("true", "true"),  # scalars stay the text written: the model's decoder reads the type it expects
    ("8080", "8080"),
    ("nullable", "nullable"),
    ("[1, 2]", [1, 2]),
    ('{"a": null, "b": [true]}', {"a": None, "b": [True]}),
    ("{not json", "{not json"),  # the model reports a string where a map is expected
    ("[" * 100_000 + "]" * 100_000, TOO_DEEP),
])
def test_a_config_value_reads_as_the_cli_wrote_it(raw, value):
    assert parse_config_value(raw) is value if value in (None, TOO_DEEP) else parse_config_value(raw) == value


def test_nesting_past_what_configuration_holds_is_a_problem_not_a_traceback():
    nested: list = []
    for _ in range(MAX_DEPTH + 1):
        nested = [nested]
    assert nesting_problem(parse_config_value("[" * 100_000 + "]" * 100_000)) == too_deep()
    assert nesting_problem(parse_config_value(json.dumps(nested))) == too_deep()
    assert nesting_problem(parse_config_value('{"a": [1]}')) is None


def test_the_render_shows_the_value_the_program_reads():
    program = ProgramConfig(project_dir=Path("."), project="p", stack="s", main=Path("__main__.py"),
                            config={"p:domain": "null", "p:services": '{"api": {"image": "x"}}', "p:port": "8080",
                                    "p:deep": "[" * 100_000 + "]" * 100_000},
                            secret_keys=(), stack_file=None)
    shown = yaml.safe_load(render_files(Capture(project="p", stack="s"), program)[MARKER])["config"]
    assert shown == {"p:domain": None, "p:services": {"api": {"image": "x"}}, "p:port": "8080",
                     "p:deep": "[" * 100_000 + "]" * 100_000}
