#!/usr/bin/env bash
# A real Trino server for the kafka-finops integration tests (the Athena-style SQL over CUR / FOCUS files), from
# the official tarball on Maven Central: one coordinator that is also its own worker, one catalog `hive` (file
# metastore, local file system), bound to 127.0.0.1.
#
#   bash ci/trino.sh start              fetch if needed, write the configs, start the server, wait until it is ready
#   bash ci/trino.sh stop               stop it by the PID in the pid file (TERM, bounded wait, then KILL)
#   bash ci/trino.sh status             exit 0 only when it runs and answers (started, and its node is active)
#   bash ci/trino.sh env                `export` lines for the tests: eval "$(bash ci/trino.sh env)"
#   bash ci/trino.sh sql "STATEMENT" [CLI ARGS]   run statement(s) with the Trino CLI, CSV with a header on stdout
#                                       (non-zero exit on a failed query; "-" reads statements, each ending with
#                                       ";", from stdin; CLI ARGS such as --catalog=hive --schema=cur or
#                                       --output-format=JSON are passed on and replace the defaults)
#   bash ci/trino.sh fetch              only make sure the cache is complete; prints its path
#   bash ci/trino.sh reset              stop, then delete the run dir (metastore, managed tables, configs, logs)
#
# Layout:
#   cache   ${KAFKA_FINOPS_CACHE:-~/.cache/kafka-finops}/trino-<version>/   (~410 MB)
#             server/{bin,lib,plugin/hive}     the parts of trino-server-<version>.tar.gz the tests need (not the
#                                              other ~60 plugins); classpath server/lib/*
#             trino-cli-<version>-executable.jar   the CLI
#             .complete                        written last: a half-done fetch or extraction is never used
#   run dir ${KAFKA_FINOPS_TRINO_RUN:-/tmp/kafka-finops-trino}
#             etc/{jvm.config,node.properties,config.properties,log.properties,catalog/hive.properties}
#             data/ (node.data-dir)  metastore/ (the hive catalog's file metastore)  tmp/ (java.io.tmpdir, staging)
#             var/log/{server,stdout}.log (this start; *.1 the previous one)  trino.pid
#
# The server: Java 24+ (Temurin 25 here; JAVA_HOME is set for Trino only), 2 GiB heap, HTTP on 127.0.0.1:18080
# (KAFKA_FINOPS_TRINO_PORT). The hive catalog reads and writes the local file system rooted at / : locations are
# local:///absolute/path. Nothing binds anything but 127.0.0.1 and that one port; no JMX port is opened. Every wait
# is bounded by a deadline. The process is only ever signalled by the PID this script recorded, after checking
# (/proc/PID/cmdline) that it still is our TrinoServer of this run dir.
#
# What the tests must know (all checked against this Trino 476):
# - No symbolic links in table folders. Trino's local file system lists files without following links but keeps
#   the link's own size (a few dozen bytes): a linked Parquet file fails ("Malformed Parquet file. Metadata
#   index: ... out of range"), a linked CSV file silently yields 0 rows. A hard link (`ln`, same file system; no
#   copy) works; across file systems, copy the file. Linked folders are skipped as well.
# - Managed tables (CTAS without external_location) live in the file metastore's folder, <run>/metastore/<schema>/
#   <table>. In a schema made WITH (location = ...), such a CTAS fails ("Table directory must be ..."): give it
#   WITH (external_location = 'local:///...'), or make the schema without a location.
# - The CLI's CSV formats print NULL exactly like '' (CSV_HEADER: ""); only --output-format JSON (one object a
#   line) tells them apart (null vs "").
set -euo pipefail

# ---------------------------------------------------------------------------------------------------------------
# The pin. Everything else (cache dir name, artifact coordinates) follows from this one variable.
TRINO_VERSION=476
# ---------------------------------------------------------------------------------------------------------------

