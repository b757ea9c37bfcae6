#!/bin/bash
# The whole product under a real systemd, a real system bus and a real network.
#
# The project's .deb (packaging/build-packages.sh) is installed with `apt-get install ./…deb` in four booted
# systemd-nspawn containers, be1 (the bootstrap), be2 (the secondary), fe1 and fe2, each in its own network
# namespace at 192.0.2.x, all on a bridge that lives in a namespace of its own. Each holds a simulated Chef
# node (chu-simchef in /opt/opscode, with /usr/bin/private-chef-ctl and chef-server-ctl linking into it, as
# Chef's packages do); all share one simulated world, bind-mounted at the same path everywhere. Then, in each:
# `systemctl start chef-ha-upgrade`, and the test follows the upgrade with busctl and chef-ha-upgrade-ctl.
# On the way it checks:
#   - installing the package starts nothing, and enables only the resume unit;
#   - `systemctl status` shows the daemon's STATUS= line;
#   - kill -9 of the bootstrap's daemon in the middle of a step: systemd restarts it and it resumes;
#   - fe2 powered off in the middle of the upgrade and booted again: it resumes with nobody starting it;
#   - the cleanup approved with chef-ha-upgrade-ctl on a frontend (forwarded to the leader);
#   - a support bundle collected on a follower holds every node's log as journald has it;
#   - the call log against the runbooks' rules (chu-simchef verify);
#   - a node that finished starts nothing at boot;
#   - a hook the daemon runs gets the host's environment and libraries, nothing of the bundle in /opt;
#   - a bad configuration leaves the unit failed with status 78, not restarting.
#
#   tests/e2e/e2e.sh --source SRC_DIR --simchef PATH_TO_chu-simchef [--packages DIR] [--suite SUITE]
#
# As root. ctest runs it as e2e.containers (Debian bookworm, the build host's own) and e2e.containers-bullseye
# (glibc 2.31, systemd 247: the oldest userland reachable here; the package must bring what it needs), after
# e2e.packages built the packages into DIR (--packages); without --packages it builds the .deb itself
# (packaging/build-packages.sh --deb-only). Each suite's rootfs is cached under CHU_E2E_CACHE (default
# /var/cache/chef-ha-upgrade-e2e)/SUITE, keyed by its package list, so debootstrap runs only when that list
# changes. Exit 77 (ctest: skipped) when it cannot run here, saying why; with CI set,
# not running is a failure. Everything it creates is removed at the end, also when it fails; it is bounded
# in time (CHU_E2E_BUDGET seconds, default 1500).
set -Eeuo pipefail  # -E: the ERR trap below names the failing command in functions too

skip_code=77
budget=${CHU_E2E_BUDGET:-1500}
cache=${CHU_E2E_CACHE:-/var/cache/chef-ha-upgrade-e2e}
mirror=${CHU_E2E_MIRROR:-http://deb.debian.org/debian}
nodes=(be1 be2 fe1 fe2)
declare -A address=([be1]=192.0.2.11 [be2]=192.0.2.12 [fe1]=192.0.2.21 [fe2]=192.0.2.22)
declare -A role=([be1]=bootstrap [be2]=secondary [fe1]=frontend [fe2]=frontend)
object=(net.chefhaupgrade.Upgrade1 /net/chefhaupgrade/Upgrade1 net.chefhaupgrade.Upgrade1)

usage="usage: $0 --source SRC_DIR --simchef PATH_TO_chu-simchef [--packages DIR] [--suite SUITE]"
src="" simchef="" packages="" suite=bookworm
args=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
    --source) src=$2; shift 2 ;;
    --simchef) simchef=$2; shift 2 ;;
    --packages) packages=$2; shift 2 ;;
    --suite) suite=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 64 ;;
    esac
done
[ -n "$src" ] && [ -x "$simchef" ] || { echo "$usage" >&2; exit 64; }

say() { printf 'e2e: [%4ds] %s\n' "$((SECONDS - ${started:-0}))" "$*"; }
fail() { say "FAILED: $*"; exit 1; }
cannot_run() {
    echo "e2e: cannot run here: $*"
    if [ -n "${CI:-}" ]; then
        echo "e2e: CI=$CI, where this test must run: failing instead of skipping"
        exit 1
    fi
    echo "e2e: SKIPPED"
    exit $skip_code
}

