#!/bin/sh
# Stamp a package with the commit and build time an image is built from (both Dockerfiles run
# this before building the wheel; /version and --version then report them):
#   sh scripts/stamp-build-info.sh PACKAGE_SOURCE_DIR COMMIT BUILD_DATE
# An empty COMMIT or BUILD_DATE writes nothing (the build then reports "unknown").
set -eu
package_dir=$1 commit=$2 build_date=$3
case "$commit$build_date" in
  *[!A-Za-z0-9.:+-]*) echo "stamp-build-info: commit and date take letters, digits and .:+- only" >&2; exit 2;;
esac
if [ -n "$commit" ] && [ -n "$build_date" ]; then
  mkdir -p "$package_dir/data"
  printf '{"commit": "%s", "build_date": "%s"}\n' "$commit" "$build_date" > "$package_dir/data/build-info.json"
fi
