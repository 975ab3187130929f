#!/usr/bin/env bash
# Builds the MLServer image chaos.local/mlserver:<MLSERVER_VERSION> without a registry: Debian's Python
# (<base-image>, imported by testbed.sh), the wheels of requirements.lock (downloaded once into <cache-dir>,
# checked against their hashes), and a scikit-learn model trained during the build on the sample's rows.
#
#   testbed/mlserver/build-image.sh <base-image> <cache-dir>   build it unless an image of this recipe exists
#   testbed/mlserver/build-image.sh --tag                      print the tag
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../versions.env
source "$here/../versions.env"
# shellcheck source=platform.sh
source "$here/platform.sh"
tag=chaos.local/mlserver:$MLSERVER_VERSION

usage() { echo "usage: $0 <base-image> <cache-dir> | --tag" >&2; exit 2; }
[ "${1:-}" = "--tag" ] && { echo "$tag"; exit 0; }
[ $# -eq 2 ] || usage
base=$1 cache=$2

# Everything the image is made of; a change to any of it rebuilds, nothing else does.
recipe=$(cd "$repo" && cat testbed/versions.env testbed/mlserver/requirements.lock testbed/mlserver/Dockerfile \
  testbed/mlserver/train.py testbed/mlserver/settings.json testbed/mlserver/models/*/model-settings.json \
  scripts/export-training-data.ts scripts/train-model.ts examples/fraud-scorer/src/synthetic.ts \
  examples/fraud-scorer/src/features.ts | sha256sum | cut -c1-12)
if [ "$(docker image inspect -f '{{index .Config.Labels "chaos.recipe"}}' "$tag" 2>/dev/null)" = "$recipe" ]; then
  echo "$tag exists (recipe $recipe)"
  exit 0
fi

# The wheels, keyed by the lock: downloaded once, verified by pip against the lock's hashes.
lock_key=$(sha256sum "$here/requirements.lock" | cut -c1-12)
wheels=$cache/wheels-$lock_key
if [ ! -f "$wheels/.complete" ]; then
  rm -rf "$wheels.partial"
  mkdir -p "$wheels.partial"
  started=$(date +%s)
  pip download "${wheel_target[@]}" --no-deps --require-hashes -r "$here/requirements.lock" -d "$wheels.partial"
  touch "$wheels.partial/.complete"
  rm -rf "$wheels"
  mv "$wheels.partial" "$wheels"
  echo "wheels downloaded in $(($(date +%s) - started))s into $wheels"
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$here/Dockerfile" "$here/requirements.lock" "$here/train.py" "$here/settings.json" "$stage/"
cp -R "$here/models" "$stage/models"
cp -R "$wheels" "$stage/wheels"
(cd "$repo" && npx tsx scripts/export-training-data.ts v1) >"$stage/train.csv"
echo "training data: $(($(wc -l <"$stage/train.csv") - 1)) rows, sha256 $(sha256sum "$stage/train.csv" | cut -d' ' -f1)"

echo "building $tag on $base (recipe $recipe)"
docker build --build-arg "BASE_IMAGE=$base" --label "chaos.recipe=$recipe" -t "$tag" "$stage"
echo "model artifact: $(docker run --rm --entrypoint cat "$tag" /models/v1/model.joblib.sha256)"
