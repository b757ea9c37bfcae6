#!/bin/bash
# The shipped systemd units, preset and maintainer scriptlets must mean the same on systemd 219 (RHEL/CentOS
# 7), 229 (Ubuntu 16.04) and this host's, and the D-Bus policy must be one dbus 1.6 (RHEL 7.0-7.3) reads.
#
#   check-units.sh directives SRC BUILD   every directive in directives.tsv, none newer than 219 unless
#                                         harmless there, the table's NEWS quotes found in NEWS, and every
#                                         Exec*= path absolute
#   check-units.sh verify SRC BUILD DAEMON  systemd-analyze verify of the built units: no complaint at all
#   check-units.sh scriptlets SRC         no systemctl option that 219 lacks in a package scriptlet
#   check-units.sh dbus-policy SRC        the bus policy uses only what dbus 1.6.12's parser knows
#
# SRC is the source tree, BUILD the build tree (its units/ holds the configured .service files). Exit 77:
# skipped (a tool is missing).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mode=${1:?mode}
src=${2:?source tree}
fail() {
    echo "check-units: $*" >&2
    exit 1
}

# Every unit, preset and drop-in in the source tree, wherever it is (build trees and .git left out).
source_units() {
    find "$src" \( -name .git -o -exec test -e '{}/CMakeCache.txt' \; \) -prune -o -type f \
        \( -name '*.service' -o -name '*.service.in' -o -name '*.socket' -o -name '*.timer' -o -name '*.path' \
        -o -name '*.target' -o -name '*.mount' -o -name '*.preset' -o -path '*.service.d/*.conf' \) \
        -print | sort
}

