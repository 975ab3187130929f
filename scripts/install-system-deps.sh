#!/usr/bin/env bash
# The Debian packages the project needs beyond Node and Go: the container engine and debootstrap (for the
# testbed), jq, Chromium (the HTML report render test), xmllint (libxml2-utils: junit.xml against the JUnit
# schemas), openssl (a throwaway certificate for the unit test's TLS stand-in API server) and shellcheck; and
# actionlint (the GitHub Actions example's lint), built with Go into $(go env GOPATH)/bin, where the test looks
# for it. Idempotent; does nothing when all are present.
set -euo pipefail
ACTIONLINT_VERSION=v1.7.12
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi

# promtool (`chaos alerts` tests) and a host-local prometheus (the remote-write test), from Debian's package at
# the version the testbed pins. Extracted, not installed: installing the package would start a system service.
# They land in the testbed's build cache, where chaos and the tests look for binaries (PROMTOOL_BIN,
# PROMETHEUS_BIN override).
root=$(cd "$(dirname "$0")/.." && pwd)
PROMETHEUS_VERSION=$(sed -n 's/^PROMETHEUS_VERSION=//p' "$root/testbed/versions.env")
prom_bin=${CHAOS_TESTBED_CACHE:-$HOME/.cache/chaos-testbed}/prometheus-${PROMETHEUS_VERSION}/bin
if [ ! -x "$prom_bin/promtool" ] || [ ! -x "$prom_bin/prometheus" ]; then
  echo "extracting promtool and prometheus ${PROMETHEUS_VERSION} into $prom_bin"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # apt-get download drops privileges to _apt, which must be able to write here.
  chmod 0777 "$work"
  (cd "$work" && { apt-get download "prometheus=${PROMETHEUS_VERSION}" 2>/dev/null ||
    { apt-get update && apt-get download "prometheus=${PROMETHEUS_VERSION}"; }; })
  dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
  mkdir -p "$prom_bin"
  install -m 0755 "$work/x/usr/bin/promtool" "$work/x/usr/bin/prometheus" "$prom_bin/"
  "$prom_bin/promtool" --version | head -1
fi

gobin="$(go env GOBIN)"
gobin="${gobin:-$(go env GOPATH | cut -d: -f1)/bin}"
if ! "$gobin/actionlint" -version 2>/dev/null | grep -qx "$ACTIONLINT_VERSION"; then
  echo "installing: actionlint $ACTIONLINT_VERSION into $gobin"
  go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi
