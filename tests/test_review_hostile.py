"""The review comment under a hostile fork: renders are untrusted data, the comment's structure is the base's.

A fork controls every render the privileged comment job reads. These tests
write markdown, HTML, line breaks, mentions and the comment's own marker into
every field a render has, render the summary with GitHub's own markdown engine
(cmark-gfm, through ``cmarkgfm``) and check that the comment's headings,
links, images, HTML and marker are only the ones the base code writes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import pytest
import yaml
from cmarkgfm.cmark import Options
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from knative_platform.offline import report
from knative_platform.offline.diff import Render, RenderError, compare, load_renders
from knative_platform.offline.markdown import code, prose
from knative_platform.offline.report import no_mentions

KSVC = "kubernetes:serving.knative.dev/v1:Service"
ATTACK = ("<!-- x [Approve](https://attacker.example) <img src=https://attacker.example/p.png>")
DETAIL = "offline-review.md in the offline-review artifact of [the Review run](https://github.com/o/r/actions/runs/1)"
DETAIL_URL = "https://github.com/o/r/actions/runs/1"
SECTION_TITLES = {"Refused by Knative", "Values this review cannot see",
                  "Replacements", "Deletions", "Security-relevant changes", "Upstream versions",
                  "Changes"}
RELEASE_LINK = re.compile(r"^https://github\.com/(knative/serving|knative-extensions/net-gateway-api|"
                          r"knative-extensions/net-kourier|kubernetes-sigs/gateway-api|cert-manager/cert-manager|"
                          r"kgateway-dev/kgateway)/(releases/tag/[A-Za-z0-9._-]+|"
                          r"compare/[A-Za-z0-9._-]+\.\.\.[A-Za-z0-9._-]+)$")


class Structure(HTMLParser):
    """What a rendered comment is made of: headings with their HTML, links, images, table rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.images: list[str] = []
        self.rows: list[int] = []
        self.text = ""
        """The text outside code, where GitHub looks for mentions and references."""
        self._heading: tuple[str, list[str]] | None = None
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = (tag, [])
        elif self._heading is not None:
            self._heading[1].append(f"<{tag}>")
        self._code += tag in ("code", "pre")
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        elif tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        elif tag == "tr":
            self.rows.append(0)
        elif tag in ("td", "th"):
            self.rows[-1] += 1

    def handle_endtag(self, tag: str) -> None:
        self._code -= tag in ("code", "pre")
        if self._heading is not None and tag == self._heading[0]:
            self.headings.append((tag, "".join(self._heading[1])))
            self._heading = None
        elif self._heading is not None:
            self._heading[1].append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self._code:
            self.text += data + "\n"
        if self._heading is not None:
            self._heading[1].append(data)


def structure(markdown: str) -> Structure:
    parsed = Structure()
    parsed.feed(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))
    return parsed


def assert_base_structure(text: str, title: str, *, summary: bool = True) -> None:
    """The checks of the Done-when line: headings, links, images, HTML and marker are the base code's."""
    safe = cmarkgfm.github_flavored_markdown_to_html(text, options=0)
    if summary:
        assert text.startswith(report.MARKER + "\n")
        assert text.count(report.MARKER) == 1
        assert safe.count("raw HTML omitted") == 1  # the marker, and no other HTML at all
    else:
        assert "raw HTML omitted" not in safe
    parsed = structure(text)
    for tag, inner in parsed.headings:
        if tag in ("h1", "h2"):
            assert inner == title or (inner, summary) == ("Changes", False)
        elif tag == "h3":
            assert inner in SECTION_TITLES, inner
        else:  # a stack's heading: its label, as code and nothing else
            assert tag == "h4" and re.fullmatch(r"<code>[^<]*</code>", inner), inner
    assert all(link == DETAIL_URL or RELEASE_LINK.match(link) for link in parsed.links), parsed.links
    assert parsed.images == []
    assert all(cells == 6 for cells in parsed.rows), parsed.rows  # the counts table: six columns, always
    assert not re.search(r"(?<![A-Za-z0-9_])@(?!\u200b)", text)  # no mention
    assert not re.search(r"(?<![A-Za-z0-9_])#(?=[0-9])", parsed.text.replace(title, ""))  # no issue reference