# The files to read: each unit as built (a .in configured in BUILD's units/), the rest as they are.
unit_files() {
    local build=$1 f built
    while read -r f; do
        if [[ $f == *.in ]]; then
            built=$build/${f#"$src"/}
            built=${built%.in}
            [ -f "$built" ] || fail "$f has no configured $built: build the tree first"
            echo "$built"
        else
            echo "$f"
        fi
    done < <(source_units)
}

# "NNN<TAB>text of CHANGES WITH NNN, on one line, spaces collapsed" for each release in NEWS.
news_sections() {
    zcat "$1" | awk '
        /^CHANGES WITH [0-9]+/ { if (v != "") print v "\t" text; v = $3; sub(/[^0-9].*/, "", v); text = ""; next }
        { gsub(/^[ \t]+|[ \t]+$/, ""); if ($0 != "") text = text " " $0 }
        END { if (v != "") print v "\t" text }' | sed 's/  */ /g'
}

case $mode in
directives)
    build=${3:?build tree}
    table=$here/directives.tsv
    news=/usr/share/doc/systemd/NEWS.gz
    news_text=$(mktemp)
    trap 'rm -f "$news_text"' EXIT
    if [ -r "$news" ]; then
        news_sections "$news" >"$news_text"
    else
        echo "check-units: $news not here: the table's NEWS quotes are not checked"
    fi
    mapfile -t files < <(unit_files "$build")
    [ ${#files[@]} -gt 0 ] || fail "no unit found under $src"
    printf 'checked: %s\n' "${files[@]}"
    awk -F'\t' -v table="$table" -v newsfile="$news_text" '
        function err(msg) { print "check-units: " msg > "/dev/stderr"; bad = 1 }
        function norm(s) { gsub(/[ \t\n]+/, " ", s); return s }
        # Each "NNN: \"quote\"" in a news field must be in CHANGES WITH NNN. A quote ends at a double quote
        # followed by the end, ";" or ")": quotes may hold quoted words.
        function check_quotes(row, field,    rest, v, q, i, c) {
            rest = field
            while (match(rest, /[0-9]+: "/)) {
                v = substr(rest, RSTART, RLENGTH); sub(/:.*/, "", v)
                rest = substr(rest, RSTART + RLENGTH)
                q = ""
                for (i = 1; i <= length(rest); i++) {
                    c = substr(rest, i, 1)
                    if (c == "\"" && (i == length(rest) || substr(rest, i + 1, 1) ~ /[;)]/)) break
                    q = q c
                }
                rest = substr(rest, i + 1)
                if (have_news && !(v in news)) err(row ": no CHANGES WITH " v " in NEWS")
                else if (have_news && index(news[v], norm(q)) == 0) err(row ": not under CHANGES WITH " v " in NEWS: \"" q "\"")
            }
        }
        BEGIN {
            while ((getline line < newsfile) > 0) { split(line, p, "\t"); news[p[1]] = p[2]; have_news = 1 }
            while ((getline line < table) > 0) {
                ++n
                if (line ~ /^#/ || line ~ /^[ \t]*$/) continue
                split(line, f, "\t")
                row = "directives.tsv:" n " (" f[1] " " f[2] ")"
                if (f[3] !~ /^[0-9]+$/) err(row ": since is no release number: " f[3])
                if (f[4] !~ /^(yes|ignored|no)$/) err(row ": on_219 is yes, ignored or no, not " f[4])
                if (f[3] + 0 > 219 && f[4] == "yes") err(row ": introduced in " f[3] ", after 219: ignored (why) or no")
                if (f[4] != "yes" && f[6] == "") err(row ": " f[4] " needs its why")
                if (f[4] == "yes" && f[6] != "") err(row ": yes needs no why")
                if (f[5] == "") err(row ": where NEWS says it, or why it does not")
                check_quotes(row, f[5])
                key = f[1] SUBSEP f[2]
                since[key] = f[3]; on219[key] = f[4]; why[key] = f[6]
                if (index(f[2], "=")) { d = f[2]; sub(/=.*/, "", d); forms[f[1] SUBSEP d] = forms[f[1] SUBSEP d] "\n" f[2] }
            }
        }
        FNR == 1 { section = (FILENAME ~ /\.preset$/) ? "preset" : ""; file = FILENAME; sub(/.*\//, "", file) }
        /^[ \t]*([#;]|$)/ { next }
        section == "preset" {
            use(FILENAME ":" FNR, "preset", $0 ~ /^[ \t]*enable[ \t]/ ? "enable" : $0 ~ /^[ \t]*disable[ \t]/ ? "disable" : $1, "")
            next
        }
        /^\[.*\][ \t]*$/ { section = $0; gsub(/^\[|\][ \t]*$/, "", section); next }
        {
            eq = index($0, "=")
            if (eq == 0) { err(FILENAME ":" FNR ": not a directive: " $0); next }
            name = substr($0, 1, eq - 1); value = substr($0, eq + 1)
            gsub(/^[ \t]+|[ \t]+$/, "", name)
            use(FILENAME ":" FNR, section, name, value)
            if (name ~ /^Exec(Start|StartPre|StartPost|Stop|StopPost|Reload|Condition)$/ && FILENAME !~ /\.in$/) {
                prog = value; sub(/^[-@:+!]+/, "", prog); sub(/[ \t].*/, "", prog)
                if (prog !~ /^\//) err(FILENAME ":" FNR ": " name "=" prog " is no absolute path: systemd before 239 refuses it")
            }
        }
        function use(where, section, name, value,    key, n, i, d, prefix, w, words, k) {
            key = section SUBSEP name
            if (!(key in since)) { err(where ": [" section "] " name " is not in directives.tsv: add it, with the release that introduced it"); return }
            verdict(where, section, name, key)
            if (!(key in forms)) return
            n = split(substr(forms[key], 2), d, "\n")
            for (i = 1; i <= n; i++) {
                prefix = substr(d[i], index(d[i], "=") + 1)
                w = split(value, words, /[ \t]+/)
                for (k = 1; k <= w; k++) {
                    sub(/^~/, "", words[k])
                    if (words[k] != "" && index(words[k], prefix) == 1) { verdict(where, section, d[i], section SUBSEP d[i]); break }
                }
            }
        }
        function verdict(where, section, name, key) {
            if (on219[key] == "no")
                err(where ": [" section "] " name " is systemd " since[key] "'\''s: " why[key])
            else if (on219[key] == "ignored" && !(key in said)) {
                said[key] = 1
                print "ignored by 219 and harmless: [" section "] " name " (systemd " since[key] "): " why[key]
            }
        }
        END { exit bad }
    ' "${files[@]}" || fail "the units above use what systemd 219 does not read (see directives.tsv)"
    echo "every directive is in directives.tsv and read by systemd 219, or harmless where it is not"
    ;;
verify)
    build=${3:?build tree}
    daemon=${4:?the built daemon}
    command -v systemd-analyze >/dev/null || { echo "systemd-analyze not here: skipped"; exit 77; }
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mapfile -t files < <(unit_files "$build" | grep -v '\.preset$')
    cp "${files[@]}" "$work/"
    # verify checks that each ExecStart= program exists: the built units name the daemon where it will be
    # installed, so they name the one in this build tree instead. Nothing else is changed.
    sed -i "s|^ExecStart=[^ ]*/chef-ha-upgraded\\b|ExecStart=$daemon|" "$work"/*.service
    # --man=no: the man pages in Documentation= are not installed on a build host. The units' directory
    # first, then systemd's own (network-online.target, multi-user.target).
    out=$(cd "$work" && SYSTEMD_UNIT_PATH="$work:" systemd-analyze verify --man=no ./*.service 2>&1) ||
        fail "systemd-analyze verify failed: $out"
    [ -z "$out" ] || fail "systemd-analyze verify ($(systemd-analyze --version | head -1)) complains: $out"
    echo "systemd-analyze verify: no complaint about $(cd "$work" && echo ./*.service)"
    ;;
scriptlets)
    # Options systemctl gained after 219, which a scriptlet run on RHEL 7 or Ubuntu 16.04 must not use:
    # NEWS 220 (enable/disable --now), 230 (show --value), 240 (is-system-running --wait, --no-warn 253).
    newer='--now|--value|--wait|--no-warn'
    scripts=()
    for f in "$src"/packaging/debian/{preinst,postinst,prerm,postrm,*.preinst,*.postinst,*.prerm,*.postrm}; do
        [ -f "$f" ] && scripts+=("$f")
    done
    [ ${#scripts[@]} -gt 0 ] || fail "no maintainer script in $src/packaging/debian"
    found=0
    for f in "${scripts[@]}"; do
        if grep -nE -- "($newer)\\b" "$f" | grep -v '^[0-9]*:[[:space:]]*#'; then found=1; echo "  in $f" >&2; fi
    done
    # The rpm's scriptlet macros built on this host, and the spec's own scriptlets.
    macros=$src/packaging/rpm/debian-host.macros
    if grep -nE -- "^%systemd_[a-z_]*\\(\\).*($newer)\\b" "$macros"; then found=1; echo "  in $macros" >&2; fi
    spec=$src/packaging/rpm/chef-ha-upgrade.spec
    if awk '/^%(pre|post|preun|postun|posttrans|pretrans)([ \t]|$)/{s=1; next} /^%[a-z]+([ \t]|$)/{s=0} s' "$spec" |
        grep -E -- "($newer)\\b"; then
        found=1
        echo "  in a scriptlet of $spec" >&2
    fi
    [ $found = 0 ] || fail "a scriptlet above uses a systemctl option newer than systemd 219"
    echo "no scriptlet uses $newer: $(printf '%s ' "${scripts[@]##*/}")debian-host.macros, the spec's scriptlets"
    ;;
dbus-policy)
    command -v xmllint >/dev/null || { echo "xmllint not here (libxml2-utils): skipped"; exit 77; }
    policy=$src/ipc/chef-ha-upgrade-dbus.conf
    # Validated against dbus 1.6.12's parser, written down as a DTD: busconfig.dtd as shipped has not
    # listed send_destination and the other send_*/receive_* attributes since 2003.
    # Without its DOCTYPE, which names freedesktop.org's copy: no network here, and not the one wanted.
    sed '/<!DOCTYPE/,/>$/d' "$policy" | xmllint --noout --nonet --dtdvalid "$here/busconfig-dbus-1.6.dtd" - ||
        fail "$policy uses what dbus 1.6.12 does not know (RHEL 7.0-7.3)"
    echo "$policy: only elements and attributes dbus 1.6.12 reads"
    ;;
*)
    fail "unknown mode $mode"
    ;;
esac
