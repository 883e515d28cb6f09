#!/usr/bin/env bash
# Builds aloft/chaos-injector:1, the sidecar that runs the userspace network-fault path
# (NFQUEUE) in a target's network namespace: FROM aloft/busybox:1 plus the helper compiled here
# with gcc against Debian's libnetfilter-queue, and the shared libraries it links.
# Idempotent: the image carries a hash of its inputs and is rebuilt only when they change.
# Needs: gcc, libnetfilter-queue-dev (scripts/packages/chaos.txt), aloft/busybox:1.
set -euo pipefail
NAME=${1:-aloft/chaos-injector:1}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf 'chaos-injector: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
command -v gcc >/dev/null || die "gcc missing: apt-get install gcc"
[ -e /usr/include/libnetfilter_queue/libnetfilter_queue.h ] ||
  die "libnetfilter_queue.h missing: apt-get install libnetfilter-queue-dev"
docker image inspect aloft/busybox:1 >/dev/null 2>&1 || die "aloft/busybox:1 missing: run scripts/build-images.sh"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/rootfs/usr/bin"
gcc -O2 -Wall -o "$WORK/rootfs/usr/bin/aloft-chaos-injector" "$HERE/aloft-chaos-injector.c" -lnetfilter_queue
for lib in $(ldd "$WORK/rootfs/usr/bin/aloft-chaos-injector" | grep -oE '/[^ ]+\.so[^ ]*'); do
  mkdir -p "$WORK/rootfs$(dirname "$lib")"
  cp -L "$lib" "$WORK/rootfs$lib"
done
hash=$(cd "$WORK" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
have=$(docker image inspect "$NAME" --format '{{index .Config.Labels "io.aloft.inputs"}}' 2>/dev/null || true)
if [ "$have" = "$hash" ]; then say "$NAME is up to date"; exit 0; fi
cat >"$WORK/Dockerfile" <<DOCKERFILE
FROM aloft/busybox:1
COPY rootfs/ /
ENV PATH=/usr/bin:/bin
LABEL io.aloft.chaos=injector-image io.aloft.inputs=$hash
ENTRYPOINT ["/usr/bin/aloft-chaos-injector"]
DOCKERFILE
say "building $NAME"
DOCKER_BUILDKIT=0 docker build -q -t "$NAME" "$WORK" >/dev/null 2>"$WORK/build.log" ||
  { cat "$WORK/build.log" >&2; die "docker build of $NAME failed"; }
say "ready: $NAME"
