#!/bin/bash
# ctest's checks of the built .deb and .rpm (e2e.packages makes them into DIR) for the hosts Chef HA
# clusters run on (RHEL/CentOS 7-9, Ubuntu 16.04 and later), whose libraries are far older than the build
# host's:
#
#   elf        every ELF in both packages is self-contained: the bundled loader as its interpreter (programs),
#              the bundled RUNPATH, every NEEDED library in the bundle, and no symbol version asked of a
#              bundled library that it does not define;
#   metadata   Depends/Requires only on what the host gives (systemd, dbus), nothing generated from the
#              bundled libraries in either direction, an rpm payload and rpmlib features rpm 4.11 (RHEL 7)
#              reads, .deb members dpkg 1.17 reads, and no `--now` in any scriptlet (systemd 220);
#   bare-root  (root) in a root file system holding only a package's files, /proc and a few /dev nodes:
#              `chef-ha-upgraded --version` and `--check-config`, `chef-ha-upgrade-ctl --help`; the node's
#              name found from /etc/hosts and the owner of a packed file from /etc/passwd, by the bundled libc.
#
#   tests/e2e/package-checks.sh elf|metadata|bare-root DIR
#
# Exit 77 (ctest: skipped) without the tools or root, naming them; with CI set, that is a failure.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 elf|metadata|bare-root DIR" >&2; exit 64; }
check=$1 dir=$(cd "$2" 2>/dev/null && pwd) || dir=$2
runtime=/opt/chef-ha-upgrade
src=$(cd "$(dirname "$0")/../.." && pwd)

cannot_run() {
    echo "$check: cannot run here: $*"
    [ -z "${CI:-}" ] || { echo "$check: CI=$CI, where it must run: failing instead of skipping"; exit 1; }
    echo "$check: SKIPPED"
    exit 77
}
for tool in readelf:binutils rpm2cpio:rpm cpio:cpio dpkg-deb:dpkg; do
    command -v "${tool%%:*}" >/dev/null || cannot_run "${tool%%:*} is missing: apt-get install ${tool#*:}"
done
deb=$(ls "$dir"/chef-ha-upgrade_*.deb 2>/dev/null) && rpm=$(ls "$dir"/chef-ha-upgrade-[0-9]*.rpm 2>/dev/null) ||
    cannot_run "no packages in $dir: e2e.packages makes them, and did not (see its output)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Both packages' files, unpacked: $work/deb and $work/rpm.
mkdir -p "$work/deb" "$work/rpm"
dpkg-deb -x "$deb" "$work/deb"
(cd "$work/rpm" && rpm2cpio "$rpm" | cpio -idm --quiet)

