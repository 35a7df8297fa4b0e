#!/bin/sh
# The `local` stack's cluster and its image registry: kind's "Local Registry" pattern
# (kubernetes-sigs/kind v0.32.0, site/content/docs/user/local-registry.md and
# site/static/examples/kind-with-registry.sh), with this project's cluster config (stacks/kind.yaml).
#
#   stacks/kind-registry.sh          # idempotent: reuses a running registry and an existing cluster
#
# - a registry container `kind-registry` publishes the CNCF distribution registry on 127.0.0.1:5001, where
#   `knative-platform build --stack local` pushes (stacks/Pulumi.local.yaml: registry prefix localhost:5001/apps);
# - each node's containerd maps localhost:5001 to http://kind-registry:5000 (a hosts.toml under
#   /etc/containerd/certs.d, enabled by stacks/kind.yaml), because localhost inside a node is the node itself;
#   pods name images localhost:5001/apps/<service>@sha256:<digest>, exactly as the build recorded them;
# - the registry joins the `kind` Docker network, so the nodes reach it by name.
set -eu

reg_name="${KIND_REGISTRY_NAME:-kind-registry}"
reg_port="${KIND_REGISTRY_PORT:-5001}"
cluster="${KIND_CLUSTER_NAME:-knative}"
# The CNCF distribution registry, version 3 (distribution/distribution v3.0.0), from Docker Hub.
reg_image="${KIND_REGISTRY_IMAGE:-docker.io/library/registry:3.0.0}"
here="$(cd "$(dirname "$0")" && pwd)"

if [ "$(docker inspect -f '{{.State.Running}}' "$reg_name" 2>/dev/null || true)" != "true" ]; then
  docker run -d --restart=always -p "127.0.0.1:${reg_port}:5000" --network bridge --name "$reg_name" "$reg_image"
fi

if ! kind get clusters | grep -qx "$cluster"; then
  # KIND_NODE_IMAGE: a pinned node image (docs/kind.md; e2e-kind.yml pins one by digest)
  kind create cluster --name "$cluster" --config "$here/kind.yaml" --wait 180s ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"}
fi

registry_dir="/etc/containerd/certs.d/localhost:${reg_port}"
for node in $(kind get nodes --name "$cluster"); do
  docker exec "$node" mkdir -p "$registry_dir"
  printf '[host."http://%s:5000"]\n' "$reg_name" | docker exec -i "$node" cp /dev/stdin "$registry_dir/hosts.toml"
done

if [ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$reg_name")" = "null" ]; then
  docker network connect kind "$reg_name"
fi

# KEP-1755: tell in-cluster tools where the local registry is.
kubectl --context "kind-$cluster" apply -f - <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:${reg_port}"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
YAML
