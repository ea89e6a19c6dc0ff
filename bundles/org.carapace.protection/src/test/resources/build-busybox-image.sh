#!/bin/sh
# Builds the small OCI image the protection tests run: busybox-static with its applets, a second copy of busybox
# (/bin/busybox2, the "image binary" the tests modify), the static test helper ctprobe, and a few files the rules
# name. Usage: build-busybox-image.sh LAYOUT_DIR CTPROBE_BINARY   (writes LAYOUT_DIR:busybox)
# Interim: integration-tests/images/build-busybox-image.sh (another branch) is to replace it.
set -eu
layout=$1
ctprobe=$2
busybox=$(command -v busybox)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rm -rf "$layout"
umoci init --layout "$layout"
umoci new --image "$layout:busybox"
umoci unpack --image "$layout:busybox" "$work/bundle" >/dev/null
root=$work/bundle/rootfs
mkdir -p "$root/bin" "$root/usr/bin" "$root/etc" "$root/tmp" "$root/var/tmp" "$root/run" "$root/proc" "$root/sys" "$root/dev"
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$busybox" "$root/bin/busybox"
cp "$busybox" "$root/bin/busybox2"
for applet in sh echo cat cp ls rm mv sleep true test printf truncate ln mkdir touch wc head chmod; do
    ln -s busybox "$root/bin/$applet"
done
cp "$ctprobe" "$root/usr/bin/ctprobe"
printf 'top secret\n' > "$root/etc/secret"
printf 'original\n' > "$root/etc/protected.conf"
umoci repack --image "$layout:busybox" "$work/bundle" >/dev/null
umoci config --image "$layout:busybox" --config.cmd /bin/sh >/dev/null