# ---- elf ----
# The version names an ELF file asks of each library: "libc.so.6 GLIBC_2.34" lines.
versions_needed() {
    readelf -V -W "$1" | awk '/Version needs section/ { on = 1; next } /Version (definition|symbols) section/ { on = 0 }
        on && / File: / { file = $3 } on && / Name: / { print file, $4 }'
}
versions_defined() {
    readelf -V -W "$1" | awk '/Version definition section/ { on = 1; next } /Version (needs|symbols) section/ { on = 0 }
        on && /Rev: / { getline; print $2 }'
}
check_tree_elf() {
    local root=$1 name=$2 file rel soname version count=0
    [ -x "$root$runtime/lib/ld-linux-x86-64.so.2" ] || fail "$name: no bundled loader $runtime/lib/ld-linux-x86-64.so.2 (or not executable)"
    while IFS= read -r -d '' file; do
        [ "$(head -c4 "$file" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
        rel=${file#"$root"}
        count=$((count + 1))
        [ "$rel" = "$runtime/lib/ld-linux-x86-64.so.2" ] && continue  # the loader needs nothing
        if readelf -lW "$file" | grep -q 'Requesting program interpreter'; then
            readelf -lW "$file" | grep -qF "[Requesting program interpreter: $runtime/lib/ld-linux-x86-64.so.2]" ||
                fail "$name: $rel: interpreter is not the bundled loader: $(readelf -lW "$file" | sed -n 's/.*interpreter: \(.*\)]/\1/p')"
        fi
        readelf -dW "$file" | grep -qF "(RUNPATH)            Library runpath: [$runtime/lib]" ||
            fail "$name: $rel: RUNPATH is not $runtime/lib: $(readelf -dW "$file" | grep -E 'RPATH|RUNPATH' || echo none)"
        for soname in $(readelf -dW "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [ -f "$root$runtime/lib/$soname" ] || fail "$name: $rel needs $soname, which is not in $runtime/lib"
        done
        while read -r soname version; do
            [ -f "$root$runtime/lib/$soname" ] || continue  # said above
            versions_defined "$root$runtime/lib/$soname" | grep -qxF "$version" ||
                fail "$name: $rel asks $soname for $version, which the bundled $soname does not define"
        done < <(versions_needed "$file")
    done < <(find "$root" -type f -print0)
    [ "$count" -ge 4 ] || fail "$name: only $count ELF files found (the three programs and their libraries expected)"
    echo "$name: $count ELF files checked"
}

# ---- metadata ----
# rpm 4.11's own rpmlib() features (rpmlibProvides in lib/rpmds.c: those of 4.9, and TildeInVersions of 4.10;
# LargeFiles came in 4.12, RichDependencies in 4.13, PayloadIsZstd in 4.14): a package
# asking for any other (PayloadIsZstd, RichDependencies, LargeFiles...) does not install on RHEL 7.
rpm411_features="BuiltinLuaScripts CompressedFileNames ConcurrentAccess ExplicitPackageProvide FileCaps FileDigests
HeaderLoadSortsTags PartialHardlinkSets PayloadFilesHavePrefix PayloadIsBzip2 PayloadIsLzma PayloadIsXz
ScriptletExpansion ScriptletInterpreterArgs TildeInVersions VersionedDependencies"
check_metadata() {
    local depends requires provides line
    depends=$(dpkg-deb -f "$deb" Depends)
    echo "deb Depends: $depends"
    for line in $(tr ',|' '\n\n' <<<"$depends" | sed 's/(.*)//; s/[[:space:]]//g' | grep -v '^$'); do
        case $line in
        systemd | dbus | default-dbus-system-bus | dbus-system-bus) ;;
        *) fail "deb: Depends on $line, which the host need not have (the bundled libraries bring their own)" ;;
        esac
    done
    grep -qw systemd <<<"$depends" || fail "deb: no Depends on systemd"
    grep -qw dbus <<<"$depends" || fail "deb: no Depends on dbus"
    ar t "$deb" | grep -qxE 'control\.tar\.(gz|xz)' || fail "deb: a control member dpkg 1.17 cannot read: $(ar t "$deb" | tr '\n' ' ')"
    ar t "$deb" | grep -qxE 'data\.tar\.(gz|xz)' || fail "deb: a data member dpkg 1.17 cannot read: $(ar t "$deb" | tr '\n' ' ')"

    requires=$(rpm -qp --requires "$rpm")
    echo "rpm Requires: $(tr '\n' ' ' <<<"$requires")"
    while read -r line; do
        case $line in
        /bin/sh | dbus | systemd | "config(chef-ha-upgrade) = "*) ;;
        "rpmlib("*)
            local feature=${line#rpmlib(}
            feature=${feature%%)*}
            grep -qw "$feature" <<<"$rpm411_features" || fail "rpm: requires rpmlib($feature), which rpm 4.11 (RHEL 7) lacks"
            ;;
        *) fail "rpm: Requires $line, which the host need not have" ;;
        esac
    done <<<"$requires"
    provides=$(rpm -qp --provides "$rpm")
    echo "rpm Provides: $(tr '\n' ' ' <<<"$provides")"
    while read -r line; do
        case $line in
        "chef-ha-upgrade = "* | "chef-ha-upgrade(x86-64) = "* | "config(chef-ha-upgrade) = "*) ;;
        *) fail "rpm: Provides $line: the bundled libraries must never stand in for the host's" ;;
        esac
    done <<<"$provides"
    line=$(rpm -qp --qf '%{PAYLOADCOMPRESSOR}' "$rpm")
    case $line in gzip | xz) ;; *) fail "rpm: payload compressed with $line, which rpm 4.11 cannot read" ;; esac

    mkdir -p "$work/control"
    dpkg-deb -e "$deb" "$work/control"
    if grep -n -- '--now' "$work"/control/*inst "$work"/control/*rm 2>/dev/null; then
        fail "deb: a maintainer script uses --now (systemctl 220 and later; Ubuntu 16.04 has 229, RHEL 7 219)"
    fi
    if rpm -qp --scripts "$rpm" | grep -n -- '--now'; then
        fail "rpm: a scriptlet uses --now (systemctl 220 and later; RHEL 7 has 219)"
    fi
}

# ---- bare-root ----
# Runs COMMAND in ROOT, chrooted, with its own /proc, host name be1 and nothing of this host's.
in_root() {
    local root=$1
    shift
    unshare --mount --uts --pid --fork --kill-child -- sh -c 'mount -t proc proc "$0/proc" && hostname be1 && exec chroot "$0" "$@"' \
        "$root" "$@"
}
check_bare_root() {
    local tree=$1 name=$2 root=$work/root-$2 out
    cp -a "$tree" "$root"
    mkdir -p "$root"/{proc,dev,tmp,etc/opscode,etc/chef-ha-upgrade/conf.d,var/lib} "$root/srv/opscode"
    for node in null zero random urandom; do cp -a "/dev/$node" "$root/dev/"; done
    chmod 1777 "$root/tmp"
    # The host's name and users, from files, as glibc's built-in "files" service reads them.
    printf 'passwd: files\ngroup: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
    printf 'root:x:0:0:root:/root:/bin/sh\nopscode:x:4242:4242::/opt/opscode:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\nopscode:x:4242:\n' >"$root/etc/group"
    printf '127.0.0.1 localhost\n192.168.4.1 be1.example.com be1\n' >"$root/etc/hosts"
    cp "$src/tests/data/topology/ha_docs_example.rb" "$root/etc/opscode/private-chef.rb"
    echo '{"postgresql":{"sql_password":"s3cret"}}' >"$root/etc/opscode/private-chef-secrets.json"
    printf '[upgrade]\npackage = /srv/chef-server-core_12.0.8-1_amd64.deb\n' >"$root/etc/chef-ha-upgrade/conf.d/50-bare.conf"
    echo "secrets" >"$root/srv/opscode/pivotal.pem"
    chown -R 4242:4242 "$root/srv/opscode"

    if out=$(in_root "$root" /usr/sbin/chef-ha-upgraded --version 2>&1); then
        echo "$name: chef-ha-upgraded --version: $out"
    else
        fail "$name: chef-ha-upgraded --version in a bare root: $out"
    fi
    if out=$(in_root "$root" /usr/bin/chef-ha-upgrade-ctl --help 2>&1); then
        echo "$name: chef-ha-upgrade-ctl --help: $(head -n1 <<<"$out")"
    else
        fail "$name: chef-ha-upgrade-ctl --help in a bare root: $out"
    fi
    # The node is not configured: it is this host's name, be1, resolved to be1.example.com by /etc/hosts.
    if out=$(in_root "$root" /usr/sbin/chef-ha-upgraded --check-config 2>&1); then
        grep -q '^node: *be1.example.com, the bootstrap' <<<"$out" || fail "$name: check-config did not find this node as be1.example.com: $out"
        echo "$name: chef-ha-upgraded --check-config: $(grep '^node:' <<<"$out")"
    else
        fail "$name: chef-ha-upgraded --check-config in a bare root: $out"
    fi
    # A packed directory keeps its owner's name, from /etc/passwd.
    if out=$(in_root "$root" /usr/sbin/chef-ha-upgraded --pack-archive /srv/opscode --out /tmp/opscode.tar 2>&1); then
        tar -tvf "$root/tmp/opscode.tar" | grep -q 'opscode/opscode' ||
            fail "$name: the packed file's owner is not opscode/opscode: $(tar -tvf "$root/tmp/opscode.tar")"
        echo "$name: a packed file's owner from /etc/passwd: $(tar -tvf "$root/tmp/opscode.tar" | grep pivotal)"
    else
        fail "$name: chef-ha-upgraded --pack-archive in a bare root: $out"
    fi
}

case $check in
elf)
    check_tree_elf "$work/deb" deb
    check_tree_elf "$work/rpm" rpm
    ;;
metadata) check_metadata ;;
bare-root)
    [ "$(id -u)" = 0 ] || cannot_run "needs root (chroot, mount namespaces); run as root, as CI does"
    command -v unshare >/dev/null || cannot_run "unshare is missing: apt-get install util-linux"
    check_bare_root "$work/deb" deb
    check_bare_root "$work/rpm" rpm
    ;;
*)
    echo "usage: $0 elf|metadata|bare-root DIR" >&2
    exit 64
    ;;
esac
[ $failures -eq 0 ] || { echo "$check: $failures failure(s)"; exit 1; }
echo "$check: passed"