def render_dir(root: Path, label: str, resources: dict, refused: list | None = None, config: dict | None = None
               ) -> Path:
    directory = root / label
    directory.mkdir(parents=True)
    (directory / "stack.yaml").write_text(yaml.safe_dump({"project": "p", "stack": label.rsplit("/", 1)[-1],
                                                          "config": config or {}, "outputs": {}}))
    (directory / "resources.yaml").write_text(yaml.safe_dump(resources))
    if refused is not None:
        (directory / "refused.yaml").write_text(yaml.safe_dump(refused))
    return directory


def ksvc(name: str, namespace: str = "default", image: str = "i") -> dict:
    metadata = {"name": name, "namespace": namespace}
    return {"type": KSVC, "name": name, "inputs": {"kind": "Service", "metadata": metadata,
                                                   "spec": {"template": {"spec": {"containers": [{"image": image}]}}}}}


# -- item 1: fork-controlled markdown and HTML --------------------------------------------------


def test_a_refusal_message_from_a_fork_adds_no_html_link_or_image(tmp_path):
    base = render_dir(tmp_path / "base", "knative-platform/prod", {f"{KSVC}::api": ksvc("api")})
    head = render_dir(tmp_path / "head", "knative-platform/prod", {f"{KSVC}::api": ksvc("api", image="j")},
                      refused=[{"path": "services.api.traffic", "message": ATTACK}])
    review = compare(load_renders(base.parent), load_renders(head.parent))
    text = report.summary(review, title="Offline review of #1", detail=DETAIL)
    assert "attacker.example" in text  # the message is shown ...
    assert_base_structure(text, "Offline review of #1")  # ... as text: no comment, link or image
    assert_base_structure(report.detail(review, title="Offline review of #1"), "Offline review of #1", summary=False)


@pytest.mark.parametrize("name", ["api\n# Approved\n", "api\r\n### Deletions\n- all good", "a\u2028b"])
def test_a_line_break_in_a_resource_name_adds_no_heading(name):
    review = compare({"s": Render("s", "p", "s", {}, {}, {})},
                     {"s": Render("s", "p", "s", {}, {}, {f"{KSVC}::x": ksvc(name)})})
    text = report.summary(review, title="t", detail=DETAIL)
    assert_base_structure(text, "t")
    assert "\n# Approved" not in text and "\n### Deletions" not in text


def test_a_fork_cannot_write_the_comments_marker():
    sneaky = {f"{KSVC}::x": ksvc(report.MARKER)}
    review = compare({"s": Render("s", "p", "s", {}, {}, {})},
                     {report.MARKER: Render(report.MARKER, "p", "s", {report.MARKER: report.MARKER}, {}, sneaky)})
    text = report.summary(review, title="t", detail=DETAIL)
    assert text.count(report.MARKER) == 1 and text.startswith(report.MARKER)
    assert_base_structure(text, "t")


# -- item 2: mentions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["-@bob", ".@carol", "+@dave", "/@erin", "@@grace", "(@frank)", "é@heidi", "@ivan"])
def test_every_mention_github_sees_is_neutralised(text):
    assert not re.search(r"(?:^|[^A-Za-z0-9_])@[A-Za-z0-9]", no_mentions(text))
    assert no_mentions(text).replace("\u200b", "") == text


def test_e_mail_addresses_and_image_digests_are_left_alone():
    assert no_mentions("ops@example.com image@sha256:abc") == "ops@example.com image@sha256:abc"


# -- item 3: a large legitimate change still gets its comment --------------------------------------


def services(count: int, *, image: str = "i", public: bool = False) -> dict:
    out = {}
    for i in range(count):
        entry = ksvc(f"svc-{i:05d}", image=image)
        if not public:
            entry["inputs"]["metadata"]["labels"] = {"networking.knative.dev/visibility": "cluster-local"}
        out[f"{KSVC}::svc-{i:05d}"] = entry
    return out


@pytest.mark.parametrize("changes", [1, 100, 10_000])
def test_deleting_many_services_gives_a_comment_under_githubs_limit_with_counts_and_the_detail(changes):
    base = services(changes + 1, public=True)
    head = dict(list(base.items())[changes:])  # all but the last one deleted
    review = compare({"prod": Render("prod", "p", "prod", {}, {}, base)},
                     {"prod": Render("prod", "p", "prod", {}, {}, head)})
    assert sum(1 for f in review.findings if f.topic == "delete") == changes
    text = report.summary(review, title="t", detail=DETAIL)
    assert len(text) <= report.DEFAULT_LIMIT < report.GITHUB_COMMENT_LIMIT
    assert f"{changes} to delete" in text
    shown = text.count("`Service default/svc-")
    if changes > report.FINDINGS_PER_KIND:
        assert f"{changes - report.FINDINGS_PER_KIND:,} more deletions" in text
        assert shown >= report.FINDINGS_PER_KIND
    else:
        assert shown >= changes
    assert "Full detail: " + DETAIL in text
    assert_base_structure(text, "t")


