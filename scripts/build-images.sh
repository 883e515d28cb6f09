#!/usr/bin/env bash
# Builds Aloft's local base images (no registry is reachable here, so nothing is pulled):
#   aloft/busybox:1  FROM scratch + Debian's static busybox and its applet links
#   aloft/node:20    aloft/busybox plus this machine's node binary and the shared libraries it needs
# Idempotent: each image carries a label with the hash of its inputs and is rebuilt only when
# that hash changes.
set -euo pipefail

say() { printf 'images: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
command -v docker >/dev/null || die "docker CLI missing: run scripts/services.sh first"
docker version >/dev/null 2>&1 || die "no Docker Engine answers: run scripts/services.sh first"

BUSYBOX=$(command -v busybox || echo /bin/busybox)
[ -x "$BUSYBOX" ] || die "busybox missing: apt-get install busybox-static"
NODE=$(readlink -f "$(command -v node)")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# build NAME CONTEXT_DIR: skips when an image NAME with the same input hash exists.
build() {
  local name=$1 ctx=$2 hash have
  hash=$(cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  have=$(docker image inspect "$name" --format '{{index .Config.Labels "io.aloft.inputs"}}' 2>/dev/null || true)
  if [ "$have" = "$hash" ]; then say "$name is up to date"; return; fi
  say "building $name"
  echo "LABEL io.aloft.inputs=$hash" >>"$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$name" "$ctx" >/dev/null 2>"$WORK/build.log" ||
    { cat "$WORK/build.log" >&2; die "docker build of $name failed"; }
}

# --- aloft/busybox:1 ---
mkdir -p "$WORK/busybox/rootfs/bin" "$WORK/busybox/rootfs/tmp" "$WORK/busybox/rootfs/etc"
cp "$BUSYBOX" "$WORK/busybox/rootfs/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$WORK/busybox/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$WORK/busybox/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$WORK/busybox/rootfs/etc/group"
cat >"$WORK/busybox/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
CMD ["/bin/sh"]
DOCKERFILE
build aloft/busybox:1 "$WORK/busybox"

# --- aloft/node:20 ---
mkdir -p "$WORK/node/rootfs/usr/bin"
cp "$NODE" "$WORK/node/rootfs/usr/bin/node"
for lib in $(ldd "$NODE" | grep -oE '/[^ ]+\.so[^ ]*'); do
  mkdir -p "$WORK/node/rootfs$(dirname "$lib")"
  cp -L "$lib" "$WORK/node/rootfs$lib"
done
cat >"$WORK/node/Dockerfile" <<'DOCKERFILE'
FROM aloft/busybox:1
COPY rootfs/ /
ENV PATH=/usr/bin:/bin
CMD ["/usr/bin/node"]
DOCKERFILE
build aloft/node:20 "$WORK/node"
say "ready: aloft/busybox:1 aloft/node:20"