# ---- Can it run here? (checked before anything is made) ----
if [ -z "${CHU_E2E_INSIDE:-}" ]; then
    [ "$(id -u)" = 0 ] || cannot_run "needs root (containers, network namespaces, mounts, cgroups); run as root, as CI does"
    need() { command -v "$1" >/dev/null || cannot_run "$1 is missing: apt-get install $2"; }
    need systemd-nspawn systemd-container
    need ip iproute2
    need nsenter util-linux
    need unshare util-linux
    need patchelf patchelf
    if [ -z "$packages" ]; then
        need dpkg-buildpackage dpkg-dev
        need dh debhelper
    fi
    ls "$cache/$suite"/rootfs-*/.complete >/dev/null 2>&1 || need debootstrap debootstrap
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || grep -qw overlay /proc/filesystems ||
        cannot_run "the kernel has no overlay file system (the containers' roots are overlays on the cached rootfs)"
    [ -w /sys/fs/cgroup/unified ] || [ -w /sys/fs/cgroup/cgroup.procs ] ||
        cannot_run "no writable cgroup hierarchy under /sys/fs/cgroup (each container needs a cgroup of its own)"
    # Its own mount namespace: every mount it makes goes away with it, whatever happens. timeout bounds
    # the whole run and sends SIGTERM first, on which the trap below tears everything down.
    export CHU_E2E_INSIDE=1
    exec unshare --mount --propagation private -- timeout --kill-after=60 "$budget" "$0" "${args[@]}"
fi

started=$SECONDS
id=$$
work=$(mktemp -d /var/tmp/chu-e2e.XXXXXX)  # not /tmp: the containers mount a tmpfs there, over the shared world
world=$work/world
mkdir -p "$world"
declare -A nspawn=() pid1=() state=() phase=()

# ---- Teardown, also on failure ----
cgroup_dirs() {
    local h
    for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
        if [ -w "$h/cgroup.procs" ]; then echo "$h/chu-e2e-$id-$1"; fi
    done
}
teardown() {
    local rc=$? n pid
    trap - EXIT INT TERM
    if [ $rc -ne 0 ]; then
        for n in "${nodes[@]}"; do
            [ -n "${pid1[$n]:-}" ] && kill -0 "${pid1[$n]}" 2>/dev/null || continue
            echo "---- journal of chef-ha-upgrade on $n (last 30 lines) ----"
            inside "$n" journalctl -u chef-ha-upgrade -u chef-ha-upgrade-resume --no-pager -n 30 -o short-monotonic 2>&1 || true
        done
        [ -f "$world/calls.log" ] && { echo "---- the world's call log (last 30 lines) ----"; tail -n 30 "$world/calls.log"; }
    fi
    # nspawn halts its container on SIGTERM; after 30 s, SIGKILL.
    for n in "${!nspawn[@]}"; do kill -TERM "${nspawn[$n]}" 2>/dev/null || true; done
    for n in "${!nspawn[@]}"; do
        pid=${nspawn[$n]}
        for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for n in "${nodes[@]}"; do
        umount -R "$work/$n/root" 2>/dev/null || true
        for cg in $(cgroup_dirs "$n"); do
            [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
        done
        ip netns delete "chu-e2e-$id-$n" 2>/dev/null || true
    done
    ip netns delete "chu-e2e-$id-bridge" 2>/dev/null || true
    rm -rf "$work"
    case $rc in
    0) say "passed in $((SECONDS - started)) s" ;;
    "$skip_code") ;;
    *) say "failed (exit $rc) after $((SECONDS - started)) s" ;;
    esac
    exit $rc
}
trap teardown EXIT
trap 'say "FAILED at line $LINENO: $BASH_COMMAND (exit $?)"' ERR
trap 'say "FAILED: stopped by SIGTERM (out of the time budget of $budget s, or by ctest)"; exit 143' TERM
trap 'exit 130' INT

# Runs a command inside a node's container, as its own root would, with a plain environment.
inside() {
    local n=$1
    shift
    nsenter -t "${pid1[$n]}" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}

# Polls `cmd` every 0.5 s until it succeeds; fails the test after `seconds`.
wait_until() {
    local seconds=$1 what=$2
    shift 2
    local until=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $until ] || fail "$what: not within $seconds s"
        sleep 0.5
    done
}

