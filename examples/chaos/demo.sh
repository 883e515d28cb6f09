#!/usr/bin/env bash
# Entropy's DockerCon demo, on Aloft: a "PingGoogle" service pings (here: the Docker bridge
# gateway, as this machine has no internet), and a policy created with Entropy's exact flags
# adds latency to it at random. Watch the round-trip times jump and fall back.
#   bash examples/chaos/demo.sh        (as root, Docker running, `npm run build` done)
# It starts its own engine on a free port and removes everything it made on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ALOFT="node bin/aloft.js"
PORT=${PORT:-24760}
STATE=$(mktemp -d)
cleanup() {
  [ -n "${ENGINE:-}" ] && kill -TERM "$ENGINE" 2>/dev/null && wait "$ENGINE" 2>/dev/null || true
  docker rm -f aloft-chaos-demo-pinger >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
trap cleanup EXIT

$ALOFT chaos serve --port "$PORT" --state-dir "$STATE" --seed 2016 &
ENGINE=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/_ping" >/dev/null 2>&1 && break; sleep 0.3; done

docker run -d --name aloft-chaos-demo-pinger --label io.aloft.chaos=demo --label service=PingGoogle \
  aloft/busybox:1 sh -c 'while true; do ping -c 1 -W 2 172.17.0.1 | grep -o "time=.*"; sleep 0.5; done' >/dev/null

export ALOFT_CHAOS_URL="http://127.0.0.1:$PORT"
$ALOFT chaos create --frequency 3 --probability .50 --failure latency:300ms --image allingeek/gremlins --criteria service=PingGoogle --name demo
$ALOFT chaos ls
echo "--- pings (30 s): latency comes and goes as the policy rolls every 3 s ---"
timeout 30 docker logs -f aloft-chaos-demo-pinger 2>&1 | tail -n +1 || true
$ALOFT chaos lsi
$ALOFT chaos rm demo
echo "--- after rm: back to normal ---"
sleep 2
docker logs --tail 3 aloft-chaos-demo-pinger