CACHE_ROOT=${KAFKA_FINOPS_CACHE:-$HOME/.cache/kafka-finops}
TRINO_CACHE=$CACHE_ROOT/trino-$TRINO_VERSION
SERVER=$TRINO_CACHE/server
CLI_JAR=$TRINO_CACHE/trino-cli-$TRINO_VERSION-executable.jar
RUN=${KAFKA_FINOPS_TRINO_RUN:-/tmp/kafka-finops-trino}
HOST=127.0.0.1
PORT=${KAFKA_FINOPS_TRINO_PORT:-18080}
URL=http://$HOST:$PORT
CLI_USER=${KAFKA_FINOPS_TRINO_USER:-kafka_finops}

# The bounded waits. Start is capped at 300 s whatever the environment says.
READY_TIMEOUT=${KAFKA_FINOPS_TRINO_READY_TIMEOUT:-180}
((READY_TIMEOUT > 300)) && READY_TIMEOUT=300
STOP_TIMEOUT=${KAFKA_FINOPS_TRINO_STOP_TIMEOUT:-30}

# JVM options. Server: 2 GiB heap on this 2-core machine (Trino's own recommended flags otherwise). CLI: a short-
# lived client, so C1 only, serial GC and a small heap make it start faster.
SERVER_HEAP=${KAFKA_FINOPS_TRINO_HEAP:-2G}
CLI_JVM_OPTS=${KAFKA_FINOPS_TRINO_CLI_OPTS:--Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 --enable-native-access=ALL-UNNAMED -Dorg.jline.terminal.dumb=true}