# A property of a unit in a node's container: unit_prop NODE UNIT PROPERTY; unit_is NODE UNIT ACTIVESTATE.
unit_prop() { inside "$1" systemctl show -P "$3" "$2"; }
unit_is() { [ "$(unit_prop "$1" "$2" ActiveState)" = "$3" ]; }

# ---- The package ----
if [ -n "$packages" ]; then
    deb=$(ls "$packages"/chef-ha-upgrade_*.deb 2>/dev/null) ||
        cannot_run "no chef-ha-upgrade_*.deb in $packages: e2e.packages makes it, and did not (see its output)"
    say "the .deb from $packages: $(basename "$deb")"
else
    say "building the .deb (packaging/build-packages.sh --deb-only)"
    "$src/packaging/build-packages.sh" --deb-only "$work/packages" | sed 's/^/    /'
    deb=$(ls "$work"/packages/chef-ha-upgrade_*.deb)
fi
deb_name=$(basename "$deb")

# ---- The rootfs, cached by package list ----
# What the .deb depends on (first of each alternative), plus systemd to boot and dbus for the system bus.
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$')
rootfs_packages=$(printf '%s\n' systemd systemd-sysv dbus $depends | sort -u | paste -sd, -)
key=$(printf '%s minbase %s\n' "$suite" "$rootfs_packages" | sha256sum | cut -c1-16)
rootfs=$cache/$suite/rootfs-$key
if [ ! -f "$rootfs/.complete" ]; then
    command -v debootstrap >/dev/null || cannot_run "debootstrap is missing (apt-get install debootstrap) and no rootfs is cached for $rootfs_packages"
    say "making the $suite rootfs with debootstrap ($rootfs_packages) in $rootfs"
    rm -rf "$rootfs.partial"
    mkdir -p "$cache/$suite"
    debootstrap --variant=minbase --include="$rootfs_packages" "$suite" "$rootfs.partial" "$mirror" >"$work/debootstrap.log" 2>&1 || {
        tail -n 20 "$work/debootstrap.log"
        fail "debootstrap from $mirror failed (last lines above)"
    }
    # Each container gets its hostname from nspawn and its own machine-id; no timer may run apt meanwhile.
    rm -f "$rootfs.partial/etc/hostname"
    systemctl --root="$rootfs.partial" mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
        e2scrub_all.timer console-getty.service >/dev/null 2>&1
    rm -rf "$rootfs.partial/var/cache/apt/archives"/*.deb
    touch "$rootfs.partial/.complete"
    find "$cache/$suite" -mindepth 1 -maxdepth 1 -name 'rootfs-*' ! -name "rootfs-$key.partial" -exec rm -rf {} +  # stale keys
    mv "$rootfs.partial" "$rootfs"
    say "rootfs ready ($(du -sh "$rootfs" | cut -f1))"
else
    say "rootfs from the cache: $rootfs"
fi

# ---- The network: a bridge in a namespace of its own, one namespace per node ----
bridge_ns=chu-e2e-$id-bridge
ip netns add "$bridge_ns"
ip -n "$bridge_ns" link add br0 type bridge
ip -n "$bridge_ns" link set br0 up
for n in "${nodes[@]}"; do
    ns=chu-e2e-$id-$n
    ip netns add "$ns"
    ip -n "$bridge_ns" link add "v-$n" type veth peer name eth0 netns "$ns"
    ip -n "$bridge_ns" link set "v-$n" master br0 up
    ip -n "$ns" addr add "${address[$n]}/24" dev eth0
    ip -n "$ns" link set eth0 up
done

# ---- The simulated cluster's world: the Chef Server 12 package, calls slow enough to interrupt ----
"$simchef" make-package "$world/chef-server-core_12.0.8-1_amd64.deb" --version 12.0.8
echo 700 >"$world/delay_ms"
echo 20000 >"$world/dpkg_debug_lines"  # dpkg -D10's line per file: every one must reach the journal
echo 0 >"$world/failover_ms"  # systemd kills a stopped unit's whole cgroup: no delayed failover child may matter

topology() {
    cat <<EOF
# The simulated Chef HA cluster of the container test
topology "ha"
api_fqdn "chef.example.com"

server "be1.example.com", :ipaddress => "${address[be1]}", :role => "backend", :bootstrap => true,
  :cluster_ipaddress => "${address[be1]}"
server "be2.example.com", :ipaddress => "${address[be2]}", :role => "backend",
  :cluster_ipaddress => "${address[be2]}"
backend_vip "chef-be.example.com", :ipaddress => "192.0.2.10", :device => "eth0", :heartbeat_device => "eth0"
server "fe1.example.com", :ipaddress => "${address[fe1]}", :role => "frontend"
server "fe2.example.com", :ipaddress => "${address[fe2]}", :role => "frontend"
EOF
}

# ---- Containers ----
# chu-simchef stands in for Chef's commands in the containers. It was built on this host, whose C and C++
# libraries may be newer than the container's (bullseye): it takes its own along, with their loader, as
# the product's package does (packaging/bundle-runtime.sh).
install_simchef() {
    local dir=/usr/local/lib/chu-simchef path loader
    mkdir -p "$1$dir"
    install -m 0755 "$simchef" "$1$dir/chu-simchef"
    loader=$(readelf -lW "$simchef" | sed -n 's/.*program interpreter: \(.*\)]/\1/p')
    install -m 0755 "$(readlink -f "$loader")" "$1$dir/$(basename "$loader")"
    for path in $(ldd "$simchef" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
        install -m 0644 "$(readlink -f "$path")" "$1$dir/$(basename "$path")"
    done
    patchelf --set-interpreter "$dir/$(basename "$loader")" --set-rpath "$dir" "$1$dir/chu-simchef"
    ln -s "$dir/chu-simchef" "$1/usr/local/bin/chu-simchef"
}

prepare() {
    local n=$1 root=$work/$1/root
    mkdir -p "$work/$n/upper" "$work/$n/work" "$root"
    mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$work/$n/upper,workdir=$work/$n/work" "$root"
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
    echo >>"$root/etc/machine-id"
    cp "$deb" "$root/root/"
    install_simchef "$root"
    ln -s /bin/true "$root/usr/bin/make"  # the bootstrap's preflight wants make
    ln -s /opt/opscode/bin/private-chef-ctl "$root/usr/bin/private-chef-ctl"
    ln -s /opt/opscode/bin/chef-server-ctl "$root/usr/bin/chef-server-ctl"  # dangling until Chef Server 12 is installed
    {
        echo "127.0.0.1 localhost"
        for m in "${nodes[@]}"; do echo "${address[$m]} $m.example.com $m"; done
    } >"$root/etc/hosts"
}

boot() {
    local n=$1 cg
    for cg in $(cgroup_dirs "$n"); do mkdir -p "$cg"; done
    # Its own cgroup: nspawn puts the container in a payload/ cgroup beside its own, under the one it runs in.
    (
        for cg in $(cgroup_dirs "$n"); do echo "$BASHPID" >"$cg/cgroup.procs"; done
        exec systemd-nspawn --quiet --boot --directory="$work/$n/root" --machine="$n.example.com" \
            --register=no --keep-unit --link-journal=no --console=passive --resolv-conf=off --timezone=off \
            --network-namespace-path="/run/netns/chu-e2e-$id-$n" --bind="$world" </dev/null >>"$work/$n.nspawn.log" 2>&1
    ) &
    nspawn[$n]=$!
    local until=$((SECONDS + 30))
    pid1[$n]=""
    until pid1[$n]=$(pgrep -P "${nspawn[$n]}" -x systemd); do
        kill -0 "${nspawn[$n]}" 2>/dev/null || { cat "$work/$n.nspawn.log"; fail "systemd-nspawn for $n exited"; }
        [ $SECONDS -lt $until ] || fail "$n: no init process within 30 s"
        sleep 0.2
    done
    wait_until 90 "$n booting" booted "$n"
}

# Boot finished: running, or degraded (some unit of the base system failed, which is not ours to judge).
booted() {
    local state
    state=$(inside "$1" systemctl is-system-running --wait) || true
    [ "$state" = running ] || [ "$state" = degraded ]
}

powered_off() { ! kill -0 "${nspawn[$1]}" 2>/dev/null; }

poweroff() {
    inside "$1" systemctl poweroff || true
    wait_until 60 "$1 powering off" powered_off "$1"
    wait "${nspawn[$1]}" 2>/dev/null || true
    unset "nspawn[$1]"
    pid1[$1]=""
}

for n in "${nodes[@]}"; do prepare "$n"; done
for n in "${nodes[@]}"; do boot "$n"; done
say "4 containers booted: ${nodes[*]}"

# ---- Install, and nothing starts ----
for n in "${nodes[@]}"; do
    inside "$n" sh -c "cd /root && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./$deb_name" >"$work/$n.apt.log" 2>&1 ||
        { cat "$work/$n.apt.log"; fail "apt-get install ./$deb_name on $n"; }
    unit_is "$n" chef-ha-upgrade inactive || fail "installing the package started chef-ha-upgrade on $n"
    [ "$(inside "$n" systemctl is-enabled chef-ha-upgrade-resume.service)" = enabled ] || fail "chef-ha-upgrade-resume.service is not enabled on $n"
    [ "$(inside "$n" systemctl is-enabled chef-ha-upgrade.service || true)" = static ] || fail "chef-ha-upgrade.service is enabled on $n"

    inside "$n" /usr/local/bin/chu-simchef init --node-dir /opt/opscode --name "$n.example.com" --role "${role[$n]}" --world "$world" \
        --opscode-dir /etc/opscode --keepalived-dir /var/opt/opscode/keepalived --upgrades-dir /var/opt/opscode/upgrades \
        --flavor cs12
    topology >"$work/$n/root/etc/opscode/private-chef.rb"
    mkdir -p "$work/$n/root/etc/chef-ha-upgrade/conf.d"
    # Everything else is the shipped default: the node is this host's FQDN, the key comes from
    # /etc/opscode/private-chef-secrets.json, the ctl is /usr/bin/private-chef-ctl, then chef-server-ctl.
    cat >"$work/$n/root/etc/chef-ha-upgrade/conf.d/50-e2e.conf" <<EOF
[upgrade]
package = $world/chef-server-core_12.0.8-1_amd64.deb
[commands]
# The simulated node's dpkg and rpm: the container's own dpkg stays its package manager.
dpkg = /opt/opscode/bin/dpkg
dpkg_deb = /opt/opscode/bin/dpkg-deb
rpm = /opt/opscode/bin/rpm
EOF
done
say "installed $deb_name on every node: chef-ha-upgrade inactive, chef-ha-upgrade-resume enabled"
# A hook on the leader records what a command the daemon runs gets: the host's environment and libraries,
# nothing of the bundle under /opt/chef-ha-upgrade (no loader variable, no bundled library mapped).
mkdir -p "$work/be1/root/etc/chef-ha-upgrade/hooks.d"
cat >"$work/be1/root/etc/chef-ha-upgrade/hooks.d/10-env" <<'HOOK'
#!/bin/sh
[ "$CHU_EVENT" = complete ] || exit 0
{ env; grep -c /opt/chef-ha-upgrade "/proc/$$/maps"; } >/root/hook-env.tmp
mv /root/hook-env.tmp /root/hook-env
HOOK
chmod 0755 "$work/be1/root/etc/chef-ha-upgrade/hooks.d/10-env"
check=$(inside be2 chef-ha-upgrade-ctl check-config) || { echo "$check"; fail "chef-ha-upgrade-ctl check-config on be2"; }
sed -n '1,6s/^/    /p' <<<"$check"

# ---- Start, and follow ----
for n in "${nodes[@]}"; do
    inside "$n" systemctl start chef-ha-upgrade || fail "systemctl start chef-ha-upgrade on $n"
done
say "started chef-ha-upgrade on every node"

restarted() { [ "$(unit_prop "$1" chef-ha-upgrade NRestarts)" = 1 ] && unit_is "$1" chef-ha-upgrade active; }

# The last call the world logged for a node: "begin" while one of its commands runs.
last_call() { grep " $1.example.com " "$world/calls.log" 2>/dev/null | tail -n 1 | cut -d' ' -f4,6-; }

declare -A shown=()
killed=no powered=no status_seen=no approved=no
until=$((SECONDS + 600))
while :; do
    [ $SECONDS -lt $until ] || fail "the upgrade did not complete within 600 s"
    complete=0
    for n in "${nodes[@]}"; do
        if [ -z "${pid1[$n]}" ]; then
            line="powered off"
        elif values=$(inside "$n" busctl get-property "${object[@]}" State Phase CurrentStep 2>/dev/null); then
            state[$n]=$(sed -n '1s/^s "\(.*\)"$/\1/p' <<<"$values")
            phase[$n]=$(sed -n '2s/^i //p' <<<"$values")
            line="${state[$n]} phase ${phase[$n]}: $(sed -n '3s/^s "\(.*\)"$/\1/p' <<<"$values")"
            [ "${state[$n]}" = complete ] && complete=$((complete + 1))
        else
            line="not on the bus"
            state[$n]="" phase[$n]=-1
        fi
        [ "${shown[$n]:-}" = "$line" ] || { say "$n: $line"; shown[$n]=$line; }
    done
    [ $complete -eq 4 ] && break

    # systemctl status carries the daemon's STATUS= line.
    if [ $status_seen = no ] && [ "${state[be1]:-}" = running ]; then
        status=$(inside be1 systemctl status chef-ha-upgrade --no-pager 2>&1 || true)
        grep -q 'Status: "bootstrap be1.example.com: running, phase' <<<"$status" ||
            { echo "$status"; fail "systemctl status on be1 shows no STATUS= line"; }
        say "systemctl status on be1: $(grep 'Status:' <<<"$status" | sed 's/^ *//')"
        status_seen=yes
    fi

    # kill -9 of the bootstrap's daemon while one of its commands runs: systemd restarts it, it resumes.
    if [ $killed = no ] && [ "${phase[be1]:-0}" -ge 2 ] && [[ "$(last_call be1)" == begin* ]]; then
        main=$(unit_prop be1 chef-ha-upgrade MainPID)
        say "kill -9 of chef-ha-upgraded on be1 (pid $main in the container) during: $(last_call be1 | cut -d' ' -f2-)"
        inside be1 bash -c "kill -9 $main"  # bash's kill: the base system has no procps
        wait_until 30 "systemd restarting be1's daemon" restarted be1
        say "systemd restarted be1's daemon (NRestarts=1, pid $(unit_prop be1 chef-ha-upgrade MainPID))"
        killed=yes
    fi

    # fe2 powered off while one of its commands runs, then booted: it resumes by itself.
    if [ $powered = no ] && [ "${phase[fe2]:-0}" -ge 5 ] && [[ "$(last_call fe2)" == begin* ]]; then
        say "powering off fe2 during: $(last_call fe2 | cut -d' ' -f2-)"
        poweroff fe2
        [ -f "$work/fe2/root/var/lib/chef-ha-upgrade/upgrade-underway" ] || fail "fe2 went down mid-upgrade without its upgrade-underway marker"
        say "fe2 is off (marker kept); booting it again"
        boot fe2
        wait_until 30 "fe2's daemon started by chef-ha-upgrade-resume.service" unit_is fe2 chef-ha-upgrade active
        [ "$(unit_prop fe2 chef-ha-upgrade-resume ConditionResult)" = yes ] || fail "fe2: the resume unit's condition did not hold"
        say "fe2 booted; chef-ha-upgrade-resume.service started chef-ha-upgrade"
        powered=yes
    fi

    # The operator approves the cleanup, from a frontend: the leader decides.
    if [ $approved = no ] && [ "${state[be1]:-}" = awaiting-approval ]; then
        inside fe1 chef-ha-upgrade-ctl status | sed 's/^/    /'
        date +%s%3N >"$world/approved"  # for chu-simchef verify --approval
        inside fe1 chef-ha-upgrade-ctl approve --yes | sed 's/^/    /' || fail "chef-ha-upgrade-ctl approve on fe1"
        approved=yes
    fi
    sleep 0.5
