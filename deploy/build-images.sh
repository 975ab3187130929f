#!/usr/bin/env bash
# Builds the sample stack's images from esbuild bundles; no registry is contacted beyond the base image.
#
#   deploy/build-images.sh <base-image>   bundle both services and docker build them on <base-image>
#   deploy/build-images.sh --list         print the image tags, one per line
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

services=(fraud-scorer feature-store)
# The sample stack is versioned on its own, not with chaos: its manifests name the tags, and the images are
# built under exactly those names, so the two cannot drift apart.
tag_of() {
  local tag
  tag=$(sed -n "s|^ *image: *\(chaos\.local/$1:[^ ]*\) *\$|\1|p" "$here/base/$1/deployment.yaml")
  [ -n "$tag" ] || { echo "no chaos.local/$1 image in $here/base/$1/deployment.yaml" >&2; exit 1; }
  echo "$tag"
}

usage() { echo "usage: $0 <base-image> | --list" >&2; exit 2; }

[ $# -eq 1 ] || usage
if [ "$1" = "--list" ]; then
  for svc in "${services[@]}"; do tag_of "$svc"; done
  exit 0
fi
case $1 in -*) usage ;; esac
base=$1

esbuild=$repo/node_modules/.bin/esbuild
[ -x "$esbuild" ] || { echo "esbuild not found at $esbuild: run npm ci in $repo" >&2; exit 1; }
ls "$repo"/models/fraud/*/model.json >/dev/null 2>&1 ||
  { echo "no model artifacts under $repo/models/fraud: run npx tsx scripts/train-model.ts" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

for svc in "${services[@]}"; do
  src=$repo/examples/$svc
  # CommonJS because the image has no package.json: node treats a bare .js file as CommonJS.
  "$esbuild" "$src/src/main.ts" --bundle --platform=node --target=node20 --format=cjs \
    --outfile="$src/dist/server.js" --log-level=warning
  # The repo is "type": "module"; this lets `node examples/<svc>/dist/server.js` run locally too.
  echo '{ "type": "commonjs" }' >"$src/dist/package.json"

  ctx=$stage/$svc
  mkdir -p "$ctx/dist"
  cp "$src/Dockerfile" "$ctx/Dockerfile"
  cp "$src/dist/server.js" "$ctx/dist/server.js"
  [ "$svc" = fraud-scorer ] && cp -R "$repo/models" "$ctx/models"

  echo "building $(tag_of "$svc") on $base"
  docker build --quiet --build-arg "BASE_IMAGE=$base" -t "$(tag_of "$svc")" "$ctx"
done
