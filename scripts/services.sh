#!/usr/bin/env bash
# Installs (Debian packages, as root) and starts what Aloft's tests, benchmarks and examples
# need: the Docker Engine and Mosquitto, plus zstd, xdelta3 and bsdiff as benchmark baselines.
# Idempotent: a service that already answers is left alone, and we never stop a process we did
# not start. Elsewhere than Debian-as-root it says what is missing and exits non-zero.
set -euo pipefail

STATE=${ALOFT_STATE_DIR:-/var/tmp/aloft}
MQTT_PORT=${ALOFT_MOSQUITTO_PORT:-18830}
DOCKER_SOCK=${ALOFT_DOCKER_SOCKET:-/var/run/docker.sock}
mkdir -p "$STATE"

say() { printf 'services: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Each area lists what it needs in scripts/packages/*.txt as "command package" pairs.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
missing=()
while read -r cmd pkg; do
  case "$cmd" in ''|'#'*) continue ;; esac
  command -v "$cmd" >/dev/null 2>&1 || [ -e "$cmd" ] || missing+=("$pkg")
done < <(cat "$HERE"/packages/*.txt)
[ -x /bin/busybox ] || command -v busybox >/dev/null 2>&1 || missing+=(busybox-static)
# busybox must be the static build: it goes into a FROM-scratch image.
if command -v busybox >/dev/null 2>&1 && ldd "$(command -v busybox)" >/dev/null 2>&1; then missing+=(busybox-static); fi
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >"$STATE/apt.log" 2>&1 || die "apt-get update failed: see $STATE/apt.log"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$STATE/apt.log" 2>&1 ||
      die "apt-get install ${missing[*]} failed: see $STATE/apt.log"
  else
    die "missing Debian packages: ${missing[*]} (run this script as root on Debian, or install them yourself)"
  fi
fi

# --- Docker Engine -----------------------------------------------------------------------
docker_answers() { docker -H "unix://$DOCKER_SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if docker_answers; then
  say "docker engine already answers on $DOCKER_SOCK"
else
  [ "$(id -u)" = 0 ] || die "no Docker Engine answers on $DOCKER_SOCK and only root can start one"
  say "starting dockerd (log: $STATE/dockerd.log)"
  # No iptables here: this sandbox's network is closed, and the containers we run talk only to
  # the host over loopback-published ports or share a namespace we made.
  nohup dockerd --iptables=false --ip-masq=false --storage-driver=overlay2 \
    --host "unix://$DOCKER_SOCK" --pidfile "$STATE/dockerd.pid" >"$STATE/dockerd.log" 2>&1 &
  for _ in $(seq 1 120); do docker_answers && break; sleep 0.5; done
  docker_answers || die "dockerd did not answer within 60 s: see $STATE/dockerd.log"
fi

# --- Mosquitto (MQTT 5 and 3.1.1) --------------------------------------------------------
mqtt_answers() { mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -V mqttv5 -t aloft/ping -m ok -q 1 >/dev/null 2>&1; }
if mqtt_answers; then
  say "mosquitto already answers on 127.0.0.1:$MQTT_PORT"
else
  cat >"$STATE/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
max_packet_size 2000000
log_dest file $STATE/mosquitto.log
pid_file $STATE/mosquitto.pid
user $(id -un)
CONF
  say "starting mosquitto on 127.0.0.1:$MQTT_PORT (log: $STATE/mosquitto.log)"
  # `user` keeps mosquitto from dropping to its own account, which could not write its pid
  # file or log in our state folder.
  mosquitto -c "$STATE/mosquitto.conf" -d
  for _ in $(seq 1 40); do mqtt_answers && break; sleep 0.25; done
  mqtt_answers || die "mosquitto did not answer on 127.0.0.1:$MQTT_PORT: see $STATE/mosquitto.log"
fi
say "ready: docker $(docker -H "unix://$DOCKER_SOCK" version --format '{{.Server.Version}}'), mosquitto 127.0.0.1:$MQTT_PORT"