done
[ $killed = yes ] && [ $powered = yes ] && [ $approved = yes ] ||
    fail "the upgrade completed before every fault was injected (killed=$killed powered-off=$powered approved=$approved)"
say "every node complete"

# ---- After: the runbooks' rules, no marker left, and a finished node starts nothing at boot ----
inside be1 chef-ha-upgrade-ctl report | sed 's/^/    /'
"$simchef" verify --world "$world" --plan chef-server-12 --approval --complete --allow-reruns | sed 's/^/    /' ||
    fail "chu-simchef verify: the call log breaks the runbooks' rules (above)"
for n in "${nodes[@]}"; do
    [ ! -e "$work/$n/root/var/lib/chef-ha-upgrade/upgrade-underway" ] || fail "$n kept its upgrade-underway marker after completing"
    # The unit's LogRateLimitIntervalSec=0: journald's default limit would have dropped half of them. (fe2 was
    # powered off: its journal before that need not have survived.)
    [ "$n" = fe2 ] && continue
    lines=$(inside "$n" journalctl -u chef-ha-upgrade CHU_STEP=install-package -o cat --no-pager | grep -c '^D000010: tarobject' || true)
    [ "$lines" -ge 20000 ] || fail "$n: only $lines of dpkg -D10's 20000 lines are in journalctl -u chef-ha-upgrade"