def test_ten_thousand_stacks_and_components_still_fit():
    base = {f"s{i}": Render(f"s{i}", "p", f"s{i}", {}, {}, {}) for i in range(2_000)}
    head = {f"s{i}": Render(f"s{i}", "p", f"s{i}", {}, {}, services(5, public=True)) for i in range(2_000)}
    review = compare(base, head)
    text = report.summary(review, title="t", detail=DETAIL)
    assert len(text) <= report.DEFAULT_LIMIT
    assert_base_structure(text, "t")


# -- Done when: no render field changes the comment's structure (property) ----------------------------

SNIPPETS = [ATTACK, "<!--", "-->", "<img src=x>", "<script>alert(1)</script>", "<details><summary>", "[Approve](",
            "https://attacker.example/x", "www.attacker.example", "![x](https://attacker.example/p.png)",
            "\n# Heading\n", "\n## t\n", "\n### Deletions\n", "\n#### prod\n", "\r\n---\r\n",
            "\n\n| a | b |\n|---|---|\n",
            "|", "`", "```", "````diff", "~~~", "\\", "*", "_", "-@bob", ".@carol", "+@dave", "/@erin", "@@grace",
            "@org/team", "ops@example.com", "#1", "GH-1", "&lt;!--", "&#60;img&#62;", "\u2028", "\u202e", "\x00",
            "\t", report.MARKER, "    indented code", "> quote", "1. list", "- [ ] task", "[x]: https://a.example",
            "&#64;bob", "mailto:a@b.example", "x_y_", "**b**", "~~s~~", "http://a.example", "<https://a.example>"]
hostile = st.lists(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=4)), min_size=1, max_size=4).map("".join)
RELEASE = "https://github.com/{repo}/releases/download/{tag}/serving-core.yaml"


class Words:
    """A few hostile strings drawn once per example, handed out in turn to every field a render has."""

    def __init__(self, pool: list[str], start: int) -> None:
        self.pool, self.index = pool, start

    def __call__(self) -> str:
        self.index += 1
        return self.pool[self.index % len(self.pool)]


def resources(w: Words, image: str, repo: str, tag: str) -> dict:
    out: dict = {}
    for type_ in (KSVC, "gcp:cloudrun/iamMember:IamMember", "gcp:compute/firewall:Firewall", w()):
        name, namespace = w(), w()
        out[w()] = {
            "type": type_, "name": name, "parent": w(), "provider": w(), "dependsOn": [w()], "options": {w(): w()},
            "inputs": {"kind": "Service" if type_ == KSVC else w(),
                       "metadata": {"name": name, "namespace": namespace, "labels": {w(): w()}},
                       "role": w(), "member": w(), "members": [w()], "sourceRanges": [w()],
                       "spec": {"template": {"metadata": {"name": w()},
                                             "spec": {"containers": [{"image": image, w(): w()}]}}},
                       w(): w()}}
    out["kubernetes:yaml/v2:ConfigFile::serving-core"] = {
        "type": "kubernetes:yaml/v2:ConfigFile", "name": "serving-core",
        "inputs": {"file": RELEASE.format(repo=repo, tag=tag if image == "head" else "knative-v1.23.0")}}
    return out


@st.composite
def render_pairs(draw: st.DrawFn) -> tuple[dict, dict]:
    w = Words(draw(st.lists(hostile, min_size=3, max_size=8)), draw(st.integers(0, 7)))
    repo = draw(st.sampled_from(["knative/serving", "attacker/x", w()]))
    tag = draw(st.sampled_from(["knative-v1.24.0", w()]))
    base, head = {}, {}
    for sides in draw(st.lists(st.sampled_from(["both", "base", "head"]), min_size=1, max_size=3)):
        label, stack = w(), draw(st.sampled_from(["prod", w()]))
        if sides != "head":
            base[label] = Render(label, w(), stack, {w(): w()}, {w(): w()}, resources(w, "base", repo, tag))
        if sides != "base":
            environment = {"imports": [w(), w()], "setInStackFile": [w()], "mapsTheEnvironmentMayExtend": [w()],
                           "projectDefaultsUsed": [w()]} if draw(st.booleans()) else None
            head[label] = Render(label, w(), stack, {w(): w(), w(): {w(): w()}}, {w(): w()},
                                 resources(w, "head", repo, tag), ((w(), w()), (w(), w())), environment)
    return base, head


