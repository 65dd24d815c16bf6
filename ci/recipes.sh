#!/usr/bin/env bash
# Validates every deployment recipe under deploy/ with a real tool, tries what can be run here, and shows each
# validator rejecting a deliberately broken copy (so a validator that silently accepts everything is caught too).
#
#   bash ci/recipes.sh        install the validators if missing (cached), check every recipe; exit 1 on any failure
#
# What checks what:
#   cron            shellcheck (the wrapper); the crontab line itself, run with sh twice at once: flock lets one
#                   through; the wrapper's output for exit 0, 1, 2 (a stand-in binary) and on the real demo config;
#                   logrotate -d, then a forced rotation on a copy pointed at a temporary folder
#   systemd         systemd-analyze verify (any warning fails: unknown keys are only warnings there),
#                   systemd-analyze security --offline (exposure at most 2.0), the ExecStopPost= warning on exit 1
#   kubernetes      kubernetes-validate --strict (schemas of 1.31 and 1.37: unknown or mistyped fields fail), the
#                   recipe's must-haves (Forbid, read-only root, non-root, PVC, IRSA), and `kafka-finops validate` on
#                   the ConfigMap's config and catalog
#   github-actions  actionlint (with shellcheck on the run: scripts), then the "Run kafka-finops" step's script run
#                   with bash against a stand-in for exit 0, 1 and 2
#   container       hadolint (pinned, from PyPI) and the recipe's must-haves (multi-stage, --locked, numeric USER)
# Installs, each once, into ${KAFKA_FINOPS_CACHE:-~/.cache/kafka-finops} unless noted:
#   Debian packages when missing and root (shellcheck, logrotate, systemd for systemd-analyze, python3-venv);
#   venv-recipes-<hash>: ci/recipes-requirements.txt (PyPI); actionlint-<version>/: `go install` from the Go module
#   proxy (needs a recent Go on PATH or in /usr/local/go, 1.26 here; Go's module and build caches go to go-mod/, go-build/).
# The real binary (KAFKA_FINOPS_BIN, else target/release or target/debug) is used when present; never built here.
# The awk and sh -c programs below are single-quoted on purpose: their $1... are theirs, not this script's.
# shellcheck disable=SC2016
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEPLOY=$ROOT/deploy
CACHE_ROOT=${KAFKA_FINOPS_CACHE:-$HOME/.cache/kafka-finops}
REQUIREMENTS=$ROOT/ci/recipes-requirements.txt
VENV=$CACHE_ROOT/venv-recipes-$(sha256sum "$REQUIREMENTS" | cut -c1-12)
ACTIONLINT_VERSION=v1.7.12
ACTIONLINT=$CACHE_ROOT/actionlint-$ACTIONLINT_VERSION/actionlint

log() { echo "recipes.sh: $*" >&2; }
die() { log "error: $*"; exit 2; }

# --- validators ---------------------------------------------------------------------------------------------------

NEEDS=(
  "shellcheck|shellcheck|lints the cron wrapper; actionlint runs it on the workflow's run: scripts"
  "logrotate|logrotate|checks and tries the cron recipe's logrotate file"
  "systemd-analyze|systemd|verifies the systemd service and timer"
  "flock|util-linux|the cron recipe's lock"
  "py:ensurepip|python3-venv|makes the validators' venv (kubernetes-validate, hadolint)"
)
install_system_packages() {
  local need check pkg why missing=()
  for need in "${NEEDS[@]}"; do
    IFS='|' read -r check pkg why <<<"$need"
    case $check in
      py:*) python3 -c "import ${check#py:}" 2>/dev/null && continue ;;
      *) command -v "$check" >/dev/null && continue ;;
    esac
    log "missing: $pkg ($check): $why"
    missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return
  if [ "$(id -u)" != 0 ] || [ "${KAFKA_FINOPS_NO_INSTALL:-0}" = 1 ]; then
    die "not installing (not root, or KAFKA_FINOPS_NO_INSTALL=1); as root run: apt-get update && apt-get install -y ${missing[*]}"
  fi
  log "installing from Debian's packages: ${missing[*]}"
  timeout 300 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
  if [ -f "$VENV/.complete" ]; then return; fi
  log "creating $VENV from $REQUIREMENTS"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  timeout 600 "$VENV/bin/pip" install --quiet --disable-pip-version-check --timeout 60 -r "$REQUIREMENTS"
  touch "$VENV/.complete"
}

