#!/usr/bin/env bash
# Packaging test: `make install` into a scratch prefix (and a DESTDIR staging), check the
# layout, then build the out-of-tree consumer in consumer/ four ways -- pkg-config (shared),
# pkg-config --static, CMake Tessera::tessera, CMake Tessera::tessera_static -- run each, and
# check with readelf that only the shared builds need libtessera.so.<major>.
# Usage: tests/packaging/run.sh <scratch dir>
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:?usage: run.sh <scratch dir>}
CC=${CC:-cc}
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
prefix=$work/prefix
failures=0
passes=0

ok()   { passes=$((passes + 1)); echo "ok: $*"; }
fail() { failures=$((failures + 1)); echo "FAIL: $*" >&2; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

# Called from ctest, itself often run by make: give the inner make a clean slate.
submake() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -C "$root" "$@"; }

version=$(submake print-version)
major=${version%%.*}
echo "== make install PREFIX=$prefix (version $version)"
submake install PREFIX="$prefix" > "$work/install.log" 2>&1 || { cat "$work/install.log"; fail "make install"; exit 1; }

lib=$prefix/lib
check "header installed"            test -f "$prefix/include/tessera.h"
check "libtessera.so.$version"      test -f "$lib/libtessera.so.$version" -a ! -L "$lib/libtessera.so.$version"
check "libtessera.so.$major link"   test "$(readlink "$lib/libtessera.so.$major")" = "libtessera.so.$version"
check "libtessera.so link"          test "$(readlink "$lib/libtessera.so")" = "libtessera.so.$major"
check "libtessera.a"                test -f "$lib/libtessera.a"
check "tessera.pc"                  test -f "$lib/pkgconfig/tessera.pc"
check "TesseraConfig.cmake"         test -f "$lib/cmake/Tessera/TesseraConfig.cmake"
check "TesseraConfigVersion.cmake"  test -f "$lib/cmake/Tessera/TesseraConfigVersion.cmake"
check "SONAME libtessera.so.$major" grep -q "Library soname: \[libtessera.so.$major\]" <(readelf -d "$lib/libtessera.so.$version")
check "installed .so exports only tsr_*" "$root/tools/check-symbols" "$lib/libtessera.so.$version"

echo "== make install DESTDIR=$work/stage PREFIX=/opt/tessera"
submake install DESTDIR="$work/stage" PREFIX=/opt/tessera > "$work/install-destdir.log" 2>&1 \
    || { cat "$work/install-destdir.log"; fail "make install DESTDIR"; }
check "DESTDIR: library staged"     test -f "$work/stage/opt/tessera/lib/libtessera.so.$version"
check "DESTDIR: .pc has final prefix" grep -qx "prefix=/opt/tessera" "$work/stage/opt/tessera/lib/pkgconfig/tessera.pc"

needs_libtessera() { readelf -d "$1" | grep -q "NEEDED.*\[libtessera.so.$major\]"; }
no_libtessera()    { ! readelf -d "$1" | grep -q "libtessera"; }
runs()             { "$@" > "$work/run.log" 2>&1 || { cat "$work/run.log" >&2; return 1; }; }

export PKG_CONFIG_PATH=$lib/pkgconfig
check "pkg-config --modversion" test "$(pkg-config --modversion tessera)" = "$version"
cflags=$(pkg-config --cflags tessera)
cwarn=(-std=c99 -Wall -Wextra -Wpedantic -Werror)

echo "== pkg-config, shared"
# shellcheck disable=SC2046,SC2086
if $CC "${cwarn[@]}" $cflags "$here/consumer/main.c" -o "$work/pc-shared" $(pkg-config --libs tessera) -lm; then
    check "pkg-config shared: NEEDED libtessera.so.$major" needs_libtessera "$work/pc-shared"
    check "pkg-config shared: runs with LD_LIBRARY_PATH" runs env LD_LIBRARY_PATH="$lib" "$work/pc-shared"
    check "pkg-config shared: not found without it" bash -c "! env -u LD_LIBRARY_PATH '$work/pc-shared' >/dev/null 2>&1"
else
    fail "pkg-config shared: build"
fi

echo "== pkg-config --static"
# With both libtessera.so and libtessera.a in libdir, -ltessera picks the .so: ask for the
# archive by name (GNU ld's -l:file), and add Libs.private from --static.
static_libs=$(pkg-config --static --libs tessera)
static_libs=${static_libs/-ltessera/-l:libtessera.a}
# shellcheck disable=SC2086
if $CC "${cwarn[@]}" $cflags "$here/consumer/main.c" -o "$work/pc-static" $static_libs; then
    check "pkg-config static: no libtessera NEEDED" no_libtessera "$work/pc-static"
    check "pkg-config static: runs" runs env -u LD_LIBRARY_PATH "$work/pc-static"
else
    fail "pkg-config static: build"
fi

for link in shared static; do
    echo "== CMake find_package(Tessera), $link"
    b=$work/cmake-$link
    if cmake -S "$here/consumer" -B "$b" -DCMAKE_PREFIX_PATH="$prefix" -DTESSERA_LINK=$link > "$work/cmake-$link.log" 2>&1 \
        && cmake --build "$b" >> "$work/cmake-$link.log" 2>&1; then
        if [ $link = shared ]; then
            check "CMake Tessera::tessera: NEEDED libtessera.so.$major" needs_libtessera "$b/consumer"
        else
            check "CMake Tessera::tessera_static: no libtessera NEEDED" no_libtessera "$b/consumer"
        fi
        check "CMake $link: runs" runs env -u LD_LIBRARY_PATH "$b/consumer"
    else
        cat "$work/cmake-$link.log" >&2
        fail "CMake $link: configure/build"
    fi
done

echo "== CMake version checks"
check "find_package(Tessera $version) accepted" \
    bash -c "cmake -S '$here/consumer' -B '$work/cmake-v-ok' -DCMAKE_PREFIX_PATH='$prefix' -DTESSERA_REQUIRE_VERSION=$version >/dev/null 2>&1"
check "find_package(Tessera $((major + 1)).0) is refused" \
    bash -c "! cmake -S '$here/consumer' -B '$work/cmake-v-major' -DCMAKE_PREFIX_PATH='$prefix' -DTESSERA_REQUIRE_VERSION=$((major + 1)).0 >/dev/null 2>&1"
check "find_package(Tessera $major.999) is refused" \
    bash -c "! cmake -S '$here/consumer' -B '$work/cmake-v-newer' -DCMAKE_PREFIX_PATH='$prefix' -DTESSERA_REQUIRE_VERSION=$major.999 >/dev/null 2>&1"

echo "packaging: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
