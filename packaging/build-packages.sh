#!/bin/bash
# Builds the .deb and the .rpm from a clean copy of this source tree into OUTDIR, checks them with lintian
# and rpmlint, and prints their names and sizes.
#
#   packaging/build-packages.sh [--deb-only | --rpm-only] OUTDIR
#
# Needs debhelper (the .deb), rpm (rpmbuild, the .rpm), and the build dependencies in debian/control.
# rpmbuild runs with --nodeps: on Debian the spec's BuildRequires name RPM packages that dpkg knows
# under other names; the same libraries are installed, as debian/control asks.
set -euo pipefail

want_deb=yes want_rpm=yes
case "${1:-}" in
--deb-only) want_rpm=no; shift ;;
--rpm-only) want_deb=no; shift ;;
esac
if [ $# -ne 1 ]; then
    echo "usage: $0 [--deb-only | --rpm-only] OUTDIR" >&2
    exit 64
fi
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/chu-packages.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One version, said three times: CMake's, Debian's changelog's and the spec's must agree.
version=$(sed -n 's/^project(chef-ha-upgrade VERSION \([^ )]*\).*/\1/p' "$src/CMakeLists.txt")
deb_version=$(sed -n '1s/^chef-ha-upgrade (\([^)]*\)).*/\1/p' "$src/packaging/debian/changelog")
rpm_version=$(sed -n 's/^Version:[[:space:]]*//p' "$src/packaging/rpm/chef-ha-upgrade.spec")
if [ "$version" != "$deb_version" ] || [ "$version" != "$rpm_version" ]; then
    echo "$0: versions differ: CMakeLists.txt $version, debian/changelog $deb_version, spec $rpm_version" >&2
    exit 1
fi

# A clean tree: the files git knows (tracked, and new ones it does not ignore), so no build directory
# or stale debian/ output comes along. Outside a git checkout: everything but build*/ directories.
tree="$work/chef-ha-upgrade-$version"
mkdir -p "$tree"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$src" ls-files -z --cached --others --exclude-standard |
        (cd "$src" && xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
        tar -C "$src" --null -T - -cf - | tar -C "$tree" -xf -
else
    tar -C "$src" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$tree" -xf -
fi

jobs=2  # the machines this is built on have two cores, shared
built=()

if [ "$want_deb" = yes ]; then
    # dpkg-buildpackage wants debian/ at the top of the tree; the project keeps it under packaging/.
    cp -a "$tree/packaging/debian" "$tree/debian"
    (cd "$tree" && DEB_BUILD_OPTIONS="parallel=$jobs" dpkg-buildpackage -b -us -uc >"$work/deb.log" 2>&1) || {
        tail -n 50 "$work/deb.log" >&2
        echo "$0: dpkg-buildpackage failed (last 50 lines above)" >&2
        exit 1
    }
    rm -rf "$tree/debian"
    for f in "$work"/*.deb; do
        cp "$f" "$out/"
        built+=("$out/$(basename "$f")")
    done
    if command -v lintian >/dev/null; then
        echo "lintian:"
        lintian --fail-on error,warning "$work"/chef-ha-upgrade_*.deb || {
            echo "$0: lintian found errors or warnings" >&2
            exit 1
        }
    fi
fi

if [ "$want_rpm" = yes ]; then
    topdir="$work/rpm"
    mkdir -p "$topdir/SOURCES"
    tar -C "$work" -czf "$topdir/SOURCES/chef-ha-upgrade-$version.tar.gz" "chef-ha-upgrade-$version"
    host=()
    if [ -z "$(rpm --eval '%{?systemd_post:yes}')" ]; then
        host=(--load "$src/packaging/rpm/debian-host.macros")  # not an RPM distribution (see that file)
    fi
    maintainer=$(sed -n 's/^Maintainer: //p' "$src/packaging/debian/control")
    rpmbuild "${host[@]}" --nodeps -bb --define "_topdir $topdir" --define "_smp_mflags -j$jobs" \
        --define "packager $maintainer" "$src/packaging/rpm/chef-ha-upgrade.spec" >"$work/rpm.log" 2>&1 || {
        tail -n 50 "$work/rpm.log" >&2
        echo "$0: rpmbuild failed (last 50 lines above)" >&2
        exit 1
    }
    for f in "$topdir"/RPMS/*/*.rpm; do
        cp "$f" "$out/"
        built+=("$out/$(basename "$f")")
    done
    if command -v rpmlint >/dev/null; then
        echo "rpmlint:"
        # rpmlint's exit status counts errors only: warnings fail the build too.
        rpmlint -c "$src/packaging/rpm/rpmlint.toml" "$topdir"/RPMS/*/*.rpm | tee "$work/rpmlint.log"
        grep -q ' 0 errors, 0 warnings' "$work/rpmlint.log" || {
            echo "$0: rpmlint found errors or warnings not explained in packaging/rpm/rpmlint.toml" >&2
            exit 1
        }
    fi
fi

echo "packages in $out:"
for f in "${built[@]}"; do
    printf '  %-60s %8s bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
done
