# shellcheck shell=bash
# Sourced by testbed.sh and build-tools.sh, so both key the Go builds' cache the same way: versions.env up to
# the image pins at its end (Prometheus, MLServer), which key only their own images. A second copy of this rule
# drifted once, and a cold `testbed:up` then looked for the tools where they were never built.
testbed_pins() {
  sed '/^# --- Images on top of the testbed/,$d' "$1/versions.env"
}