@settings(max_examples=100, derandomize=True, phases=[Phase.explicit, Phase.generate], deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(render_pairs())
def test_no_render_field_changes_the_comments_structure(pair):
    review = compare(*pair)
    text = report.summary(review, title="Offline review of #7", detail=DETAIL)
    assert len(text) <= report.DEFAULT_LIMIT
    assert_base_structure(text, "Offline review of #7")
    assert_base_structure(report.detail(review, title="Offline review of #7"), "Offline review of #7", summary=False)


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(hostile)
def test_untrusted_text_in_a_code_span_or_left_in_a_sentence_by_mistake_is_inert(text):
    for inline in (code(text), prose(text), prose(f"`{text}`"), prose(f"a `{text} b"), prose(f"{text}`{text}`")):
        line = f"- x {inline} y"
        html = cmarkgfm.github_flavored_markdown_to_html(line, options=0)
        parsed = structure(line)
        assert parsed.links == [] and parsed.images == [] and parsed.headings == [] and parsed.rows == []
        assert "raw HTML omitted" not in html
        assert html.count("<li>") == 1 and html.count("<p>") == 0 and "<pre>" not in html
        assert not re.search(r"(?<![A-Za-z0-9_])@(?!\u200b)", no_mentions(line))
        assert not re.search(r"(?<![A-Za-z0-9_])#(?=[0-9])", structure(no_mentions(line)).text)  # no reference


def test_release_notes_link_only_to_the_upstream_projects_the_platform_pins():
    from knative_platform import versions
    from knative_platform.offline.rules import RELEASE_REPOSITORIES, release_links

    pinned = {re.match(r"https://github\.com/([^/]+/[^/]+)/", pin.url).group(1)
              for pin in vars(versions).values() if isinstance(getattr(pin, "url", None), str)
              and pin.url.startswith("https://github.com/")}
    assert pinned and pinned <= RELEASE_REPOSITORIES
    old = "https://github.com/knative/serving/releases/download/knative-v1.23.0/serving-core.yaml"
    assert release_links(old, old.replace("1.23.0", "1.24.0"))[0][1] == \
        "https://github.com/knative/serving/releases/tag/knative-v1.24.0"
    assert release_links(old.replace("knative/serving", "attacker/x"),
                         old.replace("knative/serving", "attacker/x").replace("1.23", "1.24")) == ()
    assert release_links(old, old.replace("knative-v1.23.0", "v1)[x](https:")) == ()


# -- item 4: YAML bombs in a fork's renders ---------------------------------------------------------


def bomb(levels: int, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text", [
    f"{KSVC}::x:\n  type: {KSVC}\n  inputs:\n" + "".join(f"    {line}\n" for line in bomb(6).splitlines()),
    "data: &loop {self: *loop}\n",
    f"{KSVC}::x: &loop\n  type: {KSVC}\n  inputs: {{spec: *loop}}\n",
    "x: " + "[" * 900 + "]" * 900 + "\n",
])
def test_a_yaml_bomb_or_a_recursive_alias_in_a_render_is_refused_quickly_and_cleanly(tmp_path, text):
    import time

    directory = render_dir(tmp_path / "head", "prod", {})
    (directory / "resources.yaml").write_text(text)
    started = time.monotonic()
    with pytest.raises(RenderError) as info:
        load_renders(tmp_path / "head")
    assert time.monotonic() - started < 2
    assert "resources.yaml" in str(info.value)
    assert len(str(info.value)) < 600


def test_a_render_that_shares_a_value_through_an_alias_is_read():
    # PyYAML's dumper writes a value the program used twice as an anchor and an alias: a render may have some
    from knative_platform.offline.renders import read_render_yaml

    shared = {"app": "x"}
    text = yaml.safe_dump({"a": {"labels": shared}, "b": {"labels": shared}})
    assert "&id001" in text
    assert read_render_yaml(text, Path("resources.yaml")) == {"a": {"labels": shared}, "b": {"labels": shared}}