done
say "the journals of be1, be2 and fe1 hold all 20000 lines dpkg -D10 printed"
wait_until 30 "the complete hook on be1" test -f "$work/be1/root/root/hook-env"
if grep -E '^LD_|/opt/chef-ha-upgrade' "$work/be1/root/root/hook-env" || [ "$(tail -n1 "$work/be1/root/root/hook-env")" != 0 ]; then
    cat "$work/be1/root/root/hook-env"
    fail "a hook run by the daemon saw the bundle under /opt/chef-ha-upgrade (its environment and mapped files above)"
fi
say "a hook run by the daemon has the host's environment and libraries: no LD_*, nothing of /opt/chef-ha-upgrade mapped"

# ---- A support bundle collected on a follower: every node's part, its log read from journald ----
inside fe1 chef-ha-upgrade-ctl collect /root/support.tar.gz 2>&1 | sed 's/^/    /' ||
    fail "chef-ha-upgrade-ctl collect on fe1 did not reach every node"
bundle="$work/fe1/root/root/support.tar.gz"
files=$(tar -tzf "$bundle") || fail "the support bundle from fe1 is no tar.gz"
for n in "${nodes[@]}"; do
    log=$(tar -xzOf "$bundle" "chef-ha-upgrade-support/$n.example.com/log.txt") || fail "the bundle has no log of $n"
    grep -q 'chef-ha-upgraded\[[0-9]*\]: ' <<<"$log" || { head -5 <<<"$log"; fail "$n's log in the bundle holds no line of the daemon"; }
