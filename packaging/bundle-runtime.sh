#!/bin/bash
# Makes the installed programs self-contained under RUNTIME_DIR, the way Chef's own packages keep
# everything under /opt: every shared library they load from this build host is copied into
# RUNTIME_DIR/lib, and each program and library loads them from there only, by an absolute RUNPATH, with
# the bundled loader as the programs' ELF interpreter. A host's older glibc,
# libstdc++ or libsystemd (RHEL 7 has glibc 2.17, systemd 219) is then never asked for anything.
# Nothing is set in the environment, so the commands the daemon runs (Chef's ctl, dpkg, rpm, hooks)
# run with the host's own loader and libraries. Links in SBINDIR and BINDIR name the programs.
#
# Host name and user look-ups: glibc 2.34 and later hold the "files" and "dns" NSS services in libc
# itself, so /etc/hosts, DNS, /etc/passwd and /etc/group work with no module loaded. A host whose
# nsswitch.conf names another service (sss, ldap, myhostname) has it loaded from the host's own
# libraries through the host's ld.so.cache, as a newer glibc loads modules built for an older one.
#
#   packaging/bundle-runtime.sh DESTDIR RUNTIME_DIR SBINDIR BINDIR
#
# Run by `cmake --install` when CHU_RUNTIME_DIR is set (the packages do; see the top CMakeLists.txt).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 DESTDIR RUNTIME_DIR SBINDIR BINDIR" >&2; exit 64; }
dest=$1 runtime=$2 sbindir=$3 bindir=$4
root=$dest$runtime
for tool in patchelf readelf ldd; do
    command -v $tool >/dev/null || { echo "$0: $tool is missing (apt-get install patchelf binutils libc-bin)" >&2; exit 1; }
done

programs=("$root"/sbin/* "$root"/bin/* "$root"/libexec/chef-ha-upgrade/*)
lib=$root/lib
mkdir -p "$lib"

# The libraries the programs load here, with everything those load in turn (ldd resolves the closure),
# and the loader. Each is copied as the file it names (cp -L), under its soname. The programs were linked
# with the bundled loader as their interpreter and RUNPATH (the top CMakeLists.txt); a RUNPATH is not
# inherited, so each library is given it too, all but the loader (patchelf). libc then finds the host's
# own NSS modules, if nsswitch.conf names any, through the host's ld.so.cache.
interpreter=$(readelf -lW "${programs[0]}" | sed -n 's/.*program interpreter: \(.*\)]/\1/p')
loader=$(basename "$interpreter")
[ "$interpreter" = "$runtime/lib/$loader" ] || {
    echo "$0: ${programs[0]} has the interpreter $interpreter, not one in $runtime/lib (built without CHU_RUNTIME_DIR?)" >&2
    exit 1
}
for program in "${programs[@]}"; do
    # "libc.so.6 => /lib/.../libc.so.6 (0x...)"; the loader: "/opt/.../ld-linux-x86-64.so.2 => /lib64/... (0x...)"
    ldd "$program" | awk -v interp="$interpreter" '$1 == interp { print "loader", $3; next } $2 == "=>" && $3 ~ /^\// { print $1, $3 }'
done | sort -u | while read -r soname path; do
    if [ "$soname" = loader ]; then
        install -m 0755 "$(readlink -f "$path")" "$lib/$loader"
    else
        install -m 0755 "$(readlink -f "$path")" "$lib/$soname"  # as RPM distributions keep them; dh_fixperms: 0644
        patchelf --set-rpath "$runtime/lib" "$lib/$soname"
        # A library that also runs as a program (libc, libcap print what they are) names a loader too.
        if readelf -lW "$lib/$soname" | grep -q 'program interpreter'; then
            patchelf --set-interpreter "$runtime/lib/$loader" "$lib/$soname"
        fi
    fi
done
[ -x "$lib/$loader" ] || { echo "$0: ldd named no loader to bundle as $loader" >&2; exit 1; }

# The links the units, the man pages and the operator use.
link() {
    mkdir -p "$dest$2"
    ln -sfn "$1" "$dest$2/$(basename "$1")"
}
for program in "$root"/sbin/*; do link "$runtime/sbin/$(basename "$program")" "$sbindir"; done
for program in "$root"/bin/*; do link "$runtime/bin/$(basename "$program")" "$bindir"; done
echo "bundled $(find "$lib" -type f | wc -l) libraries into $runtime/lib ($(du -sk "$lib" | cut -f1) KiB)"
