#!/usr/bin/env bash
# The offline kind testbed: one entry point for up | down | status | images.
#
# Everything is built here from the Debian archive and the Go module proxy, because no container registry
# is reachable: the container engine, kind, k6, Kubernetes, etcd, coredns, the kind node image and every image
# the cluster runs. Work is cached outside the repo, keyed by versions.env, so a warm `up` only creates the
# cluster and deploys the sample stack.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

# shellcheck source=pins.sh
source "$here/pins.sh"
# Bumping an image pin (Prometheus, MLServer) rebuilds that image, not the testbed's Go builds.
key=$(testbed_pins "$here" | sha256sum | cut -c1-12)
# Images also depend on how this script builds them: a change here rebuilds them, a change elsewhere does not.
recipe=$({ testbed_pins "$here"; cat "$here/testbed.sh" "$here"/agent/*; } | sha256sum | cut -c1-12)
cache_root=${CHAOS_TESTBED_CACHE:-$HOME/.cache/chaos-testbed}
cache=$cache_root/$key
state=$cache_root/state
logs=$state/logs
bin=$cache/bin
cluster=${CHAOS_CLUSTER_NAME:-chaos}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache" "$logs"
caller_path=$PATH
export PATH="$bin:$PATH"

# Images the testbed builds besides the node image. Tags are what kubeadm, kind and deploy/ ask for.
base_image=chaos-testbed/debian:$DEBIAN_SUITE
node20_image=chaos-testbed/node20:$DEBIAN_SUITE
netem_image=chaos-testbed/netem:$DEBIAN_SUITE
python_image=chaos-testbed/python3:$DEBIAN_SUITE
metrics_server_image=chaos-testbed/metrics-server:$METRICS_SERVER_VERSION
# Docker tags take no '+': 2.42.0+ds-5+deb12u1 → 2.42.0-ds-5-deb12u1.
prometheus_image=chaos-testbed/prometheus:${PROMETHEUS_VERSION//+/-}
jaeger_image=chaos-testbed/jaeger:$JAEGER_VERSION
kube_minor=${KUBERNETES_VERSION#v1.}
kube_minor=${kube_minor%%.*}

step_started=0
current_step=""
current_log=""
t0=$(date +%s)

say() { printf '[testbed] %s\n' "$*" >&2; }
elapsed() { echo $(($(date +%s) - $1))s; }

# Runs one named step with its output in its own log file; a failure names the step and the log to read.
step() {
  local name=$1; shift
  current_step=$name
  current_log=$logs/$name.log
  step_started=$(date +%s)
  say "▶ $name"
  # In the background, not in an `if`: bash ignores errexit inside a function called as a condition.
  "$@" >"$current_log" 2>&1 &
  local pid=$! rc=0
  wait "$pid" || rc=$?
  if [ "$rc" = 0 ]; then
    say "✔ $name ($(elapsed "$step_started"))"
  else
    say "✘ $name failed after $(elapsed "$step_started") (exit $rc). Read: $current_log"
    tail -n 25 "$current_log" | sed 's/^/    /' >&2
    exit "$rc"
  fi
}

# ---------------------------------------------------------------------------------------------------------
# Container engine
# ---------------------------------------------------------------------------------------------------------

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

install_engine() {
  if ! command -v dockerd >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap
  fi
  command -v jq >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y jq
}

start_dockerd() {
  local -a args=(--pidfile "$state/dockerd.pid")
  if [ -f "$state/runc-wrapper.enabled" ]; then
    args+=(--add-runtime "chaos-runc=$state/runc-wrapper" --default-runtime chaos-runc)
  fi
  # setsid: the daemon must outlive this script and the CI step that started it, until `down`.
  setsid dockerd "${args[@]}" >>"$logs/dockerd.log" 2>&1 < /dev/null &
  echo $! >"$state/dockerd.started-by-testbed"
  local i
  for i in $(seq 1 60); do docker_answers && return 0; sleep 1; done
  echo "dockerd did not answer within 60s; see $logs/dockerd.log" >&2
  return 1
}

stop_our_dockerd() {
  [ -f "$state/dockerd.started-by-testbed" ] || return 0
  local pid
  pid=$(cat "$state/dockerd.started-by-testbed")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    local i
    for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f "$state/dockerd.started-by-testbed"
}

# The VMs CI runs on lack CAP_SYS_RESOURCE in their bounding set, so runc cannot grant it to privileged
# containers. The wrapper drops that one capability from the OCI spec before handing over to the real runc.
write_runc_wrapper() {
  local real_runc
  real_runc=$(command -v runc)
  cat >"$state/runc-wrapper" <<EOF
#!/bin/sh
# Written by chaos testbed: drops CAP_SYS_RESOURCE (absent from this VM's bounding set), then runs runc.
strip() {
  [ -f "\$1" ] || return 0
  tmp="\$1.chaos.\$\$"
  jq 'walk(if type == "array" then map(select(. != "CAP_SYS_RESOURCE")) else . end)' "\$1" >"\$tmp" && mv "\$tmp" "\$1"
}
bundle=""; process=""; prev=""
for a in "\$@"; do
  case "\$prev" in
    --bundle|-b) bundle="\$a" ;;
    --process|-p) process="\$a" ;;
  esac
  case "\$a" in
    --bundle=*) bundle="\${a#--bundle=}" ;;
    --process=*) process="\${a#--process=}" ;;
  esac
  prev="\$a"
done
[ -n "\$bundle" ] && strip "\$bundle/config.json"
[ -n "\$process" ] && strip "\$process"
exec $real_runc "\$@"
EOF
  chmod +x "$state/runc-wrapper"
}

probe_privileged() {
  docker run --rm --privileged --network none "$base_image" true
}

engine() {
  install_engine
  if ! docker_answers; then
    echo "no container engine answers: starting dockerd"
    start_dockerd
  else
    echo "a container engine already answers: using it"
  fi
}

# Needs an image to probe with, so it runs after the base image exists.
engine_privileged() {
  local out
  if out=$(probe_privileged 2>&1); then
    echo "docker run --privileged works"
    return 0
  fi
  echo "$out"
  case "$out" in
    *"unable to apply caps"*) ;;
    *) echo "privileged containers fail for a reason the testbed does not know how to fix" >&2; return 1 ;;
  esac
  if [ ! -f "$state/dockerd.started-by-testbed" ]; then
    echo "privileged containers fail (unable to apply caps) and dockerd was not started by the testbed:" >&2
    echo "restart it with the runtime in $state/runc-wrapper (--add-runtime/--default-runtime)" >&2
    write_runc_wrapper
    return 1
  fi
  echo "installing the runc wrapper runtime and restarting dockerd"
  write_runc_wrapper
  touch "$state/runc-wrapper.enabled"
  stop_our_dockerd
  start_dockerd
  probe_privileged
  echo "docker run --privileged works with the wrapper"
}

# ---------------------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------------------

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# debootstrap into the cache, then `docker import`: no base image can be pulled.
import_rootfs() {
  local tag=$1 dir=$2 packages=$3; shift 3
  have_image "$tag" && { echo "$tag exists"; return 0; }
  rm -rf "$dir"
  debootstrap --variant=minbase --include="$packages" "$DEBIAN_SUITE" "$dir" "$mirror"
  chroot "$dir" apt-get clean
  rm -rf "$dir"/var/lib/apt/lists/*
  tar -C "$dir" -c . | docker import "$@" - "$tag"
  rm -rf "$dir"
}

base_images() {
  import_rootfs "$base_image" "$cache/rootfs-base" \
    iptables,conntrack,iproute2,ipset,kmod,ca-certificates,procps \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
}

# Debian's own Python (3.11 on bookworm) and venv: what the MLServer image installs its locked wheels into.
python_base_image() {
  import_rootfs "$python_image" "$cache/rootfs-python" python3,python3-venv,ca-certificates \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
}

# Small images built from a generated Dockerfile in a scratch context, unless the tag exists.
build_image() {
  have_image "$1" && return 0
  rebuild_image "$@"
}

rebuild_image() {
  local tag=$1 dockerfile=$2; shift 2
  local ctx
  ctx=$(mktemp -d)
  local f
  for f in "$@"; do cp -L "$f" "$ctx/"; done
  printf '%s\n' "$dockerfile" >"$ctx/Dockerfile"
  docker build -t "$tag" "$ctx"
  rm -rf "$ctx"
}

static_image() {
  local tag=$1 binary=$2 entrypoint=${3:-}
  local df="FROM scratch
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY $binary /usr/local/bin/$binary"
  [ -n "$entrypoint" ] && df+="
COPY $binary $entrypoint
ENTRYPOINT [\"$entrypoint\"]"
  build_image "$tag" "$df" "$bin/$binary"
}

component_images() {
  local k=registry.k8s.io
  local c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    static_image "$k/$c:$KUBERNETES_VERSION" "$c"
  done
  build_image "$k/kube-proxy:$KUBERNETES_VERSION" "FROM $base_image
COPY kube-proxy /usr/local/bin/kube-proxy" "$bin/kube-proxy"
  static_image "$k/etcd:$ETCD_IMAGE_TAG" etcd
  static_image "$k/coredns/coredns:$COREDNS_VERSION" coredns /coredns
  static_image "$k/pause:$PAUSE_IMAGE_TAG" pause /pause
  # The Node runtime for the sample stack and the harness: Debian base + the host's Node 20 (same glibc).
  build_image "$node20_image" "FROM $base_image
COPY node /usr/local/bin/node
ENTRYPOINT [\"/usr/local/bin/node\"]" "$(command -v node)"
  # The latency agent: tc/iptables/conntrack from the base, node for the proxy fallback on kernels without netem.
  rebuild_image "$netem_image" "FROM $node20_image
COPY delay-proxy.mjs /opt/chaos/delay-proxy.mjs
LABEL chaos.recipe=$recipe
ENTRYPOINT []" "$here/agent/delay-proxy.mjs"
  check_kubeadm_images
}

# kubeadm decides the tags; fail loudly if versions.env drifted from what this kubeadm expects.
check_kubeadm_images() {
  local want
  want=$("$bin/kubeadm" config images list --kubernetes-version "$KUBERNETES_VERSION" 2>/dev/null)
  echo "kubeadm wants:"
  echo "$want"
  local img
  for img in $want; do
    have_image "$img" || { echo "missing image kubeadm expects: $img (fix versions.env)" >&2; return 1; }
  done
}

node_rootfs_packages=systemd,systemd-sysv,dbus,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,bash,ca-certificates,curl,jq,procps,containerd,runc,containernetworking-plugins,fuse-overlayfs,ipset,socat,ebtables

node_base_image=chaos-testbed/node-base:$DEBIAN_SUITE-$recipe

node_base() {
  local tag=$node_base_image
  have_image "$tag" && { echo "$tag exists"; return 0; }
  local dir=$cache/rootfs-node kind_files
  rm -rf "$dir"
  debootstrap --variant=minbase --include="$node_rootfs_packages" "$DEBIAN_SUITE" "$dir" "$mirror"
  kind_files=$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | jq -r .Dir)/images/base/files
  # The same layout kind's base image Dockerfile produces, from kind's own files.
  install -m 0755 "$kind_files"/usr/local/bin/* "$dir/usr/local/bin/"
  mkdir -p "$dir/kind" "$dir/etc/containerd" "$dir/etc/default" "$dir/etc/sysctl.d" \
    "$dir/etc/systemd/system/kubelet.service.d" "$dir/opt/cni/bin" "$dir/etc/kubernetes/manifests"
  cp -r "$kind_files/kind/." "$dir/kind/"
  chmod 0755 "$dir/kind/bin" "$dir"/kind/bin/*
  install -m 0644 "$kind_files/etc/crictl.yaml" "$dir/etc/"
  install -m 0644 "$kind_files"/etc/containerd/* "$dir/etc/containerd/"
  install -m 0644 "$kind_files"/etc/default/* "$dir/etc/default/"
  install -m 0644 "$kind_files"/etc/sysctl.d/* "$dir/etc/sysctl.d/"
  install -m 0644 "$kind_files"/etc/systemd/system/*.service "$kind_files"/etc/systemd/system/*.slice \
    "$dir/etc/systemd/system/"
  install -m 0644 "$kind_files"/etc/systemd/system/kubelet.service.d/* "$dir/etc/systemd/system/kubelet.service.d/"
  # kind's units expect containerd in /usr/local/bin; Debian installs it in /usr/bin.
  ln -sf /usr/bin/containerd "$dir/usr/local/bin/containerd"
  ln -sf /usr/bin/ctr "$dir/usr/local/bin/ctr"
  ln -sf /usr/bin/containerd-shim-runc-v2 "$dir/usr/local/bin/containerd-shim-runc-v2"
  cp /usr/lib/cni/host-local /usr/lib/cni/loopback /usr/lib/cni/ptp /usr/lib/cni/portmap "$dir/opt/cni/bin/" 2>/dev/null ||
    cp "$dir"/usr/lib/cni/{host-local,loopback,ptp,portmap} "$dir/opt/cni/bin/"
  sed -i "s#registry.k8s.io/pause:[0-9.]*#registry.k8s.io/pause:$PAUSE_IMAGE_TAG#" "$dir/etc/containerd/config.toml"
  # Pods ask for negative oom_score_adj (-998 for static pods), which needs CAP_SYS_RESOURCE: the capability
  # these VMs lack. Restricting clamps it to containerd's own score instead of failing every sandbox.
  sed -i "s/restrict_oom_score_adj = false/restrict_oom_score_adj = true/" "$dir/etc/containerd/config.toml"
  grep -q "restrict_oom_score_adj = true" "$dir/etc/containerd/config.toml"
  chroot "$dir" sh -c 'ctr oci spec | jq ".hooks.createContainer[.hooks.createContainer | length] |= . + {\"path\": \"/kind/bin/mount-product-files.sh\"}" | jq "del(.process.rlimits)" > /etc/containerd/cri-base.json'
  chroot "$dir" sh -c '
    find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
    rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
      /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
      /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
    echo ReadKMsg=no >> /etc/systemd/journald.conf
    ln -sf "$(command -v systemd || echo /lib/systemd/systemd)" /sbin/init
    systemctl enable kubelet.service containerd.service undo-mount-hacks.service
    systemctl mask systemd-binfmt.service
    apt-get clean'
  rm -rf "$dir"/var/lib/apt/lists/*
  tar -C "$dir" -c . | docker import --change 'ENV container=docker' - "$tag"
  rm -rf "$dir"
}

# The node layer: Kubernetes binaries plus every image kubeadm and kind need, preloaded into containerd's
# k8s.io namespace so that nothing in the cluster is ever pulled.
node_image() {
  if [ "$(docker image inspect -f '{{index .Config.Labels "chaos.recipe"}}' "$NODE_IMAGE" 2>/dev/null)" = "$recipe" ]; then
    echo "$NODE_IMAGE exists (recipe $recipe)"
    return 0
  fi
  local tars=$cache/node-images work=chaos-testbed-node-build
  rm -rf "$tars"; mkdir -p "$tars"
  local images img
  images=$("$bin/kubeadm" config images list --kubernetes-version "$KUBERNETES_VERSION")
  images+=" $netem_image"
  for img in $images; do docker save -o "$tars/$(echo "$img" | tr '/:' '__').tar" "$img"; done
  docker rm -f "$work" >/dev/null 2>&1 || true
  docker run -d --name "$work" --privileged --entrypoint sleep "$node_base_image" infinity
  local c
  for c in kubeadm kubelet kubectl; do docker cp "$bin/$c" "$work:/usr/bin/$c"; done
  docker exec "$work" sh -c "echo $KUBERNETES_VERSION > /kind/version"
  docker cp "$tars" "$work:/images"
  docker exec "$work" bash -c '
    set -e
    containerd >/tmp/containerd.log 2>&1 &
    for i in $(seq 1 30); do ctr version >/dev/null 2>&1 && break; sleep 1; done
    for t in /images/*.tar; do ctr -n k8s.io images import --no-unpack --digests "$t"; done
    ctr -n k8s.io images ls -q
    kill %1; wait || true
    rm -rf /images /tmp/containerd.log'
  docker stop -t 1 "$work" >/dev/null
  docker commit "$work" chaos-testbed/node-build:tmp
  docker rm -f "$work" >/dev/null
  # docker import/commit cannot set STOPSIGNAL; systemd as PID 1 needs SIGRTMIN+3 to shut down cleanly.
  rebuild_image "$NODE_IMAGE" "FROM chaos-testbed/node-build:tmp
LABEL chaos.recipe=$recipe
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT [\"/usr/local/bin/entrypoint\", \"/sbin/init\"]
CMD []"
  docker rmi chaos-testbed/node-build:tmp >/dev/null
  rm -rf "$tars"
}

# ---------------------------------------------------------------------------------------------------------
# Cluster
# ---------------------------------------------------------------------------------------------------------

cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$cluster"; }

# kind's default node image where it can be pulled (online machines), the locally built one otherwise.
choose_node_image() {
  local default
  default=$(kind version >/dev/null 2>&1 && grep -o 'kindest/node:[^@"]*' \
    "$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | jq -r .Dir)/pkg/apis/config/defaults/image.go" | head -1)
  if [ "${CHAOS_TESTBED_PULL_DEFAULT:-0}" = 1 ] && [ -n "$default" ] && timeout 60 docker pull "$default" >/dev/null 2>&1; then
    echo "$default"
  else
    echo "$NODE_IMAGE"
  fi
}

create_cluster() {
  if cluster_exists; then
    if kubectl --context "kind-$cluster" --request-timeout=10s get --raw /readyz >/dev/null 2>&1; then
      echo "cluster $cluster exists"
      return 0
    fi
    # Its containers outlived their engine (a reboot, a stopped dockerd): a cluster that does not answer is
    # no use, and nothing in it is worth keeping.
    say "cluster $cluster exists but its API server does not answer: recreating it"
    kind delete cluster --name "$cluster"
  fi
  local image
  image=$(choose_node_image)
  if [ "$image" = "$NODE_IMAGE" ]; then
    say "node image: $image (built here; kind's default image is only tried with CHAOS_TESTBED_PULL_DEFAULT=1, since CI reaches no registry)"
  else
    say "node image: $image (kind's default, pulled)"
  fi
  mkdir -p "$state/audit"
  sed "s#@AUDIT_DIR@#$state/audit#; s#@REPO@#$repo#" "$repo/kind-config.yaml" >"$state/kind-config.yaml"
  kind create cluster --name "$cluster" --image "$image" --config "$state/kind-config.yaml" --retain
  kubectl config use-context "kind-$cluster"
}

# kind's CNI (kindnetd) is not published as a module version the proxy serves, so the cluster runs with
# disableDefaultCNI and this does kindnetd's job: a ptp CNI config per node for its podCIDR, and a route
# on every node to every other node's podCIDR.
configure_network() {
  local nodes n
  nodes=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
  for n in $nodes; do
    local cidr=""
    local i
    for i in $(seq 1 60); do
      cidr=$(kubectl get node "$n" -o jsonpath='{.spec.podCIDR}')
      [ -n "$cidr" ] && break; sleep 1
    done
    [ -n "$cidr" ] || { echo "node $n has no podCIDR" >&2; return 1; }
    docker exec -i "$n" sh -c 'mkdir -p /etc/cni/net.d && cat > /etc/cni/net.d/10-chaos-ptp.conflist' <<EOF
{
  "cniVersion": "0.4.0",
  "name": "chaos-ptp",
  "plugins": [
    {
      "type": "ptp",
      "ipMasq": false,
      "mtu": 1500,
      "ipam": {
        "type": "host-local",
        "dataDir": "/run/cni-ipam-state",
        "ranges": [[{ "subnet": "$cidr" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
    for peer in $nodes; do
      [ "$peer" = "$n" ] && continue
      local peer_ip peer_cidr
      peer_ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$peer")
      peer_cidr=$(kubectl get node "$peer" -o jsonpath='{.spec.podCIDR}')
      [ -n "$peer_cidr" ] || { sleep 2; peer_cidr=$(kubectl get node "$peer" -o jsonpath='{.spec.podCIDR}'); }
      docker exec "$n" ip route replace "$peer_cidr" via "$peer_ip"
    done
    # Pods reach the outside (the other nodes' addresses) masqueraded; pod-to-pod stays unmasqueraded.
    local pod_subnet
    pod_subnet=$(kubectl get cm -n kube-system kubeadm-config -o jsonpath='{.data.ClusterConfiguration}' | sed -n 's/.*podSubnet: *//p')
    docker exec "$n" sh -c "iptables -t nat -C POSTROUTING -s $cidr ! -d $pod_subnet -j MASQUERADE 2>/dev/null ||
      iptables -t nat -A POSTROUTING -s $cidr ! -d $pod_subnet -j MASQUERADE"
  done
  kubectl wait --for=condition=Ready nodes --all --timeout=180s
  kubectl -n kube-system rollout status deploy/coredns --timeout=180s
}

# The resource metrics API (`kubectl top`, the scorer's HPA). The image is the static binary from build-tools.sh
# on scratch, tagged by version: built once, `kind load`ed (a no-op when the nodes have it), applied each `up`.
metrics_server() {
  static_image "$metrics_server_image" metrics-server /metrics-server
  kind load docker-image --name "$cluster" "$metrics_server_image"
  sed "s#@IMAGE@#$metrics_server_image#" "$here/metrics-server.yaml" | kubectl apply -f -
  kubectl -n kube-system rollout status deploy/metrics-server --timeout=180s
  # Only now, with the Service's rules long in place (readiness takes 20 s), let the aggregator dial it.
  kubectl apply -f "$here/metrics-server-apiservice.yaml"
  # Ready is not serving yet: the aggregated API answers once the APIService is Available and a first scrape
  # of every node is in. Wait for that, so an HPA applied next finds metrics at once.
  local i
  for i in $(seq 1 60); do
    if kubectl top nodes >/dev/null 2>&1; then kubectl top nodes; return 0; fi
    sleep 2
  done
  kubectl get apiservice v1beta1.metrics.k8s.io -o wide >&2 || true
  echo "the metrics API did not answer within 120s" >&2
  return 1
}

# Prometheus from Debian's package: debootstrap'd with it (its JS UI dependencies come along), then only the
# two binaries on our base image, so the image is small and nothing is pulled. The archive decides what
# `--include` gets; a version other than the pinned one fails here rather than drifting silently.
prometheus_image_build() {
  have_image "$prometheus_image" && { echo "$prometheus_image exists"; return 0; }
  local dir=$cache/rootfs-prometheus got
  rm -rf "$dir"
  debootstrap --variant=minbase --include=prometheus "$DEBIAN_SUITE" "$dir" "$mirror"
  got=$(chroot "$dir" dpkg-query -W -f '${Version}' prometheus)
  if [ "$got" != "$PROMETHEUS_VERSION" ]; then
    echo "the archive has prometheus $got, versions.env pins $PROMETHEUS_VERSION: update PROMETHEUS_VERSION" >&2
    rm -rf "$dir"
    return 1
  fi
  build_image "$prometheus_image" "FROM $base_image
COPY prometheus promtool /usr/bin/
LABEL chaos.prometheus-version=$PROMETHEUS_VERSION
USER 65534:65534
ENTRYPOINT [\"/usr/bin/prometheus\"]" "$dir/usr/bin/prometheus" "$dir/usr/bin/promtool"
  rm -rf "$dir"
}

prometheus() {
  prometheus_image_build
  kind load docker-image --name "$cluster" "$prometheus_image" "$node20_image"
  kubectl create namespace monitoring --dry-run=client -o yaml | kubectl apply -f -
  kubectl -n monitoring create configmap prometheus-sd --from-file="$here/prometheus-sd.mjs" \
    --dry-run=client -o yaml | kubectl apply -f -
  sed -e "s#@IMAGE@#$prometheus_image#" -e "s#@NODE_IMAGE@#$node20_image#" "$here/prometheus.yaml" | kubectl apply -f -
  # The ConfigMaps are read at start: a changed discovery script or scrape config needs a new pod.
  kubectl -n monitoring rollout restart deploy/prometheus
  kubectl -n monitoring rollout status deploy/prometheus --timeout=180s
}

# Jaeger, the trace backend: its v2 binary from build-tools.sh (own cache dir, keyed by JAEGER_VERSION only).
# A cold build is the longest single thing `up` does, so `up` starts it in the background right after the tools
# step and the jaeger step, last, only waits for it. The pid file lets a second `up` (after a failed step left the
# build running) wait for that build instead of starting another one into the same output.
jaeger_build_pid=$state/jaeger-build.pid
jaeger_build_started=0

jaeger_build_running() {
  local pid
  pid=$(cat "$jaeger_build_pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && grep -qa build-tools.sh "/proc/$pid/cmdline" 2>/dev/null
}

start_jaeger_build() {
  [ -x "$("$here/build-tools.sh" --print-jaeger)" ] && return 0
  jaeger_build_started=1
  if jaeger_build_running; then
    say "Jaeger: the build an earlier run started is still going (pid $(cat "$jaeger_build_pid")); the jaeger step waits for it"
    return 0
  fi
  # niced: the cluster's own steps come first on a two-core machine; the build only has to be done by the end.
  nice -n 10 "$here/build-tools.sh" jaeger >"$logs/jaeger-build.log" 2>&1 </dev/null &
  echo $! >"$jaeger_build_pid"
  say "Jaeger: building in the background (log $logs/jaeger-build.log); the jaeger step waits for it"
}

# Scratch plus the static binary, as uid 65534; the Deployment mounts an emptyDir on /tmp (the root is read-only).
# The tag says the version; a label says which binary, so a rebuilt binary of the same version is not left out.
jaeger_image_build() {
  local binary=$1 sum
  sum=$(sha256sum "$binary" | cut -c1-12)
  if [ "$(docker image inspect -f '{{index .Config.Labels "chaos.jaeger-binary"}}' "$jaeger_image" 2>/dev/null)" = "$sum" ]; then
    echo "$jaeger_image exists (binary $sum)"
    return 0
  fi
  rebuild_image "$jaeger_image" "FROM scratch
COPY jaeger /usr/local/bin/jaeger
LABEL chaos.jaeger-version=$JAEGER_VERSION chaos.jaeger-binary=$sum
USER 65534:65534
ENTRYPOINT [\"/usr/local/bin/jaeger\"]" "$binary"
}

jaeger() {
  local binary waited
  binary=$("$here/build-tools.sh" --print-jaeger)
  if [ "$jaeger_build_started" = 1 ]; then
    waited=$(date +%s)
    echo "waiting for the background Jaeger build (log $logs/jaeger-build.log)"
    while jaeger_build_running; do sleep 5; done
    echo "waited $(elapsed "$waited")"
    if [ ! -x "$binary" ]; then
      echo "the background Jaeger build failed: read $logs/jaeger-build.log; its end:" >&2
      tail -n 20 "$logs/jaeger-build.log" >&2
      return 1
    fi
  fi
  # A no-op when built; builds in the foreground when run as `testbed.sh step jaeger`.
  "$here/build-tools.sh" jaeger
  jaeger_image_build "$binary"
  load_unless_present "$jaeger_image"
  # The config is read at start, and the traces live in the pod's memory: a new pod only when the manifest or
  # the image changed (their hash in the pod template), so rerunning `up` keeps the traces collected so far.
  local hash
  hash=$({ cat "$here/jaeger.yaml"; docker image inspect -f '{{.Id}}' "$jaeger_image"; } | sha256sum | cut -c1-12)
  sed -e "s#@IMAGE@#$jaeger_image#" -e "s#@CONFIG_HASH@#$hash#" "$here/jaeger.yaml" | kubectl apply -f -
  kubectl -n monitoring rollout status deploy/jaeger --timeout=180s
  # Ready means every pipeline component reported OK; the query API through the NodePort is what users get.
  local _
  for _ in $(seq 1 30); do
    if curl -fsS --max-time 5 http://127.0.0.1:30686/api/services; then echo; return 0; fi
    sleep 2
  done
  echo "Jaeger's query API did not answer on http://127.0.0.1:30686 within 60s" >&2
  return 1
}

# ---------------------------------------------------------------------------------------------------------
# Sample stack
# ---------------------------------------------------------------------------------------------------------

sample_stack() {
  if [ ! -f "$repo/deploy/kustomization.yaml" ]; then
    echo "deploy/ has no kustomization yet: nothing to deploy"
    return 0
  fi
  "$repo/deploy/build-images.sh" "$node20_image"
  local img
  # The latency agent is preloaded in our node image, but not in kind's default one.
  for img in $("$repo/deploy/build-images.sh" --list) "$netem_image"; do
    kind load docker-image --name "$cluster" "$img"
  done
  kubectl apply -k "$repo/deploy"
  kubectl -n ml-serving rollout status deploy --timeout=240s
}

# `kubectl get nodes` straight after `up` is what people do first: where the caller has no kubectl or kind of
# their own, link ours into /usr/local/bin (never over a binary that is not ours).
link_tools() {
  local t target=/usr/local/bin
  for t in kubectl kind; do
    local linked
    linked=$(readlink "$target/$t" 2>/dev/null || true)
    # Someone else's binary stays; a link into our cache (maybe of older versions) is ours to update.
    if PATH=$caller_path command -v "$t" >/dev/null 2>&1 && [ "${linked#"$cache_root"/}" = "$linked" ]; then
      continue
    fi
    if [ -w "$target" ] && { { [ ! -e "$target/$t" ] && [ ! -L "$target/$t" ]; } || [ "${linked#"$cache_root"/}" != "$linked" ]; }; then
      ln -sfn "$bin/$t" "$target/$t"
      say "$t: $target/$t → $bin/$t"
    else
      say "$t: not on your PATH; export PATH=\"$bin:\$PATH\""
    fi
  done
}

# The harness itself, for `chaos schedule`: scheduled game days run it as a CronJob inside the cluster.
harness_image() {
  "$repo/deploy/build-harness-image.sh" "$node20_image" "$bin/k6" "$bin/kubectl"
  kind load docker-image --name "$cluster" "$("$repo/deploy/build-harness-image.sh" --tag)"
}

# `kind load` ships an image to every node again whenever it does not recognise it there, and it does not
# recognise images docker built here (it looks them up under another name): 45 s for MLServer's 780 MB on
# every `up`. A node whose containerd holds the tag with this very image config already has it.
load_unless_present() {
  local tag=$1 ref=$1 id node manifest
  # containerd keeps the name docker normalises: `name:tag` is docker.io/library/name:tag, `org/name:tag`
  # (first part no registry host) docker.io/org/name:tag. Without this such a tag never matches and always loads.
  case $tag in
    */*) case ${tag%%/*} in *.*|*:*|localhost) ;; *) ref=docker.io/$tag ;; esac ;;
    *) ref=docker.io/library/$tag ;;
  esac
  id=$(docker image inspect -f '{{.Id}}' "$tag")
  for node in $(kind get nodes --name "$cluster"); do
    manifest=$(docker exec "$node" ctr -n k8s.io images ls "name==$ref" | awk 'NR > 1 { print $3 }')
    if [ -z "$manifest" ] ||
      [ "$(docker exec "$node" ctr -n k8s.io content get "$manifest" | jq -r .config.digest)" != "$id" ]; then
      kind load docker-image --name "$cluster" "$tag"
      return
    fi
  done
  echo "$tag is on every node"
}

# MLServer serving the fraud model over the Open Inference Protocol, in its own namespace: a model server
# nobody here wrote. The image (Debian's Python + locked wheels + a model trained at build time) is rebuilt
# only when its recipe changes; testbed/mlserver/build-image.sh says what that is.
mlserver() {
  python_base_image
  "$here/mlserver/build-image.sh" "$python_image" "$cache_root/mlserver"
  load_unless_present "$("$here/mlserver/build-image.sh" --tag)"
  kubectl apply -k "$repo/deploy/mlserver"
  kubectl -n mlserver rollout status deploy/mlserver --timeout=300s
}

# ---------------------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------------------

up() {
  say "cache $cache · logs $logs"
  step engine engine
  step tools "$here/build-tools.sh"
  start_jaeger_build
  step base-images base_images
  step engine-privileged engine_privileged
  step component-images component_images
  step node-base node_base
  step node-image node_image
  step cluster create_cluster
  step network configure_network
  step metrics-server metrics_server
  step prometheus prometheus
  step sample-stack sample_stack
  step harness-image harness_image
  step mlserver mlserver
  # Last: no step needs Jaeger (services export spans in the background, not at start-up), and here a cold
  # background build overlaps every other step before anything waits for it.
  step jaeger jaeger
  link_tools
  say "ready in $(elapsed "$t0"): kubectl context kind-$cluster"
}

down() {
  if command -v kind >/dev/null 2>&1 && docker_answers && cluster_exists; then
    say "deleting cluster $cluster"
    kind delete cluster --name "$cluster"
  fi
  if [ -f "$state/dockerd.started-by-testbed" ]; then
    say "stopping the dockerd the testbed started (pid $(cat "$state/dockerd.started-by-testbed"))"
    stop_our_dockerd
  fi
  say "down"
}

# Prometheus's own view: ready or not, and each scrape target's health (the last error when down).
prometheus_status() {
  local url=http://127.0.0.1:30900
  if ! curl -fsS --max-time 5 "$url/-/ready" >/dev/null 2>&1; then
    say "prometheus: $url/-/ready does not answer"; return 1
  fi
  say "prometheus: $url ready; scrape targets:"
  curl -fsS --max-time 10 "$url/api/v1/targets?state=active" |
    jq -r '.data.activeTargets[] | [.labels.job, (.labels.namespace // "-") + "/" + (.labels.pod // .labels.instance),
      .health, .lastError] | @tsv' | sort | column -t -s $'\t'
}

# Jaeger's query API, and the services it holds spans of.
jaeger_status() {
  local url=http://127.0.0.1:30686 out
  if ! out=$(curl -fsS --max-time 5 "$url/api/services" 2>/dev/null); then
    say "jaeger: $url/api/services does not answer"; return 1
  fi
  say "jaeger: $url answers; services with spans: $(jq -r '.data // [] | if length == 0 then "none yet" else join(", ") end' <<<"$out")"
}

status() {
  local rc=0
  if docker_answers; then
    if [ -f "$state/dockerd.started-by-testbed" ]; then say "engine: dockerd started by the testbed (pid $(cat "$state/dockerd.started-by-testbed"))"
    else say "engine: a dockerd the testbed did not start"; fi
  else
    say "engine: no daemon answers"; return 1
  fi
  if have_image "$NODE_IMAGE"; then say "node image: $NODE_IMAGE (built here)"; else say "node image: not built"; fi
  if cluster_exists; then
    say "cluster: $cluster"
    kubectl --context "kind-$cluster" get nodes -o wide || rc=1
    kubectl --context "kind-$cluster" -n ml-serving get deploy 2>/dev/null || true
    kubectl --context "kind-$cluster" -n mlserver get deploy 2>/dev/null || true
    prometheus_status || rc=1
    jaeger_status || rc=1
  else
    say "cluster: none"; rc=1
  fi
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  images) step engine engine; step tools "$here/build-tools.sh"; step base-images base_images
    step engine-privileged engine_privileged; step component-images component_images
    step node-base node_base; step node-image node_image ;;
  bin) echo "$bin" ;;
  step) shift; for s in "$@"; do step "$s" "${s//-/_}"; done ;;
  *) echo "usage: testbed.sh up|down|status|images|bin|step <name...>  (step: run single steps, for debugging)" >&2; exit 2 ;;
esac
