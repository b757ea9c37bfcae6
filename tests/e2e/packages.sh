#!/bin/bash
# ctest's e2e.packages: the .deb and the .rpm, built from a clean copy of the tree by
# packaging/build-packages.sh with lintian and rpmlint as gates, into OUTDIR, where e2e.containers takes
# the .deb from. Exit 77 (ctest: skipped) without the tools, naming them; with CI set, that is a failure.
#
#   tests/e2e/packages.sh SRC_DIR OUTDIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 SRC_DIR OUTDIR" >&2; exit 64; }
src=$1 out=$2

missing=()
for tool in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian rpmbuild:rpm rpmlint:rpmlint; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "e2e.packages: cannot run here: apt-get install ${missing[*]}"
    if [ -n "${CI:-}" ]; then
        echo "e2e.packages: CI=$CI, where the packages must be built: failing instead of skipping"
        exit 1
    fi
    echo "e2e.packages: SKIPPED"
    exit 77
fi
rm -rf "$out"
exec "$src/packaging/build-packages.sh" "$out"
