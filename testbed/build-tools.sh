#!/usr/bin/env bash
# Builds every testbed binary with Go from the module proxy into a cache outside the repo, keyed by
# versions.env (pins.sh). Nothing prebuilt is downloaded. Each binary is built once per key; reruns are no-ops.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

# shellcheck source=pins.sh
source "$here/pins.sh"
key=$(testbed_pins "$here" | sha256sum | cut -c1-12)
cache=${CHAOS_TESTBED_CACHE:-$HOME/.cache/chaos-testbed}/$key
bin=$cache/bin
src=$cache/src
mkdir -p "$bin" "$src"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local

log() { printf '[build-tools] %s\n' "$*" >&2; }

# Writes a throwaway module that requires $1@$2 and imports the given main packages in a tools file, so that
# `go mod tidy` pins their dependencies; the module's own relative replace directives are what stop `go install`.
wrapper_module() {
  local dir=$1 module=$2 version=$3; shift 3
  mkdir -p "$dir"
  {
    echo "module chaos-testbed/wrapper"
    echo
    echo "go 1.24.0"
    echo
    echo "require $module $version"
  } >"$dir/go.mod"
  {
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    echo "import ("
    for pkg in "$@"; do echo "	_ \"$pkg\""; done
    echo ")"
  } >"$dir/tools.go"
}

build_kind() {
  [ -x "$bin/kind" ] && return 0
  log "kind $KIND_VERSION"
  GOBIN=$bin go install -ldflags='-s -w' "sigs.k8s.io/kind@$KIND_VERSION"
}

build_k6() {
  [ -x "$bin/k6" ] && return 0
  log "k6 $K6_VERSION"
  GOBIN=$bin go install -ldflags='-s -w' "go.k6.io/k6@$K6_VERSION"
}

kubernetes_commands=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubeadm kubectl)

build_kubernetes() {
  local missing=0 c
  for c in "${kubernetes_commands[@]}"; do [ -x "$bin/$c" ] || missing=1; done
  [ "$missing" = 0 ] && return 0
  log "kubernetes $KUBERNETES_VERSION (${kubernetes_commands[*]})"
  local dir=$src/kubernetes staging_version gomod
  staging_version=v0.${KUBERNETES_VERSION#v1.}
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  local pkgs=()
  for c in "${kubernetes_commands[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  wrapper_module "$dir" k8s.io/kubernetes "$KUBERNETES_VERSION" "${pkgs[@]}"
  # Kubernetes replaces each staging module with ./staging/src/...; point each at its published twin instead.
  grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk '{print $1}' | while read -r m; do
    echo "replace $m => $m $staging_version"
  done >>"$dir/go.mod"
  (cd "$dir" && go mod tidy)
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local ldflags="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.gitTreeState=clean"
    ldflags+=" -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$bin/" "${pkgs[@]}")
}

build_etcd() {
  [ -x "$bin/etcd" ] && return 0
  log "etcd $ETCD_VERSION"
  local dir=$src/etcd
  wrapper_module "$dir" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3
  (cd "$dir" && go mod tidy && go build -trimpath -ldflags='-s -w' -o "$bin/etcd" go.etcd.io/etcd/server/v3)
}

build_coredns() {
  [ -x "$bin/coredns" ] && return 0
  log "coredns $COREDNS_VERSION"
  GOBIN=$bin go install -ldflags='-s -w' "github.com/coredns/coredns@$COREDNS_VERSION"
}

# The version ldflags metrics-server's own Makefile sets, so `metrics-server --version` and its user agent say v0.x.y.
build_metrics_server() {
  [ -x "$bin/metrics-server" ] && return 0
  log "metrics-server $METRICS_SERVER_VERSION"
  local p=k8s.io/client-go/pkg/version
  GOBIN=$bin go install -trimpath \
    -ldflags="-s -w -X $p.gitVersion=$METRICS_SERVER_VERSION -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=1970-01-01T00:00:00Z" \
    "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION"
}

build_pause() {
  [ -x "$bin/pause" ] && return 0
  log "pause (testbed/pause)"
  (cd "$here/pause" && go build -trimpath -ldflags='-s -w' -o "$bin/pause" .)
}

# Jaeger (cmd/jaeger: the v2 binary, an OpenTelemetry Collector with Jaeger's storage and query) for the
# testbed's trace backend. Keyed by its own pin only and kept out of the default targets: it is the largest
# build here (about 20 min on two cores from an empty Go cache), and bumping it must not rebuild Kubernetes.
jaeger_bin() { echo "${CHAOS_TESTBED_CACHE:-$HOME/.cache/chaos-testbed}/jaeger-$JAEGER_VERSION/jaeger"; }

build_jaeger() {
  local out
  out=$(jaeger_bin)
  [ -x "$out" ] && return 0
  log "jaeger $JAEGER_VERSION"
  mkdir -p "$(dirname "$out")"
  local dir=$src/jaeger-$JAEGER_VERSION
  wrapper_module "$dir" github.com/jaegertracing/jaeger "$JAEGER_VERSION" github.com/jaegertracing/jaeger/cmd/jaeger
  (cd "$dir" && go mod tidy && go build -trimpath -ldflags='-s -w' -o "$out.partial" github.com/jaegertracing/jaeger/cmd/jaeger)
  mv "$out.partial" "$out"
}

if [ "${1:-}" = "--print-jaeger" ]; then jaeger_bin; exit 0; fi
if [ "${1:-}" = "--print-bin" ]; then echo "$bin"; exit 0; fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(kind k6 pause kubernetes etcd coredns metrics_server)
for t in "${targets[@]}"; do "build_$t"; done
log "done: $bin"