ensure_actionlint() {
  if [ -x "$ACTIONLINT" ]; then return; fi
  local go
  go=$(command -v go || echo /usr/local/go/bin/go)
  [ -x "$go" ] || die "actionlint needs Go (1.26 here) to install it from the Go module proxy; none found"
  log "installing actionlint $ACTIONLINT_VERSION with $("$go" version | cut -d' ' -f3) (go install, niced)"
  # GOTOOLCHAIN=local: use this Go, never download another toolchain. -modcacherw: the cache can be rm -rf'd.
  GOBIN=$(dirname "$ACTIONLINT") GOMODCACHE=$CACHE_ROOT/go-mod GOCACHE=$CACHE_ROOT/go-build GOTOOLCHAIN=local \
    GOFLAGS=-modcacherw timeout 900 nice -n 10 "$go" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
}

# --- checking helpers ---------------------------------------------------------------------------------------------

FAILED=()
pass() { echo "PASS  $1"; }
fail() { echo "FAIL  $1"; FAILED+=("$1"); }
# accept NAME CMD...: CMD must exit 0 (its output is shown only when it does not).
accept() {
  local name=$1 out; shift
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name"; printf '%s\n' "$out" | sed 's/^/      /'; fi
}
# reject NAME PATTERN CMD...: the broken copy must fail, with PATTERN in the output (the reason, not any error).
reject() {
  local name=$1 pattern=$2 out rc=0; shift 2
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" != 0 ] && grep -qE -- "$pattern" <<<"$out"; then
    pass "$name (rejected, exit $rc: $(grep -m1 -E -- "$pattern" <<<"$out" | cut -c1-150))"
  else
    fail "$name (exit $rc, expected a failure matching '$pattern')"; printf '%s\n' "$out" | sed 's/^/      /'
  fi
}
# quiet_ok CMD...: exit 0 and print nothing at all (systemd-analyze verify only warns about unknown keys).
quiet_ok() { local out; out=$("$@" 2>&1) || { printf '%s\n' "$out"; return 1; }; [ -z "$out" ] || { printf '%s\n' "$out"; return 1; }; }

# break_copy SED_EXPR SRC DST: the deliberately broken copy; a change that matched nothing is itself a failure
# (the reject check after it would otherwise test the good file).
break_copy() { sed "$1" "$2" >"$3"; if cmp -s "$2" "$3"; then fail "broken copy: '$1' changed nothing in $2"; fi; }
# no_errors CMD...: exit 0 and no line starting with "error" (logrotate reports unknown options yet exits 0).
no_errors() { local out rc=0; out=$("$@" 2>&1) || rc=$?; printf '%s\n' "$out"; [ "$rc" = 0 ] && ! grep -q '^error' <<<"$out"; }

