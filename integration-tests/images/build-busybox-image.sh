#!/usr/bin/env bash
# Builds a small multi-layer OCI image from Debian's busybox-static with umoci: a busybox shell that runc can run.
#   integration-tests/images/build-busybox-image.sh OCI_DIR [TAG]      (TAG defaults to "latest")
# Needs root (device nodes, file capabilities, ownership), umoci, busybox-static, setcap (libcap2-bin), GNU tar.
# Shared by the imagehash tests, the container gate's end-to-end tests and the README demo: keep it generic.
#
# Layers (each one exercises a part of the canonical rootfs digest, docs/rootfs-digest.md):
#   1. base, written by `umoci repack`: /bin/busybox with applet symlinks, a hard link, a setuid copy, a file
#      with a security.capability xattr, a FIFO, a character device, owners other than root, the mount points
#      runc expects (/proc /sys /dev /etc /run /tmp) and a sticky /tmp.
#   2. changes, written by `umoci repack`: a deleted file and a deleted directory (whiteouts), a rewritten file,
#      a changed mode, a file that replaces one side of a hard link.
#   3. a hand-made layer added with `umoci raw add-layer`: an opaque directory (.wh..wh..opq), a whiteout of a
#      file that does not exist, and directories that only exist implicitly (no tar entry of their own).
set -euo pipefail
oci=${1:?usage: build-busybox-image.sh OCI_DIR [TAG]}
tag=${2:-latest}
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "build-busybox-image: $busybox not found (apt-get install busybox-static)" >&2; exit 2; }
for tool in umoci setcap tar; do
    command -v "$tool" >/dev/null || { echo "build-busybox-image: $tool not found" >&2; exit 2; }
done
# umoci creates implied directories with mode 0777 & ~umask: the digest specification assumes 0755
umask 022
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -f "$oci/index.json" ] || umoci init --layout "$oci"
umoci new --image "$oci:$tag"

# --- layer 1: the base system ---
umoci unpack --image "$oci:$tag" "$work/b"
r="$work/b/rootfs"
mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,home/app,var/log,usr/bin,opt/data/sub,srv/old}
chmod 1777 "$r/tmp"
chmod 0700 "$r/root"
chmod 0555 "$r/proc" "$r/sys"
cp "$busybox" "$r/bin/busybox"
chmod 0755 "$r/bin/busybox"
for applet in sh ash ls cat echo env id mkdir rm sleep true false ps mount umount grep sed awk vi wc head tail; do
    ln -s busybox "$r/bin/$applet"
done
ln -s ../bin/busybox "$r/sbin/init"
ln "$r/bin/busybox" "$r/usr/bin/busybox"            # hard link: same inode as /bin/busybox
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' > "$r/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' > "$r/etc/group"
printf 'carapace test image\n' > "$r/etc/motd"
printf 'hostname=carapace\n' > "$r/etc/config"
printf '#!/bin/sh\necho ping\n' > "$r/usr/bin/ping"
chmod 0755 "$r/usr/bin/ping"
setcap cap_net_raw+ep "$r/usr/bin/ping"              # security.capability
printf '#!/bin/sh\nid\n' > "$r/usr/bin/whoami-root"
chmod 4755 "$r/usr/bin/whoami-root"                  # setuid
chown 1000:1000 "$r/home/app"
printf 'app data\n' > "$r/home/app/notes"
chown 1000:1000 "$r/home/app/notes"
chmod 0640 "$r/home/app/notes"
mkfifo "$r/run/fifo"
mknod -m 0666 "$r/dev/null" c 1 3
printf 'a\n' > "$r/opt/data/a"
printf 'b\n' > "$r/opt/data/sub/b"
printf 'old\n' > "$r/srv/old/file"
printf 'shared\n' > "$r/opt/shared"
ln "$r/opt/shared" "$r/opt/shared-link"
umoci repack --image "$oci:$tag" "$work/b"
rm -rf "$work/b"

# --- layer 2: deletions (whiteouts), rewrites, mode change, a broken hard link ---
umoci unpack --image "$oci:$tag" "$work/b"
r="$work/b/rootfs"
rm "$r/etc/motd"
rm -r "$r/srv/old"
printf 'hostname=carapace-2\n' > "$r/etc/config"
chmod 0600 "$r/etc/config"
rm "$r/opt/shared-link"
printf 'replaced\n' > "$r/opt/shared-link"          # no longer the same inode as /opt/shared
umoci repack --image "$oci:$tag" "$work/b"
rm -rf "$work/b"

# --- layer 3: opaque directory, whiteout of a missing file, implied directories ---
l="$work/l3"
mkdir -p "$l/opt/data" "$l/implied/dir" "$l/etc"
: > "$l/opt/data/.wh..wh..opq"
printf 'c\n' > "$l/opt/data/c"
: > "$l/etc/.wh.does-not-exist"
printf 'implied\n' > "$l/implied/dir/file"
chmod 0644 "$l/opt/data/c" "$l/implied/dir/file"
# an explicit file list without the parent directories: implied/ and implied/dir/ get no entry of their own
(cd "$l" && tar --numeric-owner --owner=0 --group=0 --mtime=@0 --no-recursion -cf "$work/layer3.tar" \
    opt/data/.wh..wh..opq opt/data/c etc/.wh.does-not-exist implied/dir/file)
umoci raw add-layer --image "$oci:$tag" "$work/layer3.tar"

umoci config --image "$oci:$tag" --config.cmd /bin/sh --config.workingdir / --config.env PATH=/bin:/sbin:/usr/bin \
    --author carapace
umoci gc --layout "$oci"
echo "built $oci:$tag"