log() { echo "trino.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
since() { # seconds since a now_ms stamp, one decimal
  local d=$(($(now_ms) - $1))
  echo "$((d / 1000)).$(((d % 1000) / 100))s"
}

if ! [[ $PORT =~ ^[0-9]{1,5}$ ]] || ((PORT < 1 || PORT > 65535)); then
  die "KAFKA_FINOPS_TRINO_PORT must be a port number (got '$PORT')"
fi

# ---------------------------------------------------------------------------------------------------------------
# Java: Trino 476 refuses anything older than 24. KAFKA_FINOPS_TRINO_JAVA wins; else the Temurin 25 JDK installed
# beside the default Java 17; else the first JDK 24+ under /usr/lib/jvm. The CLI runs on the same java.
# ---------------------------------------------------------------------------------------------------------------
java_major() { # major version of the java binary $1 (empty if it does not run)
  "$1" -version 2>&1 | sed -n '1s/^[^"]*"\([0-9][0-9]*\).*/\1/p'
}

find_java() {
  local j m
  for j in ${KAFKA_FINOPS_TRINO_JAVA:+"$KAFKA_FINOPS_TRINO_JAVA"} /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
    /usr/lib/jvm/*/bin/java; do
    [[ -x $j ]] || continue
    m=$(java_major "$j")
    if [[ -n $m ]] && ((m >= 24)); then
      echo "$j"
      return 0
    fi
    [[ -n ${KAFKA_FINOPS_TRINO_JAVA:-} && $j == "$KAFKA_FINOPS_TRINO_JAVA" ]] &&
      die "KAFKA_FINOPS_TRINO_JAVA=$j is Java ${m:-?}; Trino $TRINO_VERSION needs Java 24 or later"
  done
  die "no Java 24+ found (Trino $TRINO_VERSION needs one; set KAFKA_FINOPS_TRINO_JAVA to its bin/java)"
}
JAVA=
trino_java() { [[ -n $JAVA ]] || JAVA=$(find_java); }

# ---------------------------------------------------------------------------------------------------------------
# The cache: the server tarball (~821 MB) and the CLI jar, fetched once by Maven (`dependency:copy`, so ~/.m2
# serves them when it already holds them). Only bin/, lib/ and plugin/hive are extracted (~410 MiB of the
# ~940 MB the whole tarball unpacks to); the copied tarball is deleted afterwards (Maven keeps its copy in ~/.m2). The marker is written
# last and records what was extracted, so a partial extraction, or one of other parts, is redone.
# ---------------------------------------------------------------------------------------------------------------
PARTS=(bin lib plugin/hive)
cache_stamp() { echo "trino=$TRINO_VERSION parts=${PARTS[*]} cli=yes"; }

cache_complete() {
  [[ -f $TRINO_CACHE/.complete && -d $SERVER/lib && -d $SERVER/plugin/hive && -s $CLI_JAR ]] &&
    [[ $(cat "$TRINO_CACHE/.complete") == "$(cache_stamp)" ]]
}

mvn_copy() { # artifact outdir log
  mvn -q -B dependency:copy -Dartifact="$1" -DoutputDirectory="$2" >"$3" 2>&1 || {
    tail -n 40 "$3" >&2
    die "Maven could not fetch $1 (full log: $3)"
  }
}

ensure_cache() {
  cache_complete && return 0
  command -v mvn >/dev/null || die "mvn not found: it is needed once, to fetch Trino into $TRINO_CACHE"
  mkdir -p "$TRINO_CACHE"
  # One fetch at a time (a `sql` and a `start` may race on a cold cache); bounded wait for the lock.
  exec 9>"$TRINO_CACHE/.lock"
  flock -w 900 9 || die "timed out waiting for another fetch into $TRINO_CACHE"
  if cache_complete; then
    exec 9>&-
    return 0
  fi
  local t0 dl=$TRINO_CACHE/download.partial.$$ tmp=$TRINO_CACHE/server.partial.$$ mvnlog=$TRINO_CACHE/mvn.log
  t0=$(now_ms)
  rm -f "$TRINO_CACHE/.complete"
  rm -rf "$TRINO_CACHE"/download.partial.* "$TRINO_CACHE"/server.partial.* "$dl" "$tmp"
  mkdir -p "$dl" "$tmp"
  FETCH_LEFTOVERS=("$dl" "$tmp") # deleted if this fails half-way (the EXIT trap)
  trap 'rm -rf "${FETCH_LEFTOVERS[@]}"' EXIT
  log "fetching Trino $TRINO_VERSION (server tarball + CLI) from Maven Central into $TRINO_CACHE (once)"
  mvn_copy "io.trino:trino-server:$TRINO_VERSION:tar.gz" "$dl" "$mvnlog"
  mvn_copy "io.trino:trino-cli:$TRINO_VERSION:jar:executable" "$dl" "$mvnlog.cli"
  local tarball=$dl/trino-server-$TRINO_VERSION.tar.gz top=trino-server-$TRINO_VERSION p members=() re
  [[ -s $tarball ]] || die "the download lacks $tarball (see $mvnlog)"
  for p in "${PARTS[@]}"; do members+=("$top/$p"); done
  # The tarball stores each jar once: later copies are hard links to the first one, and for plugin/hive most
  # first copies are in other plugins (bigquery, cassandra, clickhouse, delta-lake). So list the hard links of our
  # parts whose targets lie outside them, extract those targets too, then delete them: the links keep the data.
  re="^$top/($(
    IFS='|'
    echo "${PARTS[*]}"
  ))/"
  tar -tvzf "$tarball" | awk -v re="$re" '$1 ~ /^h/ && $6 ~ re && $NF !~ re { print $NF }' |
    sort -u >"$dl/link-targets" || die "listing $tarball failed"
  tar -xzf "$tarball" -C "$tmp" --strip-components=1 "${members[@]}" -T "$dl/link-targets" ||
    die "extracting ${PARTS[*]} from $tarball failed"
  while IFS= read -r p; do rm -f "$tmp/${p#"$top"/}"; done <"$dl/link-targets"
  find "$tmp" -mindepth 1 -depth -type d -empty -delete
  # Sanity checks: the main jar, the main class's launcher config and the Hive plugin must be there.
  [[ -f $tmp/lib/io.trino_trino-main-$TRINO_VERSION.jar ]] || die "the tarball lacks lib/io.trino_trino-main-*.jar"
  [[ -f $tmp/bin/launcher.properties ]] || die "the tarball lacks bin/launcher.properties"
  [[ -f $tmp/plugin/hive/io.trino_trino-hive-$TRINO_VERSION.jar ]] || die "the tarball lacks the Hive plugin"
  [[ -s $dl/trino-cli-$TRINO_VERSION-executable.jar ]] || die "the download lacks the CLI jar (see $mvnlog.cli)"
  rm -rf "$SERVER"
  mv "$tmp" "$SERVER"
  mv "$dl/trino-cli-$TRINO_VERSION-executable.jar" "$CLI_JAR"
  rm -rf "$dl"
  trap - EXIT
  cache_stamp >"$TRINO_CACHE/.complete"
  exec 9>&-
  log "cached Trino $TRINO_VERSION ($(du -sh "$TRINO_CACHE" | cut -f1)) in $TRINO_CACHE in $(since "$t0")"
}

# ---------------------------------------------------------------------------------------------------------------
# Processes. The server is "running" only if the pid file names a live process whose command line is
# io.trino.server.TrinoServer with this run dir's marker property, so a recycled PID is never signalled.
# ---------------------------------------------------------------------------------------------------------------
pid_file() { echo "$RUN/trino.pid"; }

trino_pid() { # prints the PID of our server and returns 0 if it runs
  local f pid cmd
  f=$(pid_file)
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"-Dkafka.finops.trino.run=$RUN "* && $cmd == *" io.trino.server.TrinoServer"* ]] || return 1
  echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

info() { curl -fsS -m 3 "$URL/v1/info" 2>/dev/null; }
answers() { # the server answers and has finished starting (all plugins and catalogs loaded)
  local i
  i=$(info) || return 1
  [[ $i == *'"starting":false'* ]]
}

runs_queries() {
  # "starting":false comes a few seconds before the coordinator has discovered itself as an active worker; a query
  # that reads a table fails in between ("No nodes available to run query"; SELECT 1 would not: it runs on the
  # coordinator alone). So `start` also waits until system.runtime.nodes lists our node as active, asked through
  # the client protocol (POST /v1/statement, then follow nextUri until there is none; each GET waits for the
  # query at most ~1 s). A finished query has no nextUri; a failed one carries "error".
  local out next n got=0 h=(-fsS -m 5 -H "X-Trino-User: $CLI_USER" -H "X-Trino-Source: trino.sh")
  local q="SELECT count(*) FROM system.runtime.nodes WHERE state = 'active' AND coordinator"
  out=$(curl "${h[@]}" -X POST --data "$q" "$URL/v1/statement" 2>/dev/null) || return 1
  for ((n = 0; n < 30; n++)); do
    [[ $out == *'"error":{'* ]] && return 1
    [[ $out == *'"data":[[1]]'* ]] && got=1
    next=$(sed -n 's/.*"nextUri":"\([^"]*\)".*/\1/p' <<<"$out")
    [[ -n $next ]] || break
    out=$(curl "${h[@]}" "$next" 2>/dev/null) || return 1
  done
  ((got == 1))
}

print_log_tails() {
  local d=$RUN/var/log
  echo "----- tail of $d/server.log -----" >&2
  tail -n 40 "$d/server.log" >&2 2>/dev/null || echo "(no server.log)" >&2
  if [[ -s $d/stdout.log ]]; then
    echo "----- tail of $d/stdout.log -----" >&2
    tail -n 20 "$d/stdout.log" >&2
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# The run dir.
# ---------------------------------------------------------------------------------------------------------------
foreign_run_dir() { # true if $RUN exists, is not marked as ours and holds anything besides our lock file
  [[ -d $RUN && ! -f $RUN/.kafka-finops-run ]] &&
    [[ -n $(find "$RUN" -mindepth 1 -maxdepth 1 ! -name .lock -print -quit) ]]
}

check_run_dir() {
  # A plain absolute path: it is pasted into properties files and JVM flags.
  [[ $RUN =~ ^/[A-Za-z0-9._/-]+$ ]] ||
    die "KAFKA_FINOPS_TRINO_RUN must be an absolute path of letters, digits and . _ - / (got '$RUN')"
  [[ $RUN != / ]] || die "KAFKA_FINOPS_TRINO_RUN must not be /"
  # Refuse to write into (and later `reset` would delete) an existing non-empty dir that is not one of ours.
  if foreign_run_dir; then
    die "$RUN exists, is not empty and is not a kafka-finops run dir; set KAFKA_FINOPS_TRINO_RUN to another path"
  fi
}

# start/stop/reset of one run dir never overlap. flock locks belong to an open file, so a nested call (start ->
# stop on failure, reset -> stop) must not lock again: RUN_LOCKED says so.
RUN_LOCKED=0
lock_run_dir() {
  ((RUN_LOCKED == 0)) || return 0
  mkdir -p "$RUN"
  exec 8>"$RUN/.lock"
  flock -w 240 8 || die "timed out waiting for another trino.sh start/stop on $RUN"
  RUN_LOCKED=1
}

write_configs() {
  # Re-written at every start (so changes to this script apply to an existing run dir); the metastore and data
  # stay as they are.
  mkdir -p "$RUN/etc/catalog" "$RUN/data" "$RUN/metastore" "$RUN/tmp" "$RUN/var/log"
  touch "$RUN/.kafka-finops-run"
  # jvm.config: one flag a line, as the launcher reads it. Trino's recommended flags, sized for a 2 GiB heap,
  # plus C1 only (-XX:TieredStopAtLevel=1): measured here, Trino's own "startup completed in" fell from ~20 s to
  # ~9 s, and the first queries of a test are faster too (4.0 s instead of 6.6 s for a GROUP BY over the 124k-line
  # CUR sample; C2 never catches up on test-sized data). A shared class archive (AppCDS) brought nothing more.
  # --enable-native-access / --sun-misc-unsafe-memory-access: native access and sun.misc.Unsafe's memory methods,
  # which Trino's libraries use, without Java 24+'s warnings.
  cat >"$RUN/etc/jvm.config" <<EOF
-server
-Xmx$SERVER_HEAP
-XX:+UseG1GC
-XX:TieredStopAtLevel=1
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:ReservedCodeCacheSize=256M
-XX:PerMethodRecompilationCutoff=10000
-XX:PerBytecodeRecompilationCutoff=10000
-XX:+EnableDynamicAgentLoading
--enable-native-access=ALL-UNNAMED
--sun-misc-unsafe-memory-access=allow
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-Dfile.encoding=UTF-8
-Duser.timezone=UTC
-Djava.io.tmpdir=$RUN/tmp
EOF
  # Extra flags from the environment, one a line.
  local f
  for f in ${KAFKA_FINOPS_TRINO_JVM_OPTS:-}; do echo "$f" >>"$RUN/etc/jvm.config"; done
  # node.properties: passed as -D system properties, as the launcher does. bind-ip and internal-address keep the
  # HTTP server and the node's announcement on 127.0.0.1.
  cat >"$RUN/etc/node.properties" <<EOF
node.environment=kafka_finops_test
node.id=kafka-finops-trino
node.data-dir=$RUN/data
node.bind-ip=$HOST
node.internal-address=$HOST
EOF
  # Memory: query.max-memory-per-node + memory.heap-headroom-per-node must fit in the heap (768 MB + 512 MB < 2 GiB).
  cat >"$RUN/etc/config.properties" <<EOF
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=$PORT
discovery.uri=$URL
plugin.dir=$SERVER/plugin
catalog.config-dir=$RUN/etc/catalog
query.max-memory=768MB
query.max-memory-per-node=768MB
memory.heap-headroom-per-node=512MB
EOF
  cat >"$RUN/etc/log.properties" <<EOF
io.trino=INFO
EOF
  # The hive catalog: file metastore under the run dir, local file system rooted at / (local:///abs/path).
  # Parquet columns are matched by name (Athena's behaviour), and new tables default to Parquet.
  # The file metastore keeps managed tables (CTAS without external_location) under its own dir,
  # <run>/metastore/<schema>/<table>: a CTAS in a schema created WITH (location = ...) fails ("Table directory
  # must be ..."); give such a CTAS an external_location. Do not set hive.metastore.disable-location-checks: the
  # CTAS then succeeds, writes under the schema's location, but the table reads back from the metastore dir and
  # is silently empty (the file metastore does not record a managed table's location).
  cat >"$RUN/etc/catalog/hive.properties" <<EOF
connector.name=hive
hive.metastore=file
hive.metastore.catalog.dir=local://$RUN/metastore
hive.temporary-staging-directory-path=$RUN/tmp/staging-\${USER}
fs.native-local.enabled=true
local.location=/
hive.storage-format=PARQUET
hive.parquet.use-column-names=true
hive.non-managed-table-writes-enabled=true
EOF
}

start_server() {
  local jvm=() sys=() line
  while IFS= read -r line; do [[ -n $line && $line != \#* ]] && jvm+=("$line"); done <"$RUN/etc/jvm.config"
  while IFS= read -r line; do [[ -n $line && $line != \#* ]] && sys+=("-D$line"); done <"$RUN/etc/node.properties"
  # What bin/launcher (airlift launcher) runs in daemon mode: java -cp lib/* <jvm.config> <node.properties as -D>
  # -Dconfig=etc/config.properties -Dlog.output-file=... -Dlog.enable-console=false io.trino.server.TrinoServer.
  # nohup + </dev/null: the server outlives this script. nohup execs java, so $! is the JVM's PID.
  # -Dkafka.finops.trino.run is only a marker for trino_pid(). 8>&- 9>&-: it must not hold our lock files.
  # cd: the server resolves nothing relative to the working directory, but keep it out of the caller's tree.
  (
    cd "$RUN"
    JAVA_HOME=$(dirname "$(dirname "$JAVA")") nohup "$JAVA" -cp "$SERVER/lib/*" "${jvm[@]}" \
      -Dkafka.finops.trino.run="$RUN" "${sys[@]}" -Dconfig="$RUN/etc/config.properties" \
      -Dlog.levels-file="$RUN/etc/log.properties" -Dlog.output-file="$RUN/var/log/server.log" \
      -Dlog.enable-console=false io.trino.server.TrinoServer </dev/null >>"$RUN/var/log/stdout.log" 2>&1 8>&- 9>&- &
    echo $! >"$(pid_file)"
  )
}

wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  until answers && runs_queries; do
    trino_pid >/dev/null || {
      log "the server exited during start-up"
      return 1
    }
    ((SECONDS < deadline)) || {
      log "not ready after ${READY_TIMEOUT}s"
      return 1
    }
    sleep 0.5
  done
}

cmd_start() {
  local t0 t1 pid
  t0=$(now_ms)
  check_run_dir
  lock_run_dir
  if pid=$(trino_pid); then
    if answers && runs_queries; then
      log "already running (pid $pid, $URL): nothing to do"
      return 0
    fi
    log "pid $pid runs but is not ready yet: waiting up to ${READY_TIMEOUT}s"
  else
    rm -f "$(pid_file)"
    trino_java
    ensure_cache
    port_open "$PORT" && die "port $HOST:$PORT is already in use by another process"
    write_configs
    # This start's logs only (the previous start's are kept as *.1): a failure shows its own tail.
    local l
    for l in server.log stdout.log; do
      if [[ -f $RUN/var/log/$l ]]; then mv -f "$RUN/var/log/$l" "$RUN/var/log/$l.1"; fi
    done
    t1=$(now_ms)
    start_server
    log "started Trino $TRINO_VERSION (pid $(cat "$(pid_file)"), $("$JAVA" -version 2>&1 | head -1)), waiting up to ${READY_TIMEOUT}s"
  fi
  if ! wait_ready; then
    print_log_tails
    if [[ ${KAFKA_FINOPS_KEEP_ON_FAILURE:-0} != 1 ]]; then
      log "stopping it (set KAFKA_FINOPS_KEEP_ON_FAILURE=1 to keep it)"
      cmd_stop || true
    fi
    die "Trino did not become ready"
  fi
  log "Trino $TRINO_VERSION ready on $URL${t1:+ $(since "$t1") after launch} ($(since "$t0") in all);" \
    "use: eval \"\$(bash ci/trino.sh env)\""
}

cmd_stop() {
  # SIGTERM (Trino shuts down cleanly), wait up to STOP_TIMEOUT, then SIGKILL and wait again (bounded). Only the
  # PID from our pid file that trino_pid() recognises is ever signalled.
  local pid deadline
  check_run_dir
  [[ -d $RUN ]] && lock_run_dir
  if ! pid=$(trino_pid); then
    rm -f "$(pid_file)"
    log "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while trino_pid >/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if trino_pid >/dev/null; then
    log "pid $pid still alive after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while trino_pid >/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    trino_pid >/dev/null && die "pid $pid survived SIGKILL"
  fi
  rm -f "$(pid_file)"
  log "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid=$(trino_pid) && answers && runs_queries; then
    echo "trino: running on $URL (pid $pid, run dir $RUN)"
  elif [[ -n ${pid:-} ]]; then
    echo "trino: pid $pid runs but does not answer (yet) on $URL"
    return 3
  else
    echo "trino: not running (run dir $RUN)"
    return 3
  fi
}

cmd_env() {
  # KAFKA_FINOPS_TRINO_JAVA + KAFKA_FINOPS_TRINO_CLI_JAR: a test runs `$JAVA -jar $CLI_JAR --server $URL ...`.
  local kv v
  trino_java
  for kv in \
    "KAFKA_FINOPS_TRINO=$URL" \
    "KAFKA_FINOPS_TRINO_JAVA=$JAVA" \
    "KAFKA_FINOPS_TRINO_CLI_JAR=$CLI_JAR" \
    "KAFKA_FINOPS_TRINO_USER=$CLI_USER" \
    "KAFKA_FINOPS_TRINO_RUN=$RUN" \
    "KAFKA_FINOPS_TRINO_VERSION=$TRINO_VERSION"; do
    v=${kv#*=}
    if [[ $v =~ ^[A-Za-z0-9_./:,@%+=-]+$ ]]; then
      printf 'export %s=%s\n' "${kv%%=*}" "$v"
    else
      printf "export %s='%s'\n" "${kv%%=*}" "${v//\'/\'\\\'\'}"
    fi
  done
}

cmd_sql() {
  (($# >= 1)) || die "usage: trino.sh sql \"STATEMENT[; ...]\" [CLI ARGS]   (\"-\": statements from stdin)"
  local stmt=$1 input=() opts=() kv a given
  shift
  trino_java
  ensure_cache
  if [[ $stmt == - ]]; then input=(--file=/dev/stdin); else input=(--execute="$stmt"); fi
  # Defaults, each left out when the extra CLI ARGS set it (the CLI rejects an option given twice).
  # CSV_HEADER: every value double-quoted (NULL and '' alike print as ""), a header line first.
  for kv in --server="$URL" --user="$CLI_USER" --timezone=UTC --output-format=CSV_HEADER; do
    given=0
    for a in "$@"; do [[ $a == "${kv%%=*}" || $a == "${kv%%=*}="* ]] && given=1; done
    ((given)) || opts+=("$kv")
  done
  # exec: the CLI's exit code is ours (non-zero when a query fails; the error goes to stderr).
  # shellcheck disable=SC2086 # CLI_JVM_OPTS is a list of JVM flags, split on purpose
  exec "$JAVA" $CLI_JVM_OPTS -jar "$CLI_JAR" "${opts[@]}" --no-progress --disable-auto-suggestion \
    "${input[@]}" "$@"
}

cmd_reset() {
  check_run_dir
  [[ -d $RUN ]] && lock_run_dir
  cmd_stop
  if [[ -d $RUN ]]; then
    foreign_run_dir && die "$RUN is not a kafka-finops run dir"
    rm -rf "$RUN"
    log "removed $RUN"
  fi
}

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  (($# > 0)) && shift
  case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    sql) cmd_sql "$@" ;;
    fetch) ensure_cache && echo "$TRINO_CACHE" ;;
    reset) cmd_reset ;;
    -h | --help | help | "") usage ;;
    *)
      usage >&2
      die "unknown command '$cmd'"
      ;;
  esac
}

main "$@"
