#!/usr/bin/env bash
# The Debian packages the project needs beyond Node and Go: the container engine and debootstrap (for the
# testbed), jq, Chromium (the HTML report render test), xmllint (libxml2-utils: junit.xml against the JUnit
# schemas) and shellcheck; and actionlint (the GitHub Actions example's lint), built with Go into
# $(go env GOPATH)/bin, where the test looks for it. Idempotent; does nothing when all are present.
set -euo pipefail
ACTIONLINT_VERSION=v1.7.12
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
gobin="$(go env GOBIN)"
gobin="${gobin:-$(go env GOPATH | cut -d: -f1)/bin}"
if ! "$gobin/actionlint" -version 2>/dev/null | grep -qx "$ACTIONLINT_VERSION"; then
  echo "installing: actionlint $ACTIONLINT_VERSION into $gobin"
  go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi
