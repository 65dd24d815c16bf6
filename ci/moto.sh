#!/usr/bin/env bash
# The AWS emulator for the kafka-finops integration tests: moto in server mode (PyPI, pinned in ci/requirements.txt).
#
#   bash ci/moto.sh start     install the venv if needed, start moto_server on 127.0.0.1, wait until it answers
#   bash ci/moto.sh stop      stop it by the PID in the pid file (TERM, bounded wait, then KILL)
#   bash ci/moto.sh status    exit 0 when it runs and answers
#   bash ci/moto.sh env       `export` lines for the tests: eval "$(bash ci/moto.sh env)"
#   bash ci/moto.sh reset     forget every bucket, object and seeded answer (POST /moto-api/reset)
#   bash ci/moto.sh venv      only make sure the venv exists; prints its path (also used by the benchmarks)
#
# Layout:
#   venv    ${KAFKA_FINOPS_CACHE:-~/.cache/kafka-finops}/venv-<sha of requirements.txt>   moto[server], duckdb, pyarrow
#   run dir ${KAFKA_FINOPS_MOTO_RUN:-/tmp/kafka-finops-moto}   moto.pid, moto.log
#
# Binds 127.0.0.1 only. Every wait is bounded; the process is only signalled by the PID this script recorded,
# after checking (/proc/PID/cmdline) that it still is our moto_server.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REQUIREMENTS=$SCRIPT_DIR/requirements.txt
CACHE_ROOT=${KAFKA_FINOPS_CACHE:-$HOME/.cache/kafka-finops}
VENV=$CACHE_ROOT/venv-$(sha256sum "$REQUIREMENTS" | cut -c1-12)
RUN=${KAFKA_FINOPS_MOTO_RUN:-/tmp/kafka-finops-moto}
HOST=127.0.0.1
PORT=${KAFKA_FINOPS_MOTO_PORT:-15000}
READY_TIMEOUT=30
STOP_TIMEOUT=10

log() { echo "moto.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

ensure_venv() {
  if [ -x "$VENV/bin/moto_server" ] && [ -f "$VENV/.complete" ]; then return; fi
  log "creating $VENV from $REQUIREMENTS"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  touch "$VENV/.complete"
}

pid_file() { echo "$RUN/moto.pid"; }
moto_pid() { # prints the PID of our moto_server and returns 0 if it runs
  local pid
  pid=$(cat "$(pid_file)" 2>/dev/null) || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "moto_server.*-p *$PORT" || return 1
  echo "$pid"
}
answers() { curl -fsS -m 2 "http://$HOST:$PORT/moto-api/" >/dev/null 2>&1; }

cmd_start() {
  ensure_venv
  if moto_pid >/dev/null && answers; then
    log "already running on $HOST:$PORT"
    return
  fi
  if timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT" 2>/dev/null; then
    die "port $HOST:$PORT is already in use by another process"
  fi
  mkdir -p "$RUN"
  # 8>&- 9>&-: the server must not hold on to the caller's lock files. ci/moto_server.py is moto's own server with
  # MSK's creationTime written as AWS writes it (UTC, with a Z; see the file).
  nohup "$VENV/bin/python" "$SCRIPT_DIR/moto_server.py" -H "$HOST" -p "$PORT" </dev/null >>"$RUN/moto.log" 2>&1 8>&- 9>&- &
  echo $! >"$(pid_file)"
  local deadline=$((SECONDS + READY_TIMEOUT))
  until answers; do
    if ! moto_pid >/dev/null; then
      tail -20 "$RUN/moto.log" >&2 || true
      die "moto_server exited during start-up"
    fi
    ((SECONDS < deadline)) || die "moto_server did not answer within ${READY_TIMEOUT}s"
    sleep 0.2
  done
  log "moto $("$VENV/bin/pip" show moto 2>/dev/null | sed -n 's/^Version: //p') ready on http://$HOST:$PORT (pid $(moto_pid))"
}

cmd_stop() {
  local pid
  if ! pid=$(moto_pid); then
    rm -f "$(pid_file)"
    return
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$(pid_file)"
  log "stopped"
}

cmd_status() {
  if moto_pid >/dev/null && answers; then
    echo "moto: running on http://$HOST:$PORT (pid $(moto_pid))"
  else
    echo "moto: not running"
    return 1
  fi
}

cmd_env() {
  # Dummy credentials: moto accepts any; they keep the SDK's default chain from looking any further.
  cat <<ENV
export KAFKA_FINOPS_AWS_ENDPOINT=http://$HOST:$PORT
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export KAFKA_FINOPS_MOTO_SERVER=$VENV/bin/moto_server
export KAFKA_FINOPS_PYTHON=$VENV/bin/python
ENV
}

cmd_reset() { curl -fsS -m 5 -X POST "http://$HOST:$PORT/moto-api/reset" >/dev/null; }

main() {
  case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    reset) cmd_reset ;;
    venv)
      ensure_venv
      echo "$VENV"
      ;;
    *)
      echo "usage: bash ci/moto.sh start|stop|status|env|reset|venv" >&2
      exit 2
      ;;
  esac
}
main "$@"
