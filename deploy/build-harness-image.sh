#!/usr/bin/env bash
# Builds the harness image chaos.local/chaos:<version> for in-cluster game days.
#
#   deploy/build-harness-image.sh <base-image> <k6-binary> [<kubectl-binary>]   build it
#   deploy/build-harness-image.sh --tag                                         print the tag
#
# Without a kubectl binary the image has none, and a scheduled suite with `kubectl` faults stops at its
# preflight (exit 3, naming where it looked).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# CHAOS_HARNESS_TAG builds a side image (a branch under test) without replacing the one the testbed loaded.
tag=${CHAOS_HARNESS_TAG:-chaos.local/chaos:$(jq -r .version "$repo/package.json")}

usage() { echo "usage: $0 <base-image> <k6-binary> [<kubectl-binary>] | --tag" >&2; exit 2; }
[ "${1:-}" = "--tag" ] && { echo "$tag"; exit 0; }
[ $# -eq 2 ] || [ $# -eq 3 ] || usage
base=$1 k6=$2 kubectl=${3:-}
[ -x "$k6" ] || { echo "k6 binary not found at $k6" >&2; exit 1; }
[ -z "$kubectl" ] || [ -x "$kubectl" ] || { echo "kubectl binary not found at $kubectl" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# The image runs what the repo's build produces, so build it first: a stale dist/ would ship old code.
(cd "$repo" && npx tsc -p tsconfig.build.json)
mkdir -p "$stage/app"
cp -R "$repo/bin" "$repo/dist" "$repo/k6" "$repo/package.json" "$repo/package-lock.json" "$stage/app/"
# Production dependencies only, exactly as locked; no install scripts run. The sample apps under examples/ are
# workspaces with their own dependencies: none of them belongs in the harness image.
(cd "$stage/app" && npm ci --omit=dev --workspaces=false --ignore-scripts --no-audit --no-fund --loglevel=error)
rm "$stage/app/package-lock.json"
cp "$k6" "$stage/k6"
# kubectl faults run kubectl; the Dockerfile copies whatever bin/ holds into /usr/local/bin.
mkdir -p "$stage/bin"
[ -z "$kubectl" ] || cp "$kubectl" "$stage/bin/kubectl"
cp "$here/harness/Dockerfile" "$stage/Dockerfile"

echo "building $tag on $base"
docker build --quiet --build-arg "BASE_IMAGE=$base" -t "$tag" "$stage"
