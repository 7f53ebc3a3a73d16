#!/usr/bin/env bash
# Every subcommand answers --help (and `cellpipe help COMMAND`) with exit 0, its usage line and
# one line for each option its usage names; an unknown command is a usage error (64).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CELLPIPE=${CELLPIPE:-$PWD/$BUILD/cellpipe}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
commands=$("$CELLPIPE" --help | sed -n '/^commands:/,/^$/p' | awk 'NF > 0 && $1 != "commands:" {print $1}')
[ "$(echo "$commands" | wc -w)" -ge 8 ] && ok || ko "cellpipe --help lists the commands"
for c in $commands; do
    out=$("$CELLPIPE" "$c" --help 2>&1)
    rc=$?
    [ "$rc" = 0 ] && ok || ko "$c --help exits $rc"
    echo "$out" | grep -q "^usage: cellpipe $c" && ok || ko "$c --help shows its usage"
    for opt in $(echo "$out" | head -n 1 | grep -oE -- '--[a-z-]+' | sort -u); do
        echo "$out" | grep -qE "^  $opt( |$)" && ok || ko "$c --help explains $opt"
    done
    [ "$("$CELLPIPE" help "$c" 2>&1)" = "$out" ] && ok || ko "cellpipe help $c equals $c --help"
done
"$CELLPIPE" help no-such-command >/dev/null 2>&1
[ $? = 64 ] && ok || ko "help of an unknown command exits 64"
echo "clihelp: $pass passed, $fail failed"
[ "$fail" = 0 ]
