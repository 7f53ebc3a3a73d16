#!/usr/bin/env bash
# The README's first command works on a machine that has none of the libraries yet: `make run`
# (and `make check`) must take the build flags from pkg-config only after bootstrap installed
# the -dev packages. Here pkg-config knows nothing until a stand-in bootstrap has "installed"
# them; `make -n` then shows the compile commands the real run would use, which must carry
# libpq's flags. (A Makefile that reads pkg-config when it is parsed gets empty flags.)
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
real=$(command -v pkg-config)
want=$("$real" --cflags libpq)
mkdir -p "$tmp/bin"
cat >"$tmp/bin/pkg-config" <<SH
#!/bin/sh
[ -e "$tmp/installed" ] || exit 1
exec "$real" "\$@"
SH
printf '#!/bin/sh\ntouch "%s/installed"\n' "$tmp" >"$tmp/bootstrap"
chmod +x "$tmp/bin/pkg-config" "$tmp/bootstrap"
for target in run check; do
    rm -f "$tmp/installed"
    out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL PATH="$tmp/bin:$PATH" \
        make -n --no-print-directory BUILD="$tmp/build" \
        BOOTSTRAP="$tmp/bootstrap" "$target" 2>&1)
    if [ -e "$tmp/installed" ] && echo "$out" | grep -q -- "-c src/core/table.c" &&
        echo "$out" | grep -- "-c src/core/table.c" | grep -q -- "$want"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL make $target: the compile commands lack '$want' (flags read before bootstrap)"
    fi
done
echo "firstrun: $pass passed, $fail failed"
[ "$fail" = 0 ]
