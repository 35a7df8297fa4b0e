"""The revision record a stack keeps per service: what it holds, how it is written and how it is read back.

Each update writes, per service, the revisions its stack created (the
``revisions`` stack output, :func:`revisions_output`) and the next update reads
it back (:func:`read_service_history`) to plan its own
(:mod:`knative_platform.model.revisions.revisions`). The record holds only what the next plan
needs plus the ``kn revision list`` view, and no clock: every value derives
from the stack's inputs and the previous record, so ``pulumi preview`` and the
``pulumi up`` that follows write the same record (``up --plan`` compares them:
pulumi/pulumi v3.259.0 ``pkg/resource/deploy/plan.go``, ``checkOutputs`` via
``DeepEqualsIncludeUnknowns``).

Per service: its ``namespace``, the Configuration's ``generation`` (template
changes applied) and the ``list`` of revisions, newest first. Per revision: its
``name``, the ``generation`` that created it (what orders the list), its
``image`` (and a source service's ``source`` fingerprint), share (``percent``)
and ``tags``, ``latest`` and ``generated`` (Knative named it), and ``specDigest``;
the latest also carries ``digest`` (the whole template but its name) and
``fields``, one short hash per template field, so that a refused change can
name the fields that changed. Digests are SHA-256 of
the canonical JSON (sorted keys, no whitespace), cut to 128 bits; records
written before carried all 256, and ``created`` times, which are still read.

Reading never trusts the record: an output edited by hand or corrupted
(``list: 5``, ``inf``, a name that is no revision name) is refused with its path
(``revisions.api.list[0].generation``) and the way out, a stack setting that
forgets one service's record (:data:`~knative_platform.model.revisions.reset.RESET_KEY`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.decode import describe
from ..core.errors import Problem, join_path
from ..core.names import dns1035_problem, dns1123_label_problem
from ..core.paths import flatten
from .reset import reset_fix

REVISIONS_OUTPUT = "revisions"
"""The stack output that lists each service's revisions; the next deployment reads it back."""
KEEP_UNROUTED = 100
"""Revisions without traffic the output keeps per service (newest first); routed ones are always kept."""
MAX_GENERATION = 1_000_000_000
"""The largest generation read back (a billion template changes); above it a record is refused as corrupt."""
MAX_REVISIONS = 10_000
"""The most revisions read back per service; the program never writes more than :data:`KEEP_UNROUTED` plus routed."""
MAX_FIELDS = 4096
"""The most field hashes read back per revision."""
MAX_IMAGE = 4096
DIGEST_HEX = 32
"""Hex digits of a digest the record keeps: 128 bits, plenty to tell two templates apart."""
_DIGEST = re.compile(r"^sha256:[0-9a-f]{32,64}$")
_FIELD = 8
"""Characters of one field's hash: 4 hex of its path, 4 hex of its path and value."""
_FIELDS = re.compile(r"^(?:[0-9a-f]{8})*$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
_PROBLEMS_PER_SERVICE = 5


@dataclass(frozen=True, kw_only=True)
class RevisionRecord:
    """One revision a deployment of this stack created: the ``kn revision list`` row, without the live state."""

    name: str
    image: str = ""
    digest: str = ""
    """``sha256:<hex>`` of the template without its name; empty when the record does not say."""
    spec_digest: str = ""
    """``sha256:<hex>`` of the template's spec alone: what Knative compares when an older name comes back."""
    fields: str | None = None
    """One :data:`_FIELD`-character hash per template field, kept for the latest revision only (the one whose
    template the next update may change under its name); None when the record does not say."""
    generation: int | None = None
    """The Configuration generation that created it (Knative's generated names carry it)."""
    generated: bool = False
    """Knative named it (the template named no revision)."""
    source: str = ""
    """The source fingerprint a source service's revision was built from (empty for a prebuilt image): the next
    update deploys the same image for the same fingerprint (:mod:`knative_platform.model.source.resolve`)."""


@dataclass(frozen=True, kw_only=True)
class ServiceHistory:
    """What earlier deployments of this stack left for one service."""

    revisions: tuple[RevisionRecord, ...] = ()
    latest: str | None = None
    """The revision of the template the last deployment applied."""
    generation: int = 0
    """The Configuration's generation after the last deployment: the number of template changes applied."""
    namespace: str | None = None
    """Where the Service lived; in another namespace it is another Service, with none of these revisions."""

    def named(self, name: str) -> RevisionRecord | None:
        """The record of revision ``name``, if this stack created it."""
        return next((r for r in self.revisions if r.name == name), None)


def order(record: RevisionRecord) -> tuple[int, str]:
    """Oldest first: by the generation that created a revision (no clock), then by name."""
    return record.generation or 0, record.name


# -- digests --------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """The stable text a digest is taken of: sorted keys, no whitespace, no ASCII escaping needed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _unnamed(template: Mapping[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in (template.get("metadata") or {}).items() if k != "name"}
    return {"metadata": metadata, "spec": template.get("spec") or {}}


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def template_digest(template: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of a rendered revision template (``spec.template``), its name left out."""
    return _sha(canonical_json(_unnamed(template)))


def spec_digest(template: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of a rendered template's spec: Knative reuses an existing revision only when it is equal."""
    return _sha(canonical_json(template.get("spec") or {}))


def same_digest(recorded: str, computed: str) -> bool:
    """A recorded digest (cut to :data:`DIGEST_HEX`, or whole from an older record) is the computed one's start."""
    return computed.startswith(recorded)


def short(digest: str) -> str:
    """A digest as the record keeps it."""
    return digest[:len("sha256:") + DIGEST_HEX]


def _crc(text: str) -> str:
    return f"{zlib.crc32(text.encode()) & 0xFFFF:04x}"


_path_crc = functools.lru_cache(maxsize=8192)(_crc)
"""A path's hash: a stack's templates share their paths, so each is hashed once, not once per service."""


def template_fields(template: Mapping[str, Any]) -> dict[str, str]:
    """Each template field (name left out) by path (``spec.containers[0].env[name=TARGET].value``): its hash.

    Lists of named objects are keyed by name, as the offline diff writes them
    (:func:`knative_platform.model.core.paths.flatten`), so a change names the variable, not
    a position that shifts.
    """
    leaves = flatten(_unnamed(template))
    return {path: _path_crc(path) + _crc(f"{path}\0{_leaf_text(value)}") for path, value in leaves.items()}


def _leaf_text(value: Any) -> str:
    """A leaf's value as text its hash is taken of: the type and the value (JSON only for the rare other leaves)."""
    if isinstance(value, str):
        return "s" + value
    if isinstance(value, bool) or value is None:
        return "c" + str(value)
    if isinstance(value, int):
        return "i" + str(value)
    return "j" + canonical_json(value)


def fields_text(fields: Mapping[str, str]) -> str:
    """The hashes as the record keeps them: one string, sorted."""
    return "".join(sorted(fields.values()))


_KEYED_ITEM = re.compile(r"^(.*\[([A-Za-z]+)=[^\]]*\])\.\2$")


def changed_fields(recorded: str, fields: Mapping[str, str]) -> tuple[list[str], int]:
    """The fields of ``fields`` that are not as ``recorded`` (changed or added), by path, and how many went away.

    A list item that is new as a whole (its key field is new: ``env[name=DEBUG].name``)
    is named once, as the item.
    """
    entries = [recorded[i:i + _FIELD] for i in range(0, len(recorded), _FIELD)]
    before, paths = set(entries), {e[:4] for e in entries}
    changed = [path for path, entry in fields.items() if entry not in before]
    items = {m.group(1) for path in changed if (m := _KEYED_ITEM.match(path)) and fields[path][:4] not in paths}
    named = sorted(items | {p for p in changed if not any(p.startswith(item + ".") for item in items)})
    removed = len(paths - {entry[:4] for entry in fields.values()})
    return named, removed


# -- writing --------------------------------------------------------------------------------


def record_row(record: RevisionRecord, share: int, tags: Sequence[str], latest: bool) -> dict[str, Any]:
    """One revision's row of the output (the latest carries its template digest and field hashes)."""
    row: dict[str, Any] = {"name": record.name}
    if record.generation is not None:
        row["generation"] = record.generation
    row["image"] = record.image
    if record.source:
        row["source"] = record.source
    row["percent"] = share
    if tags:
        row["tags"] = list(tags)
    if latest:
        row["latest"] = True
    if record.generated:
        row["generated"] = True
    row["specDigest"] = record.spec_digest
    if latest:
        row["digest"] = record.digest
        if record.fields is not None:
            row["fields"] = record.fields
    return row


# -- reading --------------------------------------------------------------------------------


class _Reader:
    """Collects what is wrong with one service's record, each with its path; at most a few per service."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[tuple[str, str]] = []

    def bad(self, path: str, message: str) -> None:
        self.found.append((path, message))

    def number(self, value: Any, path: str, low: int) -> int | None:
        """A whole number from ``low`` to :data:`MAX_GENERATION` (the engine sends numbers as doubles)."""
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
                and float(value).is_integer() and low <= value <= MAX_GENERATION:
            return int(value)
        self.bad(path, f"expected a whole number from {low} to {MAX_GENERATION}, got {describe(value)}")
        return None

    def text(self, value: Any, path: str, pattern: re.Pattern[str] | None = None, limit: int = MAX_IMAGE) -> str:
        if isinstance(value, str) and len(value) <= limit and (pattern is None or pattern.match(value)):
            return value
        what = f"a string of at most {limit} characters" if pattern is None else f"a string like {pattern.pattern}"
        self.bad(path, f"expected {what}, got {describe(value)}")
        return ""

    def flag(self, value: Any, path: str) -> bool:
        if isinstance(value, bool):
            return value
        self.bad(path, f"expected true or false, got {describe(value)}")
        return False

    def name(self, value: Any, path: str) -> str | None:
        problem = dns1035_problem(value, "a revision name") if isinstance(value, str) else \
            f"expected a revision name, got {describe(value)}"
        if problem:
            self.bad(path, problem)
            return None
        return str(value)


def _row(reader: _Reader, raw: Any, path: str) -> tuple[RevisionRecord | None, bool]:
    """One revision of the record and whether it is the latest; None when it cannot be read."""
    if not isinstance(raw, Mapping):
        reader.bad(path, f"expected a map (a revision), got {describe(raw)}")
        return None, False
    name = reader.name(raw.get("name"), join_path(path, "name"))
    generation = raw.get("generation")
    fields = raw.get("fields")
    record = RevisionRecord(
        name=name or "",
        image=reader.text(raw["image"], join_path(path, "image")) if raw.get("image") is not None else "",
        digest=reader.text(raw["digest"], join_path(path, "digest"), _DIGEST) if raw.get("digest") else "",
        spec_digest=reader.text(raw["specDigest"], join_path(path, "specDigest"), _DIGEST)
        if raw.get("specDigest") else "",
        fields=reader.text(fields, join_path(path, "fields"), _FIELDS, _FIELD * MAX_FIELDS)
        if fields is not None else None,
        generation=reader.number(generation, join_path(path, "generation"), 1) if generation is not None else None,
        generated=reader.flag(raw["generated"], join_path(path, "generated"))
        if raw.get("generated") is not None else False,
        source=reader.text(raw["source"], join_path(path, "source"), _FINGERPRINT) if raw.get("source") else "",
    )
    latest = reader.flag(raw["latest"], join_path(path, "latest")) if raw.get("latest") is not None else False
    return (record if name else None), latest


def _rows(reader: _Reader, raw: Any, path: str) -> tuple[list[RevisionRecord], str | None]:
    """Every revision of the record, and the latest one's name."""
    if raw is None:
        return [], None
    if not isinstance(raw, list) or len(raw) > MAX_REVISIONS:
        reader.bad(path, f"expected a list of at most {MAX_REVISIONS} revisions, got "
                         f"{describe(raw) if not isinstance(raw, list) else f'{len(raw)}'}")
        return [], None
    records: list[RevisionRecord] = []
    latest: str | None = None
    for i, item in enumerate(raw):
        record, is_latest = _row(reader, item, join_path(path, i))
        if record is None:
            continue
        if any(r.name == record.name for r in records):
            reader.bad(join_path(join_path(path, i), "name"), f"{record.name} is listed twice")
        elif is_latest and latest is not None:
            reader.bad(join_path(join_path(path, i), "latest"), f"{latest} is already the latest revision")
        else:
            records.append(record)
            latest = record.name if is_latest else latest
    return records, latest


def _entry(reader: _Reader, value: Any) -> ServiceHistory:
    """One service's record (the program's own, or the older one-name form) as a history."""
    if isinstance(value, str):  # outputs written before revisions were tracked: the current name alone
        name = reader.name(value, reader.path)
        return ServiceHistory(revisions=(RevisionRecord(name=name),), latest=name, generation=1) if name \
            else ServiceHistory()
    if not isinstance(value, Mapping):
        reader.bad(reader.path, f"expected a map (the service's revisions), got {describe(value)}")
        return ServiceHistory()
    records, latest = _rows(reader, value.get("list"), join_path(reader.path, "list"))
    raw_generation = value.get("generation")
    generation = reader.number(raw_generation, join_path(reader.path, "generation"), 0) \
        if raw_generation is not None else len(records)
    namespace = value.get("namespace")
    if namespace is not None:
        problem = dns1123_label_problem(namespace, "a namespace") if isinstance(namespace, str) else \
            f"expected a namespace, got {describe(namespace)}"
        if problem:
            reader.bad(join_path(reader.path, "namespace"), problem)
    newest = max((r.generation or 0 for r in records), default=0)
    if generation is not None and newest > generation:
        reader.bad(join_path(reader.path, "generation"), f"is {generation}, but a revision of the list was "
                                                         f"created by generation {newest}")
    return ServiceHistory(revisions=tuple(sorted(records, key=order)), latest=latest, generation=generation or 0,
                          namespace=namespace if isinstance(namespace, str) else None)


def read_service_history(previous: Any, service: str) -> tuple[ServiceHistory, list[Problem]]:
    """The record of ``service`` in the last deployment's ``revisions`` output, or why it cannot be read.

    ``previous`` is that output as read back (None: the stack has none). Only
    the service's own entry is read, so planning every service of a stack reads
    each record once (issue 9). A record that cannot be read is refused, never
    half used: the problems name its paths and the way out.
    """
    if previous is None:
        return ServiceHistory(), []
    if not isinstance(previous, Mapping):
        return ServiceHistory(), [Problem(REVISIONS_OUTPUT, (
            f"the stack's last recorded revisions are {describe(previous)}, not a map of service to revisions; "
            f"{reset_fix(service)}"))]
    if service not in previous or previous[service] is None:  # None: an older output, Knative named the revision
        return ServiceHistory(), []
    reader = _Reader(join_path(REVISIONS_OUTPUT, service))
    history = _entry(reader, previous[service])
    if not reader.found:
        return history, []
    shown = reader.found[:_PROBLEMS_PER_SERVICE]
    more = len(reader.found) - len(shown)
    problems = [Problem(path, f"{message}: the stack's record of {service}'s revisions cannot be read") for
                path, message in shown[:-1]]
    path, message = shown[-1]
    tail = f" (and {more} more problem(s) in this record)" if more else ""
    problems.append(Problem(path, f"{message}: the stack's record of {service}'s revisions cannot be read{tail}; "
                                  f"{reset_fix(service)}"))
    return ServiceHistory(), problems
