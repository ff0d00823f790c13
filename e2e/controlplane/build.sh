#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager, kubectl, helm) from
# the Go modules pinned in go.mod/go.sum into a cache folder keyed by those pins, and reuses it
# when nothing changed. Prints the folder on its last line of stdout; progress goes to stderr.
# Everything comes from the Go module proxy (GOPROXY as configured on the machine).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if ! command -v go >/dev/null 2>&1; then
  echo "controlplane: Go is required to build the test control plane (go >= $(sed -n 's/^go //p' "$here/go.mod")); install Go and run again" >&2
  exit 2
fi

kube_version="$(sed -n 's/^\tk8s.io\/kubernetes \(v[^ ]*\).*/\1/p' "$here/go.mod" | head -1)"
key="$( (go version; cat "$here/go.mod" "$here/go.sum" "$here/build.sh"; find "$here/etcd" -name '*.go' -print0 | sort -z | xargs -0 cat) | sha256sum | cut -c1-16)"
cache_root="${MCP_CONTROLPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-registry/controlplane}"
out="$cache_root/$kube_version-$key"
programs=(etcd kube-apiserver kube-controller-manager kubectl helm)

complete=1
for program in "${programs[@]}"; do
  [[ -x "$out/$program" ]] || complete=0
done
if [[ $complete == 1 ]]; then
  echo "controlplane: reusing $out (Kubernetes $kube_version, nothing changed)" >&2
  echo "$out"
  exit 0
fi

mkdir -p "$cache_root"
staging="$(mktemp -d "$cache_root/.build-XXXXXX")"
trap 'rm -rf "$staging"' EXIT
minor="${kube_version#v1.}"; minor="${minor%%.*}"
version_flags=""
for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_flags+=" -X $package.gitVersion=$kube_version -X $package.gitMajor=1 -X $package.gitMinor=$minor"
  version_flags+=" -X $package.gitTreeState=clean -X $package.buildDate=1970-01-01T00:00:00Z"
done
helm_version="$(sed -n 's/^\thelm.sh\/helm\/v4 \(v[^ ]*\).*/\1/p' "$here/go.mod" | head -1)"
helm_flags="-X helm.sh/helm/v4/internal/version.version=$helm_version"

declare -A targets=(
  [etcd]=./etcd
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kubectl]=k8s.io/kubernetes/cmd/kubectl
  [helm]=helm.sh/helm/v4/cmd/helm
)
started=$SECONDS
cd "$here"
for program in "${programs[@]}"; do
  t0=$SECONDS
  flags="-s -w$version_flags"
  [[ $program == helm ]] && flags="-s -w $helm_flags"
  CGO_ENABLED=0 go build -trimpath -mod=readonly -ldflags "$flags" -o "$staging/$program" "${targets[$program]}"
  echo "controlplane: built $program in $((SECONDS - t0)) s" >&2
done
rm -rf "$out"
mv "$staging" "$out"
trap - EXIT
echo "controlplane: built ${programs[*]} (Kubernetes $kube_version, helm $helm_version) into $out in $((SECONDS - started)) s" >&2
echo "$out"
