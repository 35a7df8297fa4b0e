"""What a demanding Cloud Run or ``kn`` user declares: each field's rendering and its refusals.

Refusals follow knative/serving ``knative-v1.23.0`` ``pkg/apis/serving/k8s_validation.go``
(and its test table, ``k8s_validation_test.go``), except where a case says the
project is stricter by choice.
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, committed, committed_files, config_error, k8s_objects, run_stack

from knative_platform import Service, ServiceAccount, versions
from knative_platform.model.service.containers import Container, EnvFrom, Volume
from knative_platform.model.service.service import Probe, Probes, ProbeType, service_problems
from knative_platform.offline.diff import FindingKind, compare, load_renders
from knative_platform.offline.render import render_files, write_tree
from knative_platform.offline.stackfile import load_program_config

IMAGE = versions.SAMPLE_IMAGE
SIDECAR = "ghcr.io/example/proxy:1.0"


def svc(**fields):
    return {"image": IMAGE, **fields}


FULL = svc(
    namespace="shop",
    command=["/ko-app/helloworld"], args=["--verbose"],
    envFrom=[{"secretRef": "api-secrets"}, {"configMapRef": "api-settings", "prefix": "APP_"}],
    volumes={"config": {"configMap": "api-config"}, "creds": {"secret": "api-creds"},
             "scratch": {"emptyDir": {"sizeLimit": "64Mi", "medium": "Memory"}}},
    volumeMounts={"config": "/etc/api", "creds": "/var/run/creds", "scratch": "/tmp"},
    sidecars=[{"name": "proxy", "image": SIDECAR, "args": ["--port", "9901"], "volumeMounts": {"scratch": "/cache"},
               "probes": {"readiness": {"type": "tcp", "port": 9901, "periodSeconds": 5},
                          "liveness": {"type": "exec", "command": ["/bin/true"]}}}],
    initContainers=[{"name": "migrate", "image": "ghcr.io/example/migrate:1.0", "command": ["/migrate"],
                     "envFrom": [{"secretRef": "db"}]}],
    probes={"readiness": {"type": "exec", "command": ["/bin/check"], "periodSeconds": 10}},
    timeoutSeconds=120, responseStartTimeoutSeconds=30, idleTimeoutSeconds=60,
    autoscaling={"targetBurstCapacity": 0},
    imagePullSecrets=["ghcr-pull"],
    serviceAccount={"roles": ["roles/cloudsql.client"]},
)


@pytest.fixture(scope="module")
def full_staging():
    return run_stack("staging", {"services": {"api": FULL}})


def test_every_new_field_renders_in_the_revision(full_staging):
    spec = k8s_objects(full_staging)[("Service", "api")]["spec"]["template"]["spec"]
    main, sidecar = spec["containers"]
    assert (main["name"], main["command"], main["args"]) == ("user-container", ["/ko-app/helloworld"], ["--verbose"])
    assert main["envFrom"] == [{"secretRef": {"name": "api-secrets"}},
                               {"prefix": "APP_", "configMapRef": {"name": "api-settings"}}]
    assert main["readinessProbe"] == {"exec": {"command": ["/bin/check"]}, "periodSeconds": 10}
    assert main["volumeMounts"] == [{"name": "config", "mountPath": "/etc/api", "readOnly": True},
                                    {"name": "creds", "mountPath": "/var/run/creds", "readOnly": True},
                                    {"name": "scratch", "mountPath": "/tmp"}]
    assert spec["volumes"] == [{"name": "config", "configMap": {"name": "api-config"}},
                               {"name": "creds", "secret": {"secretName": "api-creds"}},
                               {"name": "scratch", "emptyDir": {"sizeLimit": "64Mi", "medium": "Memory"}}]
    assert "ports" not in sidecar and sidecar["readinessProbe"] == {"tcpSocket": {"port": 9901}, "periodSeconds": 5}
    assert sidecar["livenessProbe"] == {"exec": {"command": ["/bin/true"]}}
    assert sidecar["securityContext"] == main["securityContext"]
    (init,) = spec["initContainers"]
    assert (init["name"], init["envFrom"]) == ("migrate", [{"secretRef": {"name": "db"}}])
    assert (spec["timeoutSeconds"], spec["responseStartTimeoutSeconds"], spec["idleTimeoutSeconds"]) == (120, 30, 60)
    assert spec["imagePullSecrets"] == [{"name": "ghcr-pull"}]
    assert spec["serviceAccountName"] == "api"
    annotations = k8s_objects(full_staging)[("Service", "api")]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["autoscaling.knative.dev/target-burst-capacity"] == "0"


def test_the_platform_switches_on_the_feature_flags_its_services_use(full_staging):
    features = k8s_objects(full_staging)[("ConfigMap", "config-features")]["data"]
    assert {k: features[k] for k in ("multi-container", "multi-container-probing", "kubernetes.podspec-emptydir",
                                     "kubernetes.podspec-init-containers")} == {
        "multi-container": "enabled", "multi-container-probing": "enabled",
        "kubernetes.podspec-emptydir": "enabled", "kubernetes.podspec-init-containers": "enabled"}
    plain = k8s_objects(committed("local"))[("ConfigMap", "config-features")]["data"]
    assert (plain["multi-container-probing"], plain["kubernetes.podspec-init-containers"]) == ("disabled", "disabled")


def test_a_feature_the_platform_pins_off_refuses_the_service_that_needs_it():
    error = config_error("local", {"knative": {"features": {"podspecInitContainers": "disabled"}},
                                   "services": {"api": svc(initContainers=[{"name": "m", "image": SIDECAR}])}})
    assert [str(p) for p in error.problems] == [
        "services.api.initContainers: needs Knative's kubernetes.podspec-init-containers feature, but "
        "knative.features.podspecInitContainers is disabled; set it to enabled, or leave it out and the platform "
        "enables it for the services that need it"]


def test_a_created_google_identity_is_bound_to_exactly_this_kubernetes_account(full_staging):
    ksa = k8s_objects(full_staging)[("ServiceAccount", "api")]
    assert ksa["metadata"]["namespace"] == "shop"
    assert ksa["metadata"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "ksvc-api@knative-platform-staging.iam.gserviceaccount.com"}
    (account,) = [r for r in full_staging.by_type("gcp:serviceaccount/account:Account")
                  if r.name == "api-identity-google"]
    assert (account.inputs["accountId"], account.inputs["project"]) == ("ksvc-api", "knative-platform-staging")
    (binding,) = [r for r in full_staging.by_type("gcp:serviceaccount/iAMMember:IAMMember")
                  if r.name == "api-identity-workload-identity"]
    assert binding.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert binding.inputs["member"] == "serviceAccount:knative-platform-staging.svc.id.goog[shop/api]"
    (role,) = [r for r in full_staging.by_type("gcp:projects/iAMMember:IAMMember") if r.name.startswith("api-")]
    assert (role.inputs["role"], role.inputs["member"]) == (
        "roles/cloudsql.client", "serviceAccount:ksvc-api@knative-platform-staging.iam.gserviceaccount.com")


def test_an_existing_google_account_is_bound_without_new_roles():
    capture = run_stack("staging", {"services": {"worker": svc(serviceAccount={
        "name": "worker-runtime", "googleServiceAccount": "worker@data-proj.iam.gserviceaccount.com"})}})
    assert not [r for r in capture.by_type("gcp:serviceaccount/account:Account") if "worker" in r.name]
    (binding,) = [r for r in capture.by_type("gcp:serviceaccount/iAMMember:IAMMember") if "worker" in r.name]
    assert binding.inputs["serviceAccountId"] == (
        "projects/data-proj/serviceAccounts/worker@data-proj.iam.gserviceaccount.com")
    assert binding.inputs["member"] == "serviceAccount:knative-platform-staging.svc.id.goog[default/worker-runtime]"
    ksvc = k8s_objects(capture)[("Service", "worker")]
    assert ksvc["spec"]["template"]["spec"]["serviceAccountName"] == "worker-runtime"


def test_an_existing_cluster_gets_a_kubernetes_account_and_no_google_side():
    capture = run_stack("local", {"services": {"api": svc(serviceAccount={})}})
    assert k8s_objects(capture)[("ServiceAccount", "api")]["metadata"].get("annotations") is None
    assert not [r for r in capture.registrations if r.type.startswith("gcp:")]
    error = config_error("local", {"services": {"api": svc(serviceAccount={"roles": ["roles/pubsub.publisher"]})}})
    assert [str(p) for p in error.problems] == [
        "services.api.serviceAccount.roles: a Google identity needs Workload Identity on a cluster the platform "
        "creates (cluster type gke); on this cluster, use a Kubernetes service account only"]


def test_a_service_without_service_account_keeps_the_namespace_default():
    capture = run_stack("local", {"services": {"api": svc()}})
    assert "serviceAccountName" not in k8s_objects(capture)[("Service", "api")]["spec"]["template"]["spec"]
    assert not [key for key in k8s_objects(capture) if key[0] == "ServiceAccount"]


def test_the_identity_binding_is_in_the_offline_render(full_staging):
    files = render_files(full_staging, load_program_config(ROOT, "staging"))
    resources = files["resources.yaml"]
    assert "gcp:serviceaccount/iAMMember:IAMMember::api-identity-workload-identity" in resources
    assert "serviceAccount:knative-platform-staging.svc.id.goog[shop/api]" in resources
    assert "iam.gke.io/gcp-service-account" in files["kubernetes/shop/ServiceAccount-api.yaml"]


def test_a_rollout_duration_moves_a_canary_or_a_split_gradually():
    canary = {"canary": {"stable": "v1", "percent": 10, "rolloutDuration": "5m"}}
    split = {"split": {"targets": [{"revision": "v1", "percent": 50}, {"latest": True}], "rolloutDuration": "90s"}}
    blue_green = {"blueGreen": {"blue": "v1", "green": "v2", "live": "green", "rolloutDuration": "10m"}}
    for traffic, duration in ((canary, "5m"), (split, "90s"), (blue_green, "10m")):
        capture = run_stack("local", {"services": {"api": svc(revision="v2", traffic=traffic)}})
        meta = k8s_objects(capture)[("Service", "api")]["metadata"]
        assert meta["annotations"]["serving.knative.dev/rollout-duration"] == duration


REFUSED = [
    ("an empty argument", {"args": ["--port", ""]}, "services.api.args[1]: is empty; remove it or write the argument"),
    ("envFrom with both refs", {"envFrom": [{"secretRef": "a", "configMapRef": "b"}]},
     "services.api.envFrom[0]: set exactly one of secretRef and configMapRef"),
    ("envFrom with neither", {"envFrom": [{"prefix": "X_"}]},
     "services.api.envFrom[0]: set exactly one of secretRef and configMapRef"),
    ("envFrom secret name", {"envFrom": [{"secretRef": "Bad_Name"}]},
     "services.api.envFrom[0].secretRef: secretRef name 'Bad_Name' must be a DNS-1123 subdomain"
     ": lowercase labels of letters, digits and '-', joined by '.'"),
    ("volume with two sources", {"volumes": {"v": {"secret": "a", "configMap": "b"}}, "volumeMounts": {"v": "/v"}},
     "services.api.volumes.v: set exactly one of secret, configMap and emptyDir (got secret, configMap)"),
    ("volume not mounted", {"volumes": {"v": {"secret": "a"}}},
     "services.api.volumes.v: volume 'v' is not mounted; add it to volumeMounts (Knative refuses unmounted volumes)"),
    ("volume name not DNS-1123", {"volumes": {"V_1": {"secret": "a"}}, "volumeMounts": {"V_1": "/v"}},
     "services.api.volumes.V_1: volume name 'V_1' must be a DNS-1123 label"
     ": lowercase letters, digits and '-', starting and ending with a letter or digit"),
    ("mount without a volume", {"volumeMounts": {"v": "/v"}},
     "services.api.volumeMounts.v: no volume named 'v'; declare it under volumes"),
    ("mount path relative", {"volumes": {"v": {"secret": "a"}}, "volumeMounts": {"v": "etc/v"}},
     "services.api.volumeMounts.v: 'etc/v' must be an absolute path"),
    ("mount path reserved", {"volumes": {"v": {"secret": "a"}}, "volumeMounts": {"v": "/dev/"}},
     "services.api.volumeMounts.v: mountPath '/dev' is a reserved path (/, /dev, /dev/log)"),
    ("mount path reserved, spelled with //", {"volumes": {"v": {"secret": "a"}}, "volumeMounts": {"v": "//"}},
     "services.api.volumeMounts.v: mountPath '/' is a reserved path (/, /dev, /dev/log)"),
    ("two mounts on one path", {"volumes": {"a": {"secret": "a"}, "b": {"secret": "b"}},
                                "volumeMounts": {"a": "/etc/x", "b": "/etc/x/"}},
     "services.api.volumeMounts.b: '/etc/x/' is also where 'a' is mounted; mount paths must be unique"),
    # stricter by choice: an unbounded emptyDir can fill the node
    # one problem for one mistake: the bound is the rule's, so a missing one is not also "no source"
    ("emptyDir without sizeLimit", {"volumes": {"t": {"emptyDir": {}}}, "volumeMounts": {"t": "/tmp"}},
     "services.api.volumes.t.emptyDir.sizeLimit: is required: an unbounded emptyDir can fill the node's disk (or "
     "memory) and evict its neighbours; set a bound such as 1Gi"),
    ("emptyDir sizeLimit not a quantity", {"volumes": {"t": {"emptyDir": {"sizeLimit": "lots"}}},
                                           "volumeMounts": {"t": "/tmp"}},
     "services.api.volumes.t.emptyDir.sizeLimit: 'lots' is not a positive Kubernetes quantity such as 64Mi or 1Gi"),
    ("emptyDir medium", {"volumes": {"t": {"emptyDir": {"sizeLimit": "1Gi", "medium": "HugePages"}}},
                         "volumeMounts": {"t": "/tmp"}},
     "services.api.volumes.t.emptyDir.medium: 'HugePages' is not one of '', 'Memory'"),
    ("sidecar named queue-proxy", {"sidecars": [{"name": "queue-proxy", "image": SIDECAR}]},
     "services.api.sidecars[0].name: 'queue-proxy' is reserved"
     " (Knative's queue-proxy and the serving user-container); choose another name"),
    ("sidecar named user-container", {"sidecars": [{"name": "user-container", "image": SIDECAR}]},
     "services.api.sidecars[0].name: 'user-container' is reserved"
     " (Knative's queue-proxy and the serving user-container); choose another name"),
    ("duplicate container names", {"sidecars": [{"name": "a", "image": SIDECAR}],
                                   "initContainers": [{"name": "a", "image": SIDECAR}]},
     "services.api.initContainers[0].name: duplicate container name 'a' (also sidecars[0])"),
    ("sidecar image", {"sidecars": [{"name": "a", "image": "Not An Image"}]},
     "services.api.sidecars[0].image: 'Not An Image' is not an image reference"
     " like registry/repository:tag or @sha256:<digest>"),
    ("sidecar env reserved", {"sidecars": [{"name": "a", "image": SIDECAR, "env": {"K_SERVICE": "x"}}]},
     "services.api.sidecars[0].env.K_SERVICE: is set by Knative itself"
     " (K_CONFIGURATION, K_REVISION, K_SERVICE); choose another name"),
    ("sidecar mount without a volume", {"sidecars": [{"name": "a", "image": SIDECAR, "volumeMounts": {"v": "/v"}}]},
     "services.api.sidecars[0].volumeMounts.v: no volume named 'v'; declare it under volumes"),
    ("sidecar probe without a port", {"sidecars": [{"name": "a", "image": SIDECAR,
                                                    "probes": {"readiness": {"type": "http", "path": "/"}}}]},
     "services.api.sidecars[0].probes.readiness.port: a http probe on a sidecar needs the port it checks"
     " (Knative: 'Probe port must be specified')"),
    ("sidecar has ports", {"sidecars": [{"name": "a", "image": SIDECAR, "port": 9000}]},
     "services.api.sidecars[0].port: unknown key"
     "; expected one of: name, image, command, args, env, envFrom, volumeMounts, probes"),
    ("init container with a probe", {"initContainers": [{"name": "m", "image": SIDECAR,
                                                         "probes": {"liveness": {"type": "tcp", "port": 1}}}]},
     "services.api.initContainers[0].probes.liveness: field not allowed in an init container"
     " (Kubernetes runs it to completion before the others start)"),
    ("exec probe without a command", {"probes": {"liveness": {"type": "exec"}}},
     "services.api.probes.liveness.command: an exec probe needs a command, for example [/bin/healthcheck]"),
    ("command on an http probe", {"probes": {"liveness": {"command": ["/x"]}}},
     "services.api.probes.liveness.command: only exec probes run a command; remove it or set type: exec"),
    ("port on a serving probe", {"probes": {"liveness": {"type": "tcp", "port": 9000}}},
     "services.api.probes.liveness.port: probes of the serving container always use the service's port; remove it"),
    ("negative response start timeout", {"responseStartTimeoutSeconds": -1},
     "services.api.responseStartTimeoutSeconds: is -1, must be >= 0 (0 turns the timer off)"),
    ("idle timeout above the request timeout", {"timeoutSeconds": 60, "idleTimeoutSeconds": 120},
     "services.api.idleTimeoutSeconds: is 120, must be <= timeoutSeconds (60), which ends the request first"),
    ("imagePullSecrets name", {"imagePullSecrets": ["Registry_Creds"]},
     "services.api.imagePullSecrets[0]: secret name 'Registry_Creds' must be a DNS-1123 subdomain"
     ": lowercase labels of letters, digits and '-', joined by '.'"),
    ("service account name", {"serviceAccount": {"name": "API"}},
     "services.api.serviceAccount.name: service account name 'API' must be a DNS-1123 subdomain"
     ": lowercase labels of letters, digits and '-', joined by '.'"),
    ("service account default", {"serviceAccount": {"name": "default"}},
     "services.api.serviceAccount.name: 'default' is the namespace's shared account"
     "; name the service's own, or remove serviceAccount"),
    ("google account not an e-mail", {"serviceAccount": {"googleServiceAccount": "api"}},
     "services.api.serviceAccount.googleServiceAccount: 'api' is not a user-managed Google service account"
     " like name@project.iam.gserviceaccount.com (never a node or default compute account)"),
    ("google account is the compute default", {"serviceAccount": {
        "googleServiceAccount": "123456-compute@developer.gserviceaccount.com"}},
     "services.api.serviceAccount.googleServiceAccount: '123456-compute@developer.gserviceaccount.com' is not a "
     "user-managed Google service account like name@project.iam.gserviceaccount.com (never a node or default "
     "compute account)"),
    ("roles with an existing account", {"serviceAccount": {
        "googleServiceAccount": "api-runtime@proj-123.iam.gserviceaccount.com", "roles": ["roles/viewer"]}},
     "services.api.serviceAccount.roles: grants roles to an account the platform creates; an existing "
     "googleServiceAccount keeps the roles it is given where it is managed. Set one of the two"),
    ("role not a role", {"serviceAccount": {"roles": ["cloudsql.client"]}},
     "services.api.serviceAccount.roles[0]: 'cloudsql.client' is not an IAM role"
     " like roles/cloudsql.client or projects/<project>/roles/<custom>"),
    ("role twice", {"serviceAccount": {"roles": ["roles/viewer", "roles/viewer"]}},
     "services.api.serviceAccount.roles[1]: 'roles/viewer' is listed twice"),
    ("canary rollout duration malformed", {"revision": "v2", "traffic": {"canary": {
        "stable": "v1", "percent": 10, "rolloutDuration": "soon"}}},
     "services.api.traffic.canary.rolloutDuration: 'soon' is not a duration; write it like 90s, 10m or 1h"),
    ("split rollout duration below a second", {"revision": "v2", "traffic": {"split": {
        "targets": [{"latest": True}], "rolloutDuration": "1500ms"}}},
     "services.api.traffic.split.rolloutDuration: rollout-duration=1500ms is not at second precision"),
    ("split rollout duration negative", {"traffic": {"split": {"targets": [{"latest": True}],
                                                                "rolloutDuration": "-1m"}}},
     "services.api.traffic.split.rolloutDuration: rollout-duration=-1m must be positive"),
]


@pytest.mark.parametrize(("fields", "expected"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_each_new_field_refuses_what_knative_would(fields, expected):
    error = config_error("staging", {"services": {"api": svc(**fields)}})
    expected = [expected] if isinstance(expected, str) else expected
    assert [str(p) for p in error.problems] == expected  # the whole list: no second, spurious problem


def test_the_python_api_declares_the_same_fields():
    service = Service(
        name="api", image=IMAGE, command=("/app",), env_from=(EnvFrom(secret_ref="api"),),
        volumes={"cfg": Volume(config_map="api")}, volume_mounts={"cfg": "/etc/api"},
        sidecars=(Container(name="log", image=SIDECAR,
                            probes=Probes(liveness=Probe(type=ProbeType.EXEC, command=("/ok",)))),),
        service_account=ServiceAccount(name="api-runtime"),
    )
    assert service_problems(service, "services.api") == []
    assert json.dumps(service.service_account_name) == '"api-runtime"'


def test_a_new_google_identity_is_in_the_diffs_security_section(tmp_path):
    program = load_program_config(ROOT, "staging")
    services = json.loads(program.config["knative-platform:services"])
    services["greeter"]["serviceAccount"] = {"roles": ["roles/pubsub.subscriber"]}
    write_tree(committed_files("staging"), tmp_path / "base" / "staging")
    write_tree(render_files(run_stack("staging", {"services": services}), program), tmp_path / "head" / "staging")
    review = compare(load_renders(tmp_path / "base"), load_renders(tmp_path / "head"))
    security = {(f.resource, f.topic) for f in review.findings if f.kind is FindingKind.SECURITY}
    assert {topic for _, topic in security} >= {"IAM", "service account"}
    iam = sorted(f.message for f in review.findings if f.topic == "IAM")
    assert iam == [  # the project role and the grant that lets exactly this Kubernetes account act as it
        "created: `roles/iam.workloadIdentityUser` for `serviceAccount:knative-platform-staging.svc.id.goog"
        "[default/greeter]`",
        "created: `roles/pubsub.subscriber` for `serviceAccount:ksvc-greeter@knative-platform-staging.iam."
        "gserviceaccount.com`",
    ]
    assert any(f.topic == "service account" and "serviceAccountName" in f.message for f in review.findings)


def test_look_alike_roles_get_distinct_resource_names():
    from knative_platform.model.service.identity import role_resource_names

    names = role_resource_names("api-identity", ("roles/a.b", "roles/a_b", "roles/cloudsql.client"))
    assert names["roles/a.b"] == "api-identity-a-b"
    assert names["roles/a_b"].startswith("api-identity-a-b-") and len(set(names.values())) == 3
    assert names["roles/cloudsql.client"] == "api-identity-cloudsql-client"


@pytest.mark.parametrize(("type_", "path", "topics"), [
    ("kubernetes:core/v1:ServiceAccount", None, ["service account"]),
    ("gcp:serviceaccount/account:Account", None, ["service account"]),
    ("gcp:serviceaccount/iAMMember:IAMMember", None, ["IAM"]),
    ("kubernetes:core/v1:ServiceAccount", 'metadata.annotations["iam.gke.io/gcp-service-account"]',
     ["service account", "workload identity"]),
    ("kubernetes:serving.knative.dev/v1:Service", "spec.template.spec.imagePullSecrets[0].name", ["secrets"]),
    ("kubernetes:serving.knative.dev/v1:Service", "spec.template.spec.volumes[1].secret.secretName", ["secrets"]),
    ("kubernetes:serving.knative.dev/v1:Service", "spec.template.spec.containers[0].envFrom[0].configMapRef.name",
     ["secrets"]),
    ("kubernetes:serving.knative.dev/v1:Service", "spec.template.spec.volumes[0].configMap.name", []),
])
def test_identity_and_secret_sources_are_security_relevant(type_, path, topics):
    from knative_platform.offline.rules import security_topics

    assert security_topics(type_, path) == topics


def test_a_gradual_rollout_reads_durations_as_knative_does():
    capture = run_stack("local", {"services": {"api": svc(traffic={"gradual": "1.5m"})}})
    assert k8s_objects(capture)[("Service", "api")]["metadata"]["annotations"][
        "serving.knative.dev/rollout-duration"] == "1.5m"
    error = config_error("local", {"services": {"api": svc(traffic={"gradual": "0"})}})
    assert [str(p) for p in error.problems] == [
        "services.api.traffic.gradual.duration: must be at least 1s (Knative reads 0 as no gradual rollout); to "
        "move all traffic at once, use traffic: latest"]


def test_two_services_cannot_share_one_service_account():
    error = config_error("local", {"services": {"a": svc(serviceAccount={"name": "runtime"}),
                                                "b": svc(serviceAccount={"name": "runtime"})}})
    assert [str(p) for p in error.problems] == [
        "services.b.serviceAccount.name: 'runtime' is already services.a's service account in namespace default; "
        "each service gets its own identity"]
