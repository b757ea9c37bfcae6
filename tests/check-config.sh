#!/bin/sh
# chef-ha-upgraded --check-config on a realistic 2-backend, 3-frontend cluster, as each node would run it,
# for both plans; then configurations it must refuse with exit 78 and file:line. Fails on any surprise.
#   tests/check-config.sh BUILD_DIR
set -u
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
daemon="$build/daemon/chef-ha-upgraded"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
failures=0

cp "$src/tests/data/topology/ha_docs_example.rb" "$work/private-chef.rb"
echo '{"postgresql":{"sql_password":"s3cret"}}' > "$work/private-chef-secrets.json"

# node plan package [extra ini lines...]
write_config() {
    node=$1 plan=$2 package=$3
    shift 3
    {
        printf '[cluster]\ntopology = %s\nnode = %s\nkey_file = %s\n' "$work/private-chef.rb" "$node" "$work/private-chef-secrets.json"
        printf '[upgrade]\nplan = %s\npackage = %s\n' "$plan" "$package"
        printf '[paths]\nplans_dir = %s\n' "$src/conf/plans"
        for line in "$@"; do printf '%s\n' "$line"; done
    } > "$work/chu.conf"
}

expect() {  # expect STATUS PATTERN: run check-config, compare exit status and look for PATTERN
    want=$1 pattern=$2
    out=$("$daemon" --config "$work/chu.conf" --check-config 2>&1)
    got=$?
    if [ "$got" -ne "$want" ] || ! printf '%s\n' "$out" | grep -qF -- "$pattern"; then
        echo "FAIL: expected exit $want and \"$pattern\", got exit $got:"
        printf '%s\n' "$out" | sed 's/^/    /'
        failures=$((failures + 1))
    fi
    printf '%s\n' "$out"
}

for plan in chef-server-12 enterprise-chef-11; do
    for node in be1.example.com be2.example.com fe1.example.com; do
        echo "==== $node, plan $plan"
        write_config "$node" "$plan" /srv/chef-server-core_12.19.31-1_amd64.deb
        expect 0 "plan:      $plan"
    done
done
write_config be2.example.com chef-server-12 /srv/chef-server-core-12.19.31-1.el7.x86_64.rpm
expect 0 "rpm -Uvh --nopostun /srv/chef-server-core-12.19.31-1.el7.x86_64.rpm"

echo "==== the topology read by Chef's Ruby too (Debian's ruby standing in), or by the reader alone"
write_config be1.example.com chef-server-12 /srv/p.deb "[commands]" "ruby = /usr/bin/ruby"
expect 0 "read the same by Chef's Ruby (/usr/bin/ruby)"
write_config be1.example.com chef-server-12 /srv/p.deb "[commands]" "ruby = $work/no-ruby"
expect 0 "note: no Chef embedded Ruby at $work/no-ruby ([commands] ruby)"

echo "==== configurations that must be refused (exit 78)"
write_config nosuch.example.com chef-server-12 /srv/p.deb
expect 78 'node "nosuch.example.com" is not in'
write_config be1.example.com chef-server-12 /srv/p.deb "[cluster]" "port = 99999"
expect 78 "chu.conf:"
write_config be1.example.com no-such-plan /srv/p.deb
expect 78 "no-such-plan.plan"
write_config be1.example.com chef-server-12 /srv/p.tar.gz
expect 78 "neither a .deb nor a .rpm"
write_config be1.example.com chef-server-12 /srv/p.deb "[upgrade]" "addons = opscode-nosuch"
expect 78 "does not know add-on"
sed 's/topology "ha"/topology "tier"/' "$src/tests/data/topology/ha_docs_example.rb" > "$work/private-chef.rb"
write_config be1.example.com chef-server-12 /srv/p.deb
expect 78 "private-chef.rb:"

if [ "$failures" -ne 0 ]; then
    echo "check-config: $failures unexpected result(s)"
    exit 1
fi
echo "check-config: every node and plan checked, every bad configuration refused with exit 78"
