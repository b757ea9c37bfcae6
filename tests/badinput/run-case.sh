#!/bin/sh
# run-case.sh DAEMON SOURCE_DIR CASE
# Starts the real daemon (`chef-ha-upgraded --config F`, as the unit does) on a configuration that is good
# (base/) except where CASE changes it, and requires exit status 78 and every `# expect:` text of CASE in
# what it printed. A case file is comment lines (`# what:`, `# expect:`), then files: `--- NAME` and the
# lines of NAME (beside chu.conf; replacing a base file of that name). @DIR@ is the case's directory and
# @PLANS@ the shipped plans.
set -u
daemon=$1 src=$2 case=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/chu-badinput-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

cp "$here"/base/* "$work"/
: > "$work/chef-server-core_12.0.8-1_amd64.deb"
awk -v dir="$work" '
    /^--- / { file = dir "/" substr($0, 5); sub(/\/[^\/]*$/, "", file); system("mkdir -p \"" file "\""); out = dir "/" substr($0, 5); printf "" > out; next }
    out != "" { print > out }
' "$case"
# Substitute the placeholders in every text file the case uses.
for f in $(find "$work" -type f ! -name '*.deb'); do
    sed -i -e "s|@DIR@|$work|g" -e "s|@PLANS@|$src/conf/plans|g" "$f"
done

out=$(cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin timeout 60 "$daemon" --config "$work/chu.conf" 2>&1)
status=$?
printf '%s\n' "$(sed -n 's/^# what: //p' "$case")"
printf 'exit %s: %s\n' "$status" "$out"
failed=0
if [ "$status" -ne 78 ]; then
    echo "FAIL: exit status $status, expected 78 (EX_CONFIG: the unit must not restart on it)"
    failed=1
fi
expects=$(sed -n 's/^# expect: //p' "$case" | sed "s|@DIR@|$work|g")
if [ -z "$expects" ]; then
    echo "FAIL: the case has no '# expect:' line"
    failed=1
fi
printf '%s\n' "$expects" | while IFS= read -r want; do
    [ -n "$want" ] || continue
    case "$out" in
        *"$want"*) ;;
        *) echo "FAIL: missing \"$want\""; exit 1 ;;
    esac
done || failed=1
exit "$failed"
