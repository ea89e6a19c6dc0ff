#!/usr/bin/env bash
# Prepares the images the imagehash benchmark hashes: the busybox test image (integration-tests/images), unpacked as
# a runtime bundle, for the gate's warm check; and a Debian minbase (debootstrap --variant=minbase, the suite and
# mirror of this machine's apt configuration: no mirror address is kept in the tree), turned into an OCI layout
# with umoci and unpacked again with umoci, the way a device stores it. Cached under bench/.cache (gitignored);
# prints the cache directory. Needs root, debootstrap and umoci.
#   bench/imagehash-prepare.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
busybox="$here/.cache/busybox"
if [ ! -f "$busybox/ready" ]; then
    rm -rf "$busybox" && mkdir -p "$busybox"
    (cd "$busybox" && "$here/../integration-tests/images/build-busybox-image.sh" oci bench >/dev/null \
        && umask 022 && umoci unpack --image oci:bench bundle >/dev/null && touch ready)
fi
cache="$here/.cache/debian-minbase"
if [ -f "$cache/ready" ]; then
    echo "$cache"
    exit 0
fi
. /etc/os-release
suite=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
# the mirror this machine's apt uses for its own suite: deb822 .sources first, then one-line .list files
mirror=$(awk -v suite="$suite" '
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite && uri != "") { print uri; exit } }
    /^$/ { uri = "" }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
if [ -z "$mirror" ]; then
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v suite="$suite" '
        $1 == "deb" { n = 2; if ($2 ~ /^\[/) { while (n <= NF && $n !~ /\]$/) n++; n++ }
                      if ($(n + 1) == suite) { print $n; exit } }')
fi
[ -n "$mirror" ] || { echo "imagehash-prepare: no apt source for $suite found" >&2; exit 2; }
rm -rf "$cache"
mkdir -p "$cache"
echo "imagehash-prepare: debootstrap --variant=minbase $suite (mirror from apt configuration) ..." >&2
debootstrap --variant=minbase "$suite" "$cache/debootstrap" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 2
}
umask 022
umoci init --layout "$cache/oci"
umoci new --image "$cache/oci:minbase"
umoci unpack --image "$cache/oci:minbase" "$cache/build" >/dev/null
cp -a "$cache/debootstrap/." "$cache/build/rootfs/"
umoci repack --image "$cache/oci:minbase" "$cache/build"
rm -rf "$cache/build" "$cache/debootstrap"
umoci unpack --image "$cache/oci:minbase" "$cache/bundle" >/dev/null
touch "$cache/ready"
echo "$cache"