# A stand-in for kafka-finops: `run` sleeps STANDIN_SLEEP s, writes a run directory unless it exits 2, prints its path
# last and exits STANDIN_RC; every call is counted in STANDIN_CALLS.
make_standin() {
  cat >"$1" <<'EOF'
#!/bin/sh
echo call >>"${STANDIN_CALLS:-/dev/null}"
out=runs; while [ $# -gt 0 ]; do [ "$1" = --out ] && out=$2; shift; done
sleep "${STANDIN_SLEEP:-0}"
echo "stand-in: logging to stderr" >&2
rc=${STANDIN_RC:-0}
if [ "$rc" != 2 ]; then d=$out/20261130T023000.000Z; mkdir -p "$d" && echo '{}' >"$d/run.json" && echo "$d"; fi
exit "$rc"
EOF
  chmod +x "$1"
}

# --- the recipes --------------------------------------------------------------------------------------------------

check_cron() {
  local d=$WORK/cron line cmd
  mkdir -p "$d/log"
  accept "cron: shellcheck kafka-finops-nightly" shellcheck -s sh "$DEPLOY/cron/kafka-finops-nightly"
  # The crontab line: 5 time fields, the user, the command; the command is run below exactly as written, only with
  # the installed paths pointed at the work folder.
  line=$(grep -E '^[0-9*]' "$DEPLOY/cron/kafka-finops.cron")
  accept "cron: crontab line has 5 time fields, a user and a command" \
    awk '{ exit !($1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && $3$4$5 == "***" && $6 == "kafka-finops" && NF > 7) }' <<<"$line"
  cmd=$(cut -d' ' -f7- <<<"$line")
  cmd=${cmd//\/usr\/local\/bin\/kafka-finops-nightly/$DEPLOY\/cron\/kafka-finops-nightly}
  cmd=${cmd//\/run\/lock\/kafka-finops.lock/$d\/lock}
  export KAFKA_FINOPS_BIN=$STANDIN KAFKA_FINOPS_CONFIG=$d/none.toml KAFKA_FINOPS_OUT=$d/runs KAFKA_FINOPS_LOG=$d/log/nightly.log
  export STANDIN_CALLS=$d/calls

  local out0 out1 out2 rc1 rc2
  out0=$(STANDIN_RC=0 sh -c "$cmd" 2>&1)
  out1=$(STANDIN_RC=1 sh -c "$cmd" 2>&1)
  out2=$(STANDIN_RC=2 sh -c "$cmd" 2>&1)
  accept "cron: exit 0 prints nothing (cron mails nothing)" test -z "$out0"
  accept "cron: exit 1 prints one warning line" grep -q '^kafka-finops: WARNING: run written but partial (exit 1)' <<<"$out1"
  accept "cron: exit 2 prints an error and the log's tail" grep -q '^kafka-finops: ERROR: run failed (exit 2)' <<<"$out2"
  accept "cron: the log has every run's stderr and exit code" \
    test "$(grep -c 'stand-in: logging to stderr' "$KAFKA_FINOPS_LOG")" = 3 -a "$(grep -c '^=== .* exit [012]' "$KAFKA_FINOPS_LOG")" = 3
  rc1=0; STANDIN_RC=1 "$DEPLOY/cron/kafka-finops-nightly" >/dev/null || rc1=$?
  rc2=0; STANDIN_RC=2 "$DEPLOY/cron/kafka-finops-nightly" >/dev/null || rc2=$?
  accept "cron: the wrapper passes the exit code on (1 -> $rc1, 2 -> $rc2)" test "$rc1$rc2" = 12

  # Two at once: the first holds the lock for 3 s; the second must skip at once, say so, and not start the tool.
  : >"$STANDIN_CALLS"
  STANDIN_SLEEP=3 sh -c "$cmd" >"$d/first.out" 2>&1 &
  local first=$!
  # Wait (at most 5 s) until the first has started the tool, so holds the lock; probing the lock with flock
  # would race with it.
  for _ in $(seq 50); do [ -s "$STANDIN_CALLS" ] && break; sleep 0.1; done
  local t0=$SECONDS second took calls
  second=$(STANDIN_SLEEP=3 sh -c "$cmd" 2>&1)
  took=$((SECONDS - t0))
  wait "$first"
  calls=$(wc -l <"$STANDIN_CALLS")
  accept "cron: flock -n: a second run while one holds the lock is skipped at once ($took s) and reported" \
    sh -c 'echo "calls: $0, second run said: $1, first: $3"; test "$0" = 1 -a "$1" = "$2" -a -z "$3" -a "$4" -lt 2' \
    "$calls" "$second" "kafka-finops: skipped: the previous run still holds $d/lock" "$(cat "$d/first.out")" "$took"

  if [ -n "$BIN" ]; then
    KAFKA_FINOPS_BIN=$BIN KAFKA_FINOPS_CONFIG=$ROOT/fixtures/demo/kafka-finops.toml KAFKA_FINOPS_OUT=$d/real \
      sh -c "$cmd" >"$d/real.out" 2>&1 || true
    accept "cron: the real binary on the demo config: silent, a run directory with run.json" \
      sh -c "test ! -s '$d/real.out' && ls '$d'/real/*/run.json"
  fi

  # logrotate: the real file must parse; a copy pointed at the work folder, as this user, must rotate.
  # logrotate: a copy with the user kafka-finops (made at install, absent here: logrotate -d would stop at it) replaced
  # by this one and the log pointed at the work folder must parse, then really rotate.
  sed -e "s#/var/log/kafka-finops#$d/log#" -e "s/kafka-finops kafka-finops/$(id -un) $(id -gn)/" \
    "$DEPLOY/cron/kafka-finops.logrotate" >"$d/logrotate.conf"
  chmod 755 "$d/log"
  accept "cron: logrotate -d on kafka-finops.logrotate (user and folder swapped)" \
    no_errors logrotate -d -s "$d/logrotate.state" "$d/logrotate.conf"
  accept "cron: logrotate -f rotates the log (nightly.log.1 made, a new nightly.log created)" \
    sh -c "logrotate -f -s '$d/logrotate.state' '$d/logrotate.conf' && test -s '$d/log/nightly.log.1' -a -f '$d/log/nightly.log'"
  break_copy 's/^ *rotate 8/    rotat 8/' "$d/logrotate.conf" "$d/broken.logrotate"
  reject "cron: logrotate -d on a copy with 'rotat 8'" "unknown option 'rotat'" no_errors logrotate -d -s "$d/logrotate.state" "$d/broken.logrotate"
  unset KAFKA_FINOPS_BIN KAFKA_FINOPS_CONFIG KAFKA_FINOPS_OUT KAFKA_FINOPS_LOG STANDIN_CALLS
}

check_systemd() {
  local d=$WORK/systemd
  mkdir -p "$d"
  # verify checks that ExecStart's binary exists: point it at the stand-in. Nothing else is changed.
  sed "s#/usr/local/bin/kafka-finops#$STANDIN#" "$DEPLOY/systemd/kafka-finops.service" >"$d/kafka-finops.service"
  cp "$DEPLOY/systemd/kafka-finops.timer" "$d/"
  accept "systemd: systemd-analyze verify (service and timer, no warnings)" \
    quiet_ok systemd-analyze verify "$d/kafka-finops.service" "$d/kafka-finops.timer"
  accept "systemd: systemd-analyze security --offline=yes: exposure at most 2.0" \
    systemd-analyze security --offline=yes --threshold=20 "$d/kafka-finops.service"
  # The ExecStopPost= line as systemd runs it ($$ is a literal $; EXIT_STATUS is set by systemd): a warning on 1 only.
  local post out0 out1 out2
  post=$(sed -n 's/^ExecStopPost=//p' "$d/kafka-finops.service" | sed 's/\$\$/$/g')
  out0=$(EXIT_STATUS=0 sh -c "$post") out1=$(EXIT_STATUS=1 sh -c "$post") out2=$(EXIT_STATUS=2 sh -c "$post")
  accept "systemd: ExecStopPost logs a warning-priority line on exit 1, nothing on 0 and 2" \
    sh -c 'echo "exit 1 said: $1"; test -z "$0$2" && echo "$1" | grep -q "^<4>kafka-finops: run written but partial (exit 1)"' \
    "$out0" "$out1" "$out2"
  # Each broken copy in a folder of its own with its good partner: verify looks units up in the given files' folders.
  mkdir -p "$d/bad-timer" "$d/bad-service"
  cp "$d/kafka-finops.service" "$d/bad-timer/" && cp "$d/kafka-finops.timer" "$d/bad-service/"
  break_copy 's/^Persistent=/Persistant=/' "$d/kafka-finops.timer" "$d/bad-timer/kafka-finops.timer"
  break_copy 's/^ProtectSystem=strict/ProtectSystem=strickt/' "$d/kafka-finops.service" "$d/bad-service/kafka-finops.service"
  reject "systemd: verify on a timer copy with 'Persistant='" "Unknown key 'Persistant'" \
    quiet_ok systemd-analyze verify "$d/bad-timer/kafka-finops.service" "$d/bad-timer/kafka-finops.timer"
  reject "systemd: verify on a service copy with 'ProtectSystem=strickt'" "Failed to parse protect system value" \
    quiet_ok systemd-analyze verify "$d/bad-service/kafka-finops.service" "$d/bad-service/kafka-finops.timer"
}

check_kubernetes() {
  local d=$WORK/kubernetes m=$DEPLOY/kubernetes/kafka-finops.yaml k
  mkdir -p "$d"
  for k in 1.31.0 1.37.0; do
    accept "kubernetes: kubernetes-validate --strict -k $k" "$VENV/bin/kubernetes-validate" --strict --quiet -k "$k" "$m"
  done
  accept "kubernetes: Forbid, read-only root, non-root, PVC output, ConfigMap config, IRSA, limits, ttl" \
    "$VENV/bin/python" - "$m" <<'EOF'
import sys, yaml
docs = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
cj = docs["CronJob"]["spec"]; job = cj["jobTemplate"]["spec"]; pod = job["template"]["spec"]; c = pod["containers"][0]
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: vols[m["name"]] for m in c["volumeMounts"]}
checks = {
    "concurrencyPolicy Forbid": cj["concurrencyPolicy"] == "Forbid",
    "readOnlyRootFilesystem": c["securityContext"]["readOnlyRootFilesystem"] is True,
    "runAsNonRoot, uid not 0": pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0,
    "--out on the PVC": "persistentVolumeClaim" in mounts[c["args"][c["args"].index("--out") + 1].rsplit("/", 1)[0]],
    "--config from the ConfigMap": "configMap" in mounts[c["args"][c["args"].index("--config") + 1].rsplit("/", 1)[0]],
    "IRSA role on the ServiceAccount": docs["ServiceAccount"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
        and pod["serviceAccountName"] == docs["ServiceAccount"]["metadata"]["name"],
    "backoffLimit and ttl": "backoffLimit" in job and "ttlSecondsAfterFinished" in job,
    "requests and a memory limit": {"cpu", "memory"} <= set(c["resources"]["requests"]) and "memory" in c["resources"]["limits"],
}
bad = [k for k, ok in checks.items() if not ok]
sys.exit(f"missing: {bad}" if bad else 0)
EOF
  if [ -n "$BIN" ]; then
    # The ConfigMap's files as the pod sees them; only the Secret's mount path is pointed at a stand-in file.
    "$VENV/bin/python" - "$m" "$d" <<'EOF'
import sys, yaml
cm = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "ConfigMap")
for name, text in cm["data"].items():
    open(f"{sys.argv[2]}/{name}", "w").write(text.replace("/run/secrets/kafka/password", "password"))
open(f"{sys.argv[2]}/password", "w").write("stand-in\n")
EOF
    accept "kubernetes: kafka-finops validate on the ConfigMap's config and catalog" "$BIN" validate --config "$d/kafka-finops.toml"
  fi
  break_copy 's/concurrencyPolicy: Forbid/concurrencyPolicyy: Forbid/' "$m" "$d/broken-field.yaml"
  break_copy 's/runAsUser: 65532/runAsUser: "65532"/' "$m" "$d/broken-type.yaml"
  reject "kubernetes: a copy with 'concurrencyPolicyy'" "'concurrencyPolicyy' was unexpected" \
    "$VENV/bin/kubernetes-validate" --strict --quiet "$d/broken-field.yaml"
  reject "kubernetes: a copy with runAsUser: \"65532\" (a string)" "is not of type 'integer'" \
    "$VENV/bin/kubernetes-validate" --strict --quiet "$d/broken-type.yaml"
}

check_github_actions() {
  local d=$WORK/gha w=$DEPLOY/github-actions/kafka-finops-nightly.yml rc
  mkdir -p "$d"
  accept "github-actions: actionlint (shellcheck on run: scripts)" "$ACTIONLINT" -shellcheck "$(command -v shellcheck)" "$w"
  break_copy 's/^    runs-on:/    run-on:/' "$w" "$d/broken.yml"
  reject "github-actions: actionlint on a copy with 'run-on:'" 'unexpected key "run-on"' "$ACTIONLINT" "$d/broken.yml"
  # The run step's script, as the runner would run it (bash -eo pipefail), against the stand-in.
  "$VENV/bin/python" - "$w" >"$d/run-step.sh" <<'EOF'
import sys, yaml
steps = yaml.safe_load(open(sys.argv[1]))["jobs"]["run"]["steps"]
print(next(s["run"] for s in steps if s.get("name") == "Run kafka-finops"))
EOF
  for rc in 0 1 2; do
    mkdir -p "$d/$rc/target/release" && cp "$STANDIN" "$d/$rc/target/release/kafka-finops"
    : >"$d/$rc/output"
    (cd "$d/$rc" && STANDIN_RC=$rc KAFKA_FINOPS_CONFIG=x.toml GITHUB_OUTPUT=$d/$rc/output \
      bash --noprofile --norc -eo pipefail "$d/run-step.sh" >"$d/$rc/log" 2>&1) && echo 0 >"$d/$rc/rc" || echo $? >"$d/$rc/rc"
  done
  accept "github-actions: run step on exit 0: passes, run directory set for the upload" \
    test "$(cat "$d/0/rc")" = 0 -a "$(grep -c '^dir=runs/' "$d/0/output")" = 1
  accept "github-actions: run step on exit 1: passes with a ::warning, run directory still uploaded" \
    sh -c "test \"\$(cat '$d/1/rc')\" = 0 && grep -q '^::warning ' '$d/1/log' && grep -q '^dir=runs/' '$d/1/output'"
  accept "github-actions: run step on exit 2: fails (exit 2) with an ::error, no upload" \
    sh -c "test \"\$(cat '$d/2/rc')\" = 2 && grep -q '^::error ' '$d/2/log' && ! grep -q '^dir=' '$d/2/output'"
}

check_container() {
  local d=$WORK/container f=$DEPLOY/container/Containerfile
  mkdir -p "$d"
  accept "container: hadolint Containerfile" "$VENV/bin/hadolint" --no-color "$f"
  accept "container: multi-stage from rust:1.95, cargo build --release --locked, numeric non-root USER, ENTRYPOINT" \
    sh -c "grep -q '^FROM docker.io/library/rust:1.95-bookworm AS builder' '$f' && grep -q 'cargo build --release --locked' '$f' \
      && grep -q '^COPY --from=builder' '$f' && grep -Eq '^USER [1-9][0-9]*:[0-9]+$' '$f' && grep -q '^ENTRYPOINT \[' '$f'"
  break_copy 's/ --no-install-recommends//' "$f" "$d/broken-recommends"
  break_copy 's/^COPY --from=builder/COPPY --from=builder/' "$f" "$d/broken-syntax"
  reject "container: hadolint on a copy without --no-install-recommends" "DL3015" "$VENV/bin/hadolint" --no-color "$d/broken-recommends"
  reject "container: hadolint on a copy with 'COPPY'" "unexpected|COPPY" "$VENV/bin/hadolint" --no-color "$d/broken-syntax"
}

# --- main ---------------------------------------------------------------------------------------------------------

start=$SECONDS
install_system_packages
mkdir -p "$CACHE_ROOT"
ensure_venv
ensure_actionlint
log "validators ready after $((SECONDS - start)) s"

WORK=$(mktemp -d /tmp/kafka-finops-recipes.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
STANDIN=$WORK/kafka-finops-standin
make_standin "$STANDIN"
BIN=${KAFKA_FINOPS_BIN:-}
for b in "$ROOT/target/release/kafka-finops" "$ROOT/target/debug/kafka-finops"; do
  if [ -z "$BIN" ] && [ -x "$b" ]; then BIN=$b; fi
done
if [ -n "$BIN" ]; then log "real binary: $BIN"; else log "no built binary: the checks that run the real tool are skipped"; fi

check_cron
check_systemd
check_kubernetes
check_github_actions
check_container

log "done in $((SECONDS - start)) s"
if ((${#FAILED[@]})); then
  log "${#FAILED[@]} check(s) failed: ${FAILED[*]}"
  exit 1
fi
log "every recipe passed"
