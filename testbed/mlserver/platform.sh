# pip's target for the MLServer image's wheels: Debian bookworm's CPython 3.11 (glibc 2.36) on x86_64, wheels
# only (nothing is compiled). pip 23 does not widen one manylinux tag to the older ones, so all are listed.
# shellcheck disable=SC2034
wheel_target=(--only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none)
for tag in manylinux_2_36 manylinux_2_34 manylinux_2_31 manylinux_2_28 manylinux_2_27 manylinux_2_24 \
  manylinux_2_17 manylinux2014 manylinux2010 manylinux1 manylinux_2_5; do
  wheel_target+=(--platform "${tag}_x86_64")
done
wheel_target+=(--platform any)
