"""The offline review judges a head as the update after its base: the program's own revision refusals."""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT, edited_project

from knative_platform.offline import report
from knative_platform.offline.__main__ import main
from knative_platform.offline.diff import FindingKind, compare, load_renders


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The committed staging stack, rendered as a first deployment (the base of the reviews below)."""
    out = tmp_path_factory.mktemp("base") / "staging"
    assert main(["render", "--stack", "staging", "--project", str(ROOT), "--out", str(out)]) == 0
    return out


def head(tmp_path, base, *edits):
    """Staging with ``edits`` (old, new) to its stack file, rendered with ``--previous`` the base."""
    project = edited_project(tmp_path, "staging", edits)
    out = tmp_path / "head" / "staging"
    assert main(["render", "--stack", "staging", "--project", str(project), "--out", str(out),
                 "--previous", str(base)]) == 0
    return out


def refused(base, head_dir):
    review = compare(load_renders(base), load_renders(head_dir))
    return review, [f for f in review.findings if f.kind is FindingKind.REFUSED]


def test_a_forgotten_rename_is_refused_by_the_program_with_the_fields_and_the_fix(tmp_path, base, capsys):
    out = head(tmp_path, base, ("TARGET: Knative staging v2", "TARGET: Knative staging v2.1"))
    assert "the update after --previous is refused: 1 problem(s)" in capsys.readouterr().out
    assert yaml.safe_load((out / "refused.yaml").read_text())[0]["path"] == "services.helloworld-go.revision"
    review, findings = refused(base, out)
    (finding,) = findings  # the program's verdict, not also the render heuristic's
    assert finding.resource == "Service default/helloworld-go"
    assert finding.message.startswith(
        "`services.helloworld-go.revision`: `the revision template changes (spec.containers[0].env[name=TARGET].value) "
        "but keeps the name helloworld-go-v2")  # the program's words, quoted as a fork could have written them
    assert "Give this template a new revision suffix (for example v3)" in finding.message
    summary = report.summary(review, title="t", detail="d")
    assert summary.index("### Refused by Knative") < summary.index("### Changes")
    # the change itself is still reviewed, rendered as a first deployment
    (change,) = [c for c in review.stack("staging").changes if c.display == "Service default/helloworld-go"]
    assert any(f.path.startswith("spec.template.spec.containers[0].env") and f.path.endswith("value")
               for f in change.fields)


def test_traffic_to_a_revision_the_base_never_created_is_refused_with_the_ones_that_exist(tmp_path, base):
    out = head(tmp_path, base, ("revision: v2", "revision: v3"), ("stable: v1", "stable: v9"),
               ("TARGET: Knative staging v2", "TARGET: Knative staging v3"))
    _, findings = refused(base, out)
    (finding,) = findings
    assert finding.message == (
        "`services.helloworld-go.traffic.canary.stable`: `names revision helloworld-go-v9, which no earlier "
        "deployment of this stack created and this update does not create; helloworld-go's revisions are "
        "helloworld-go-v2, helloworld-go-v3. Name one of them, or create helloworld-go-v9 first: deploy it as the "
        "service's revision (revision: v9) with traffic: latest, then add this policy`")


def test_the_next_canary_after_the_base_is_accepted(tmp_path, base):
    out = head(tmp_path, base, ("revision: v2", "revision: v3"), ("stable: v1", "stable: v2"),
               ("TARGET: Knative staging v2", "TARGET: Knative staging v3"))
    review, findings = refused(base, out)
    assert findings == [] and not (out / "refused.yaml").exists()
    service = yaml.safe_load((out / "kubernetes" / "default" / "Service-helloworld-go.yaml").read_text())
    assert service["spec"]["traffic"][0] == {"percent": 80, "revisionName": "helloworld-go-v2", "tag": "stable"}
    assert review.stack("staging").status == "changed"
