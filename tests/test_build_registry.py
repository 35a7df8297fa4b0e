"""Registry logins (where ``buildah login`` and ``docker login`` leave them) and the registry client, for real.

The client talks to Debian's ``docker-registry`` on loopback; a login-protected one checks the Basic path.
Credential helpers and ``gcloud`` are stand-ins that follow their documented protocols.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
from pathlib import Path

import pytest
from buildtools import PASSWORD, USER, local_registry, no_stored_logins

from knative_platform.imagebuild.credentials import (
    CredentialError,
    Credentials,
    auth_file,
    auth_files,
    find_credentials,
)
from knative_platform.imagebuild.oci import RegistryClient, RegistryError, api_host, is_loopback

__all__ = ["no_stored_logins"]  # the autouse fixture, imported


def auths(path: Path, document: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def basic(user: str, secret: str) -> dict:
    return {"auth": base64.b64encode(f"{user}:{secret}".encode()).decode()}


def helper(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    program = bin_dir / name
    program.write_text(f"#!{sys.executable}\nimport json, sys\nhost = sys.stdin.read()\n{script}\n")
    program.chmod(0o755)


@pytest.fixture
def env(tmp_path):
    return {"HOME": str(tmp_path / "home"), "XDG_RUNTIME_DIR": str(tmp_path / "run"),
            "XDG_CONFIG_HOME": str(tmp_path / "config")}


def test_the_files_are_searched_in_containers_images_order(env, tmp_path):
    assert [str(p) for p, _docker in auth_files(env)] == [
        f"{tmp_path}/run/containers/auth.json", f"{tmp_path}/config/containers/auth.json",
        f"{tmp_path}/home/.docker/config.json"]
    first = {**env, "REGISTRY_AUTH_FILE": "/a.json", "DOCKER_CONFIG": "/d"}
    assert [str(p) for p, _docker in auth_files(first)][::2] == ["/a.json", "/d/config.json"]
    auths(tmp_path / "home" / ".docker" / "config.json", {"auths": {"r.example.com": basic("docker", "d")}})
    assert find_credentials("r.example.com/apps/x", env).username == "docker"
    auths(tmp_path / "run" / "containers" / "auth.json", {"auths": {"r.example.com": basic("buildah", "b")}})
    assert find_credentials("r.example.com/apps/x", env).username == "buildah"  # buildah login's file first


def test_repository_keys_and_docker_style_url_keys_match(env, tmp_path):
    path = tmp_path / "run" / "containers" / "auth.json"
    auths(path, {"auths": {"r.example.com/apps": basic("team", "t"), "https://index.docker.io/v1/": basic("hub", "h")}})
    assert find_credentials("r.example.com/apps/hello", env).username == "team"
    assert find_credentials("r.example.com/other/hello", env) is None
    assert find_credentials("docker.io/me/hello", env).username == "hub"


def test_a_credential_helper_is_asked_with_the_host_on_stdin(env, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    helper(bin_dir, "docker-credential-test", "assert sys.argv[1:] == ['get']\n"
           "print(json.dumps({'ServerURL': host, 'Username': 'helper-user', 'Secret': 'for ' + host}))")
    helper(bin_dir, "docker-credential-empty", "print('credentials not found in native keychain'); sys.exit(1)")
    path = auths(tmp_path / "home" / ".docker" / "config.json", {"credHelpers": {"r.example.com": "test"},
                                                                   "credsStore": "empty"})
    found = find_credentials("r.example.com/apps/hello", env)
    assert (found.username, found.secret) == ("helper-user", "for r.example.com")
    assert found.origin == "docker-credential-test"
    assert "secret=<hidden>" in repr(found) and "for r.example.com" not in repr(found)
    assert find_credentials("other.example.com/x", env) is None  # the store has none: anonymous
    path.write_text(json.dumps({"credHelpers": {"r.example.com": "missing"}}))
    with pytest.raises(CredentialError, match=r"docker-credential-missing \(configured for r\.example\.com\)"):
        find_credentials("r.example.com/x", env)


def test_google_registries_fall_back_to_gcloud(env, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(CredentialError, match="gcloud is not installed: run `gcloud auth configure-docker"):
        find_credentials("europe-west1-docker.pkg.dev/p/apps/hello", env)
    helper(bin_dir, "gcloud", "assert sys.argv[1:] == ['auth', 'print-access-token']; print('ya29.token')")
    found = find_credentials("europe-west1-docker.pkg.dev/p/apps/hello", env)
    assert (found.username, found.secret) == ("oauth2accesstoken", "ya29.token")
    assert find_credentials("r.example.com/apps/hello", env) is None  # only Google's hosts


def test_a_broken_file_is_an_error_not_an_anonymous_push(env, tmp_path):
    auths(tmp_path / "run" / "containers" / "auth.json", {"auths": {"r.example.com": {"auth": "not base64!"}}})
    with pytest.raises(CredentialError, match="is not base64 of <user>:<password>"):
        find_credentials("r.example.com/x", env)
    (tmp_path / "run" / "containers" / "auth.json").write_text("{")
    with pytest.raises(CredentialError, match="cannot read it as JSON"):
        find_credentials("r.example.com/x", env)


def test_the_auth_file_for_buildah_is_readable_by_its_owner_only(tmp_path):
    path = auth_file("r.example.com", Credentials("u", "s", "test"), tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"auths": {"r.example.com": basic("u", "s")}}


@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("localhost:5001", True), ("127.0.0.1:5000", True), ("127.3.2.1", True), ("[::1]:5000", True),
    ("10.0.0.1:5000", False), ("registry.local:5000", False), ("europe-west1-docker.pkg.dev", False)])
def test_only_loopback_registries_may_go_without_tls(host, loopback):
    assert is_loopback(host) is loopback


def test_docker_hub_is_asked_at_its_api_host():
    assert api_host("docker.io") == "registry-1.docker.io" and api_host("ghcr.io") == "ghcr.io"


def test_a_missing_tag_and_a_missing_repository_are_none(tmp_path):
    with local_registry(tmp_path / "registry") as registry:
        client = RegistryClient(registry.host)
        assert client.manifest_digest("apps/hello", "src-" + "0" * 64) is None
        assert client.base_url() == f"http://{registry.host}"  # no TLS on loopback: HTTPS tried, then HTTP


def test_a_registry_behind_a_login_takes_the_right_password_only(tmp_path):
    with local_registry(tmp_path / "registry", auth=True) as registry:
        with pytest.raises(RegistryError, match="needs credentials for apps/hello; log in"):
            RegistryClient(registry.host).manifest_digest("apps/hello", "v1")
        right = RegistryClient(registry.host, Credentials(USER, PASSWORD, "test"))
        assert right.manifest_digest("apps/hello", "v1") is None
        wrong = RegistryClient(registry.host, Credentials(USER, "wrong", "a test file"))
        with pytest.raises(RegistryError, match="refused the credentials from a test file for apps/hello"):
            wrong.manifest_digest("apps/hello", "v1")


def test_an_unreachable_registry_says_so():
    with pytest.raises(RegistryError, match=r"127\.0\.0\.1:9 does not answer as an OCI registry"):
        RegistryClient("127.0.0.1:9", timeout=2).manifest_digest("apps/hello", "v1")