done
# Read whole, then searched: `tar | grep -q` fails under pipefail once the chart outgrows a pipe (SIGPIPE).
svg=$(tar -xzOf "$bundle" chef-ha-upgrade-support/timeline.svg) || fail "the bundle has no timeline chart"
grep -q '<svg' <<<"$svg" || fail "the bundle's timeline chart is no SVG"
say "support bundle collected on fe1: $(wc -l <<<"$files") files, every node's log from its journald"

poweroff be2
boot be2
[ "$(unit_prop be2 chef-ha-upgrade-resume ConditionResult)" = no ] || fail "be2: the resume unit's condition held after the upgrade completed"
unit_is be2 chef-ha-upgrade inactive || fail "be2 started chef-ha-upgrade at boot after the upgrade completed"
say "be2 rebooted after completing: chef-ha-upgrade stays inactive"

# ---- A bad configuration: exit 78, failed, never restarted ----
inside fe1 systemctl stop chef-ha-upgrade
echo "[upgrade]
no_such_key = 1" >"$work/fe1/root/etc/chef-ha-upgrade/conf.d/60-bad.conf"
if inside fe1 systemctl start chef-ha-upgrade 2>/dev/null; then fail "chef-ha-upgrade started on fe1 with a bad configuration"; fi
sleep 8  # longer than RestartSec=5s: a restart would have happened by now
[ "$(unit_prop fe1 chef-ha-upgrade ExecMainStatus)" = 78 ] || fail "fe1: exit status $(unit_prop fe1 chef-ha-upgrade ExecMainStatus), not 78"
[ "$(unit_prop fe1 chef-ha-upgrade NRestarts)" = 0 ] || fail "fe1: restarted on a bad configuration"
unit_is fe1 chef-ha-upgrade failed || fail "fe1: not failed after a bad configuration"
say "bad configuration on fe1: exit 78, failed, not restarted: $(inside fe1 journalctl -u chef-ha-upgrade -o cat --no-pager | grep -m1 60-bad.conf)"
