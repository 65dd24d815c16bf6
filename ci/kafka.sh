#!/usr/bin/env bash
# A real Apache Kafka cluster for the kafka-finops integration tests, from the official jars on Maven Central.
#
#   bash ci/kafka.sh start              3 KRaft nodes in combined mode (broker+controller) on 127.0.0.1, ready + ACLs
#   bash ci/kafka.sh stop               stop them, by the PIDs in the pid files (TERM, bounded wait, then KILL)
#   bash ci/kafka.sh status             which nodes run (exit 0 only when all three do)
#   bash ci/kafka.sh env                `export` lines for the tests: eval "$(bash ci/kafka.sh env)"
#   bash ci/kafka.sh tool CLASS [ARGS]  run any Kafka tool class on the cached classpath
#   bash ci/kafka.sh topics|configs|consumer-groups|log-dirs|acls|producer-perf|... [ARGS]   aliases of `tool`
#   bash ci/kafka.sh fetch              only make sure the jars are in the cache
#   bash ci/kafka.sh reset              stop, then delete the run dir (certificates, secrets, data, logs)
#
# Layout:
#   cache   ${KAFKA_FINOPS_CACHE:-~/.cache/kafka-finops}/kafka-<version>/libs   the jars (classpath libs/*)
#   run dir ${KAFKA_FINOPS_RUN:-/tmp/kafka-finops-kafka}
#             node-N/server.properties  node-N/data/ (node 3 also data2/)  node-N/logs/{server,controller,authorizer}.log,stdout.log
#             node-N/kafka.pid          tls/ (CA, broker PKCS12, truststore, client PEM + PKCS12)
#             secrets/<user>.password   cluster.id   client-*.properties (ready-made Java client configs)
# See ci/README.md for the port table, users, ACLs and how the tests use all this.
#
# Nothing here binds anything but 127.0.0.1 and the fifteen listener ports; no JMX port is opened. Every wait loop
# is bounded by a deadline. Processes are only ever signalled by the PIDs this script recorded, after checking
# (/proc/PID/cmdline) that the PID still is the node it started.
set -euo pipefail

# ---------------------------------------------------------------------------------------------------------------
# The pin. Everything else (cache dir name, pom property) follows from this one variable.
KAFKA_VERSION=4.1.1
# ---------------------------------------------------------------------------------------------------------------

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CI_KAFKA_DIR=$SCRIPT_DIR/kafka                       # pom.xml, server.properties.template, log4j2 configs
CACHE_ROOT=${KAFKA_FINOPS_CACHE:-$HOME/.cache/kafka-finops}
KAFKA_CACHE=$CACHE_ROOT/kafka-$KAFKA_VERSION
LIBS=$KAFKA_CACHE/libs
CLASSPATH_GLOB="$LIBS/*"                              # a JVM classpath wildcard, expanded by java, not by bash
RUN=${KAFKA_FINOPS_RUN:-/tmp/kafka-finops-kafka}
IAM_HANDLER=$RUN/iam-handler                          # MskIamValidator's classes (the IAM listener's token check)

NODES=(1 2 3)
RACKS=([1]=use1-az1 [2]=use1-az2 [3]=use1-az4)       # broker.rack per node id
USERS=(admin finops limited)                          # SCRAM + PLAIN users (admin is a super user)
CLIENT_CN=finops-client                               # mTLS client certificate subject: principal User:CN=finops-client
HOST=127.0.0.1

# The bounded waits. Start is capped at 120 s whatever the environment says.
READY_TIMEOUT=${KAFKA_FINOPS_READY_TIMEOUT:-120}
((READY_TIMEOUT > 120)) && READY_TIMEOUT=120
STOP_TIMEOUT=${KAFKA_FINOPS_STOP_TIMEOUT:-30}

# JVM options. Brokers: small heap and the serial collector suit a 2-core machine running three of them next to a
# build or a test run; C1 only (-XX:TieredStopAtLevel=1) spares the C2 compiler threads: measured here, the brokers
# are ready ~2 s sooner (4.9 s instead of 6.3-7.6 s) and the test loads are far below what C1 code can serve.
# Tools: short-lived, so C1 only and a small heap make them start faster.
BROKER_HEAP=${KAFKA_FINOPS_BROKER_HEAP:--Xms256m -Xmx512m}
BROKER_JVM_OPTS=${KAFKA_FINOPS_BROKER_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError}
TOOL_JVM_OPTS=${KAFKA_FINOPS_TOOL_OPTS:--Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}

# Port of each listener of node N (N = 1..3): 1909(N+1), 1919(N+1), 1929(N+1), 1939(N+1), 1949(N+1).
plaintext_port() { echo $((19091 + $1)); }
sasl_ssl_port() { echo $((19191 + $1)); }
controller_port() { echo $((19291 + $1)); }
ssl_port() { echo $((19391 + $1)); }
iam_port() { echo $((19491 + $1)); }
bootstrap() { # bootstrap list of one listener kind: bootstrap plaintext|sasl_ssl|ssl|iam
  local n out=()
  for n in "${NODES[@]}"; do out+=("$HOST:$("${1}_port" "$n")"); done
  local IFS=,
  echo "${out[*]}"
}

log() { echo "kafka.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
since() { # seconds since a now_ms stamp, one decimal
  local d=$(($(now_ms) - $1))
  echo "$((d / 1000)).$(((d % 1000) / 100))s"
}

# ---------------------------------------------------------------------------------------------------------------
# The jars: downloaded once into the cache by Maven (ci/kafka/pom.xml), then reused without any network call.
# The marker file records the version and the pom's hash, so editing the pom (adding a jar) refreshes the cache.
# ---------------------------------------------------------------------------------------------------------------
cache_stamp() { echo "kafka=$KAFKA_VERSION pom=$(sha256sum "$CI_KAFKA_DIR/pom.xml" | cut -c1-64)"; }

cache_complete() {
  [[ -f $KAFKA_CACHE/.complete && -d $LIBS ]] && [[ $(cat "$KAFKA_CACHE/.complete") == "$(cache_stamp)" ]]
}

ensure_libs() {
  cache_complete && return 0
  command -v mvn >/dev/null || die "mvn not found: it is needed once, to fetch the Kafka jars into $KAFKA_CACHE"
  mkdir -p "$KAFKA_CACHE"
  # One download at a time (several `kafka.sh tool` calls may race on a cold cache); bounded wait for the lock.
  exec 9>"$KAFKA_CACHE/.lock"
  flock -w 900 9 || die "timed out waiting for another download into $KAFKA_CACHE"
  if cache_complete; then
    exec 9>&-
    return 0
  fi
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $LIBS (once)"
  local tmp=$KAFKA_CACHE/libs.partial.$$ mvnlog=$KAFKA_CACHE/mvn.log
  rm -rf "$tmp"
  # copy-dependencies of a pom-packaged project: every compile+runtime dependency, transitively, as plain jars.
  if ! mvn -q -B -f "$CI_KAFKA_DIR/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$mvnlog" 2>&1; then
    tail -n 40 "$mvnlog" >&2
    rm -rf "$tmp"
    die "Maven could not fetch the Kafka jars (full log: $mvnlog)"
  fi
  # Sanity check: the jars that hold the classes this script uses must be there.
  local jar
  for jar in "kafka_2.13-$KAFKA_VERSION.jar" "kafka-tools-$KAFKA_VERSION.jar" "kafka-clients-$KAFKA_VERSION.jar"; do
    [[ -f $tmp/$jar ]] || die "the download lacks $jar (see $mvnlog)"
  done
  compgen -G "$tmp/log4j-slf4j-impl-*.jar" >/dev/null || die "the download lacks the log4j2 SLF4J binding"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  cache_stamp >"$KAFKA_CACHE/.complete"
  exec 9>&-
  log "cached $(find "$LIBS" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS" | cut -f1)) in $LIBS"
}

# Run a Kafka tool class on the cached classpath, logging warnings to stderr only (ci/kafka/log4j2-tools.xml).
# tool_cmd is the command prefix (java + options + classpath), used bare or behind `timeout`.
# shellcheck disable=SC2206 # TOOL_JVM_OPTS is a list of JVM flags, split on purpose
tool_cmd=(java $TOOL_JVM_OPTS -Djava.awt.headless=true -Dlog4j2.configurationFile="$CI_KAFKA_DIR/log4j2-tools.xml"
  -cp "$CLASSPATH_GLOB")
java_tool() { "${tool_cmd[@]}" "$@"; }

# Tool aliases -> main classes, as of Kafka 4.1. Most CLI tools moved from core (kafka.admin.*, Scala) to the
# kafka-tools jar (org.apache.kafka.tools.*, Java) during 3.x/4.0; ConfigCommand and StorageTool still live in core.
tool_class() {
  case $1 in
    topics) echo org.apache.kafka.tools.TopicCommand ;;
    configs) echo kafka.admin.ConfigCommand ;;
    consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    log-dirs) echo org.apache.kafka.tools.LogDirsCommand ;;
    acls) echo org.apache.kafka.tools.AclCommand ;;
    producer-perf) echo org.apache.kafka.tools.ProducerPerformance ;;
    consumer-perf) echo org.apache.kafka.tools.ConsumerPerformance ;;
    console-producer) echo org.apache.kafka.tools.ConsoleProducer ;;
    console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    broker-api-versions) echo org.apache.kafka.tools.BrokerApiVersionsCommand ;;
    metadata-quorum) echo org.apache.kafka.tools.MetadataQuorumCommand ;;
    features) echo org.apache.kafka.tools.FeatureCommand ;;
    reassign-partitions) echo org.apache.kafka.tools.reassign.ReassignPartitionsCommand ;;
    storage) echo kafka.tools.StorageTool ;;
    *) return 1 ;;
  esac
}

# ---------------------------------------------------------------------------------------------------------------
# Processes. A node is "running" only if its pid file names a live process whose command line is that node's
# kafka.Kafka of this run dir (the -Dkafka.finops.node/-Dkafka.finops.run markers), so a recycled PID is never
# mistaken for a broker, and never signalled.
# ---------------------------------------------------------------------------------------------------------------
pid_file() { echo "$RUN/node-$1/kafka.pid"; }

node_pid() { # prints the PID of node $1 and returns 0 if it runs
  local f pid cmd
  f=$(pid_file "$1")
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"-Dkafka.finops.node=$1 "* && $cmd == *"-Dkafka.finops.run=$RUN "* && $cmd == *" kafka.Kafka "* ]] ||
    return 1
  echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

running_count() {
  local n c=0
  for n in "${NODES[@]}"; do node_pid "$n" >/dev/null && c=$((c + 1)); done
  echo "$c"
}

print_log_tails() {
  local n
  for n in "${NODES[@]}"; do
    local d=$RUN/node-$n/logs
    echo "----- node $n: tail of $d/server.log -----" >&2
    tail -n 40 "$d/server.log" >&2 2>/dev/null || echo "(no server.log)" >&2
    if [[ -s $d/stdout.log ]]; then
      echo "----- node $n: tail of $d/stdout.log -----" >&2
      tail -n 20 "$d/stdout.log" >&2
    fi
  done
}

# ---------------------------------------------------------------------------------------------------------------
# Run-dir initialisation: secrets, TLS material, configs, cluster id, formatted storage. Done once per run dir
# (the .initialized marker); a later `start` reuses all of it, so the certificates, passwords, topics and ACLs of a
# run dir survive stop/start. An init interrupted half-way is redone from scratch.
# ---------------------------------------------------------------------------------------------------------------
foreign_run_dir() { # true if $RUN exists, is not marked as ours and holds anything besides our lock file
  [[ -d $RUN && ! -f $RUN/.kafka-finops-run ]] &&
    [[ -n $(find "$RUN" -mindepth 1 -maxdepth 1 ! -name .lock -print -quit) ]]
}

check_run_dir() {
  # A plain absolute path: it is pasted into properties files, sed replacements and JVM flags.
  [[ $RUN =~ ^/[A-Za-z0-9._/-]+$ ]] ||
    die "KAFKA_FINOPS_RUN must be an absolute path of letters, digits and . _ - / (got '$RUN')"
  [[ $RUN != / ]] || die "KAFKA_FINOPS_RUN must not be /"
  # Refuse to write into (and later `reset` would delete) an existing non-empty dir that is not one of ours.
  if foreign_run_dir; then
    die "$RUN exists, is not empty and is not a kafka-finops run dir; set KAFKA_FINOPS_RUN to another path"
  fi
}

# start/stop/reset of one run dir never overlap (two `start`s at once would format and launch twice). flock locks
# belong to an open file, so a nested call (start -> stop on failure) must not lock again: RUN_LOCKED says so.
RUN_LOCKED=0
lock_run_dir() {
  ((RUN_LOCKED == 0)) || return 0
  mkdir -p "$RUN"
  exec 8>"$RUN/.lock"
  flock -w 180 8 || die "timed out waiting for another kafka.sh start/stop on $RUN"
  RUN_LOCKED=1
}

secret() { cat "$RUN/secrets/$1.password"; }

make_secrets() {
  # Random test-only passwords (hex: safe inside properties files, JAAS strings and sed), mode 600, never printed.
  (
    umask 077
    mkdir -p "$RUN/secrets"
    local u
    for u in "${USERS[@]}" tls iam-secret iam-session; do
      [[ -s $RUN/secrets/$u.password ]] || openssl rand -hex 16 >"$RUN/secrets/$u.password"
    done
    # The IAM listener's test access key id: AKIA and 16 upper-case characters, like an AWS one.
    [[ -s $RUN/secrets/iam-key-id.password ]] ||
      echo "AKIA$(openssl rand -hex 8 | tr a-f A-F)" >"$RUN/secrets/iam-key-id.password"
  )
  chmod 700 "$RUN/secrets"
  chmod 600 "$RUN"/secrets/*.password
}

make_tls() {
  # A self-signed CA signs a broker certificate (SAN IP:127.0.0.1, DNS:localhost, so clients can verify the host
  # name 127.0.0.1) and a client certificate (CN=finops-client) for mutual TLS. Outputs in <run>/tls:
  #   ca.pem                 the CA, for clients (librdkafka ssl.ca.location, Java ssl.truststore.type=PEM)
  #   broker.p12             broker key + chain (PKCS12), truststore.p12 the CA (PKCS12, made by keytool)
  #   client.pem client.key client certificate + unencrypted PKCS#8 key, PEM (librdkafka ssl.certificate.location /
  #                          ssl.key.location); client.p12 the same as PKCS12 for the Java tools
  # Keystore passwords are passed by file (secrets/tls.password), never on a command line.
  local t=$RUN/tls pw=$RUN/secrets/tls.password
  if [[ -s $t/ca.pem && -s $t/broker.p12 && -s $t/truststore.p12 && -s $t/client.pem && -s $t/client.key &&
    -s $t/client.p12 ]]; then
    return 0
  fi
  rm -rf "$t"
  mkdir -p "$t"
  chmod 700 "$t"
  (
    umask 077
    cd "$t"
    cat >ca.ext <<'EOF'
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
    cat >broker.ext <<'EOF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
    cat >client.ext <<'EOF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
    local q=(-quiet)
    # CA: self-signed via `x509 -req -signkey` with an explicit extension file (independent of openssl.cnf).
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "${q[@]}" -out ca.key
    openssl req -new -key ca.key -subj "/CN=kafka-finops test CA" -out ca.csr
    openssl x509 -req -in ca.csr -signkey ca.key -days 3650 -sha256 -extfile ca.ext \
      -set_serial "0x$(openssl rand -hex 8)" -out ca.pem 2>/dev/null
    local who
    for who in broker client; do
      local cn=localhost
      [[ $who == client ]] && cn=$CLIENT_CN
      openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "${q[@]}" -out "$who.key"
      openssl req -new -key "$who.key" -subj "/CN=$cn" -out "$who.csr"
      openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -days 3650 -sha256 -extfile "$who.ext" \
        -set_serial "0x$(openssl rand -hex 8)" -out "$who.pem" 2>/dev/null
      openssl pkcs12 -export -in "$who.pem" -inkey "$who.key" -certfile ca.pem -name "$who" \
        -passout "file:$pw" -out "$who.p12"
    done
    keytool -importcert -noprompt -alias kafka-finops-ca -file ca.pem -storetype PKCS12 \
      -keystore truststore.p12 -storepass:file "$pw" >/dev/null 2>&1
    rm -f ./*.csr ./*.ext
  )
  chmod 644 "$t/ca.pem" "$t/broker.pem" "$t/client.pem" # certificates are public; keys and stores stay 600
}

render_configs() {
  # server.properties of each node from ci/kafka/server.properties.template (re-rendered at every start, so
  # template changes apply to an existing run dir; the secrets and data stay as they are).
  local n
  for n in "${NODES[@]}"; do
    mkdir -p "$RUN/node-$n/data" "$RUN/node-$n/logs"
    local extra=""
    if [[ $n == 3 ]]; then
      extra=",$RUN/node-$n/data2"
      mkdir -p "$RUN/node-$n/data2"
    fi
    (
      umask 077
      sed -e "s|@NODE_ID@|$n|g" -e "s|@RACK@|${RACKS[$n]}|g" -e "s|@RUN@|$RUN|g" -e "s|@EXTRA_LOG_DIRS@|$extra|g" \
        -e "s|@PLAINTEXT_PORT@|$(plaintext_port "$n")|g" -e "s|@SASL_SSL_PORT@|$(sasl_ssl_port "$n")|g" \
        -e "s|@CONTROLLER_PORT@|$(controller_port "$n")|g" -e "s|@SSL_PORT@|$(ssl_port "$n")|g" \
        -e "s|@IAM_PORT@|$(iam_port "$n")|g" -e "s|@IAM_KEY_ID@|$(secret iam-key-id)|g" \
        -e "s|@IAM_SECRET@|$(secret iam-secret)|g" -e "s|@IAM_SESSION@|$(secret iam-session)|g" \
        -e "s|@TLS_PASSWORD@|$(secret tls)|g" -e "s|@ADMIN_PASSWORD@|$(secret admin)|g" \
        -e "s|@FINOPS_PASSWORD@|$(secret finops)|g" -e "s|@LIMITED_PASSWORD@|$(secret limited)|g" \
        "$CI_KAFKA_DIR/server.properties.template" >"$RUN/node-$n/server.properties.tmp"
      mv "$RUN/node-$n/server.properties.tmp" "$RUN/node-$n/server.properties"
    )
  done
  # Ready-made Java client configs (mode 600, they hold passwords) for `kafka.sh tool ... --command-config F`:
  #   client-sasl.properties           finops, SCRAM-SHA-512 over SASL_SSL
  #   client-sasl-<user>.properties    admin / finops / limited, SCRAM-SHA-512
  #   client-sasl-scram256.properties  finops, SCRAM-SHA-256
  #   client-sasl-plain.properties     finops, PLAIN
  #   client-mtls.properties           SSL listener, client certificate CN=finops-client (PKCS12)
  (
    umask 077
    local u
    sasl_props() { # user mechanism login-module
      printf '%s\n' "# kafka-finops test cluster: SASL_SSL ($2) as $1, bootstrap $(bootstrap sasl_ssl)" \
        "security.protocol=SASL_SSL" "sasl.mechanism=$2" \
        "sasl.jaas.config=org.apache.kafka.common.security.$3 required username=\"$1\" password=\"$(secret "$1")\";" \
        "ssl.truststore.type=PEM" "ssl.truststore.location=$RUN/tls/ca.pem"
    }
    for u in "${USERS[@]}"; do
      sasl_props "$u" SCRAM-SHA-512 scram.ScramLoginModule >"$RUN/client-sasl-$u.properties"
    done
    sasl_props finops SCRAM-SHA-512 scram.ScramLoginModule >"$RUN/client-sasl.properties"
    sasl_props finops SCRAM-SHA-256 scram.ScramLoginModule >"$RUN/client-sasl-scram256.properties"
    sasl_props finops PLAIN plain.PlainLoginModule >"$RUN/client-sasl-plain.properties"
    printf '%s\n' "# kafka-finops test cluster: mutual TLS as CN=$CLIENT_CN, bootstrap $(bootstrap ssl)" \
      "security.protocol=SSL" "ssl.keystore.type=PKCS12" "ssl.keystore.location=$RUN/tls/client.p12" \
      "ssl.keystore.password=$(secret tls)" "ssl.key.password=$(secret tls)" \
      "ssl.truststore.type=PEM" "ssl.truststore.location=$RUN/tls/ca.pem" >"$RUN/client-mtls.properties"
  )
}

format_storage() {
  # kafka-storage format (kafka.tools.StorageTool, in the core jar) writes meta.properties and the bootstrap
  # metadata, including the SCRAM credentials of every user (SHA-512 and SHA-256): in KRaft they can be created
  # before the cluster first starts only this way. The three nodes are formatted in parallel with one cluster id.
  # (The passwords are on the StorageTool command line for the second it runs: a local, test-only exposure.)
  local cid n pids=() scram=() u
  cid=$(<"$RUN/cluster.id")
  for u in "${USERS[@]}"; do
    scram+=(--add-scram "SCRAM-SHA-512=[name=$u,password=$(secret "$u")]")
    scram+=(--add-scram "SCRAM-SHA-256=[name=$u,password=$(secret "$u")]")
  done
  for n in "${NODES[@]}"; do
    java_tool kafka.tools.StorageTool format --config "$RUN/node-$n/server.properties" --cluster-id "$cid" \
      --ignore-formatted "${scram[@]}" >"$RUN/node-$n/logs/format.log" 2>&1 &
    pids+=($!)
  done
  local i rc=0
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      rc=1
      log "formatting node ${NODES[$i]} failed:"
      cat "$RUN/node-${NODES[$i]}/logs/format.log" >&2
    fi
  done
  ((rc == 0)) || die "storage format failed"
}

init_run_dir() {
  check_run_dir
  if [[ -f $RUN/.initialized ]]; then
    make_secrets # no-ops when everything is there; repair a hand-deleted file
    make_tls
    render_configs
    # A log dir the template added since (node 3's data2) is formatted now; formatted ones are left as they are.
    if [[ ! -f $RUN/node-3/data2/meta.properties ]]; then
      log "formatting a log dir added since the run dir was made"
      format_storage
    fi
    return 0
  fi
  log "initialising run dir $RUN (secrets, CA and certificates, configs, storage format)"
  mkdir -p "$RUN"
  touch "$RUN/.kafka-finops-run"
  # Anything from an interrupted init goes: data formatted with other secrets or another cluster id is useless.
  local n
  for n in "${NODES[@]}"; do rm -rf "$RUN/node-$n"; done
  rm -rf "$RUN/tls" "$RUN/secrets" "$RUN/cluster.id" "$RUN/.acls-created" "$RUN"/client-*.properties
  make_secrets
  make_tls
  # A KRaft cluster id is 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints).
  openssl rand 16 | base64 | tr '+/' '-_' | tr -d '=\n' >"$RUN/cluster.id"
  render_configs
  format_storage
  touch "$RUN/.initialized"
}

# ---------------------------------------------------------------------------------------------------------------
# start / wait / ACLs
# ---------------------------------------------------------------------------------------------------------------
build_iam_handler() {
  # The IAM listener's server callback handler, compiled with the JDK against the cached kafka-clients jar; again
  # whenever its source is newer than its classes.
  local src=$CI_KAFKA_DIR/MskIamValidator.java class=$IAM_HANDLER/kafkafinops/ci/MskIamValidator.class
  [[ -f $class && ! $src -nt $class ]] && return 0
  command -v javac >/dev/null || die "javac not found: the IAM listener's handler is compiled with the JDK"
  rm -rf "$IAM_HANDLER.tmp"
  javac -nowarn -d "$IAM_HANDLER.tmp" -cp "$CLASSPATH_GLOB" "$src" >"$RUN/iam-handler.log" 2>&1 || {
    cat "$RUN/iam-handler.log" >&2
    die "compiling $src failed"
  }
  rm -rf "$IAM_HANDLER"
  mv "$IAM_HANDLER.tmp" "$IAM_HANDLER"
}

start_node() {
  local n=$1 d=$RUN/node-$1
  # nohup + </dev/null: the node outlives this script and the shell that ran it. nohup execs java, so $! is the
  # JVM's PID. The two -Dkafka.finops.* properties are only markers for node_pid() to recognise the process.
  # 8>&- 9>&-: the node must not inherit (and so hold for its whole life) this script's lock files.
  # shellcheck disable=SC2086 # heap and JVM options are lists of flags
  nohup java $BROKER_HEAP $BROKER_JVM_OPTS -Djava.awt.headless=true \
    -Dkafka.finops.node="$n" -Dkafka.finops.run="$RUN" \
    -Dlog4j2.configurationFile="$CI_KAFKA_DIR/log4j2.xml" -Dkafka.logs.dir="$d/logs" \
    -cp "$CLASSPATH_GLOB:$IAM_HANDLER" kafka.Kafka "$d/server.properties" </dev/null >>"$d/logs/stdout.log" 2>&1 8>&- 9>&- &
  echo $! >"$(pid_file "$n")"
}

wait_ready() {
  # Ready = every node's PLAINTEXT port accepts connections AND the cluster reports all three brokers (with their
  # racks) to an ApiVersions probe of each broker. Fails fast if a node dies, gives up at the deadline.
  local deadline=$(($(date +%s) + READY_TIMEOUT)) n out ids left
  while :; do
    for n in "${NODES[@]}"; do
      node_pid "$n" >/dev/null || {
        log "node $n exited during start-up"
        return 1
      }
    done
    local open=0
    for n in "${NODES[@]}"; do port_open "$(plaintext_port "$n")" && open=$((open + 1)); done
    left=$((deadline - $(date +%s)))
    if ((open == ${#NODES[@]} && left > 0)); then
      # BrokerApiVersionsCommand prints one "host:port (id: N rack: R ...) -> (" line per broker it reached.
      out=$(timeout -k 5 "$left" "${tool_cmd[@]}" org.apache.kafka.tools.BrokerApiVersionsCommand \
        --bootstrap-server "$(bootstrap plaintext)" 2>/dev/null) || true
      ids=$(grep -oE '\(id: [0-9]+ rack: [^ )]+' <<<"$out" | sort -u | wc -l)
      if ((ids == ${#NODES[@]})); then
        grep -oE '\(id: [0-9]+ rack: [^ )]+' <<<"$out" | sort -u | sed 's/^(/  broker /' >&2
        return 0
      fi
    fi
    (($(date +%s) < deadline)) || {
      log "not ready after ${READY_TIMEOUT}s ($open/${#NODES[@]} PLAINTEXT ports open)"
      return 1
    }
    sleep 1
  done
}

create_acls() {
  # The read-only collector's rights, given to the SCRAM/PLAIN user finops and to the mTLS principal; `limited`
  # gets the same minus DescribeConfigs (tests of authorization failures). Done once per run dir (ACLs live in
  # the metadata log, so they survive restarts); adding an existing ACL is a no-op anyway. The admin CLI connects
  # on PLAINTEXT, whose principal User:ANONYMOUS is a super user. The three calls run in parallel.
  [[ -f $RUN/.acls-created ]] && return 0
  local bs cert="User:CN=$CLIENT_CN" pids=() p rc=0
  bs=$(bootstrap plaintext)
  java_tool org.apache.kafka.tools.AclCommand --bootstrap-server "$bs" --add \
    --allow-principal User:finops --allow-principal "$cert" \
    --operation Describe --operation DescribeConfigs --topic '*' --cluster >"$RUN/acls-1.log" 2>&1 &
  pids+=($!)
  java_tool org.apache.kafka.tools.AclCommand --bootstrap-server "$bs" --add \
    --allow-principal User:finops --allow-principal "$cert" --allow-principal User:limited \
    --operation Describe --group '*' >"$RUN/acls-2.log" 2>&1 &
  pids+=($!)
  java_tool org.apache.kafka.tools.AclCommand --bootstrap-server "$bs" --add \
    --allow-principal User:limited --operation Describe --topic '*' --cluster >"$RUN/acls-3.log" 2>&1 &
  pids+=($!)
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  if ((rc != 0)); then
    cat "$RUN"/acls-*.log >&2
    return 1
  fi
  cat "$RUN"/acls-*.log >"$RUN/acls.log"
  rm -f "$RUN"/acls-[0-9].log
  touch "$RUN/.acls-created"
}

cmd_start() {
  local t0 n running
  t0=$(now_ms)
  command -v java >/dev/null || die "java not found"
  check_run_dir
  lock_run_dir
  running=$(running_count)
  if ((running == ${#NODES[@]})); then
    log "already running (3 nodes, run dir $RUN): nothing to do"
    return 0
  fi
  ensure_libs
  # A port taken by someone else would make a node fail late and obscurely: check first. (Ports of nodes of
  # ours that are already up are of course taken: only the ports of nodes to be started are checked.)
  local p
  for n in "${NODES[@]}"; do
    node_pid "$n" >/dev/null && continue
    for p in $(plaintext_port "$n") $(sasl_ssl_port "$n") $(controller_port "$n") $(ssl_port "$n") $(iam_port "$n"); do
      port_open "$p" && die "port $HOST:$p is already in use by another process"
    done
  done
  init_run_dir
  build_iam_handler
  local t1
  t1=$(now_ms)
  for n in "${NODES[@]}"; do
    if node_pid "$n" >/dev/null; then
      log "node $n already running"
    else
      rm -f "$(pid_file "$n")"
      start_node "$n"
    fi
  done
  log "run dir ready after $(since "$t0"); started nodes (pids:" \
    "$(for n in "${NODES[@]}"; do node_pid "$n" || echo '?'; done | tr '\n' ' ')), waiting up to ${READY_TIMEOUT}s"
  if ! wait_ready; then
    print_log_tails
    if [[ ${KAFKA_FINOPS_KEEP_ON_FAILURE:-0} != 1 ]]; then
      log "stopping the nodes (set KAFKA_FINOPS_KEEP_ON_FAILURE=1 to keep them)"
      cmd_stop || true
    fi
    die "the cluster did not become ready"
  fi
  log "brokers ready $(since "$t1") after launch"
  create_acls || {
    cmd_stop || true
    die "creating the ACLs failed"
  }
  log "Kafka $KAFKA_VERSION test cluster ready in $(since "$t0") (total);" \
    "PLAINTEXT $(bootstrap plaintext); use: eval \"\$(bash ci/kafka.sh env)\""
}

cmd_stop() {
  # SIGTERM to every node at once (a clean controlled shutdown), wait up to STOP_TIMEOUT, then SIGKILL what is
  # left and wait again (bounded). Only PIDs from our pid files that node_pid() recognises are signalled.
  local n pid pids=() deadline
  check_run_dir
  [[ -d $RUN ]] && lock_run_dir
  for n in "${NODES[@]}"; do
    if pid=$(node_pid "$n"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$n:$pid")
    else
      rm -f "$(pid_file "$n")"
    fi
  done
  if ((${#pids[@]} == 0)); then
    log "not running"
    return 0
  fi
  log "stopping nodes ${pids[*]} (node:pid)"
  deadline=$(($(date +%s) + STOP_TIMEOUT))
  while (($(running_count) > 0 && $(date +%s) < deadline)); do sleep 0.5; done
  for n in "${NODES[@]}"; do
    if pid=$(node_pid "$n"); then
      log "node $n (pid $pid) still alive after ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  deadline=$(($(date +%s) + 10))
  while (($(running_count) > 0 && $(date +%s) < deadline)); do sleep 0.2; done
  (($(running_count) == 0)) || die "some nodes survived SIGKILL"
  for n in "${NODES[@]}"; do rm -f "$(pid_file "$n")"; done
  log "stopped"
}

cmd_status() {
  local n pid c=0
  for n in "${NODES[@]}"; do
    if pid=$(node_pid "$n"); then
      c=$((c + 1))
      echo "node $n (rack ${RACKS[$n]}): running, pid $pid, PLAINTEXT $HOST:$(plaintext_port "$n")"
    else
      echo "node $n (rack ${RACKS[$n]}): stopped"
    fi
  done
  echo "$c/${#NODES[@]} nodes running (run dir $RUN)"
  ((c == ${#NODES[@]})) || return 3
}

cmd_env() {
  # Plain values are printed bare (easy to parse too); anything else (the classpath's *) in single quotes, so that
  # eval keeps it literal for the JVM.
  local kv v
  for kv in \
    "KAFKA_FINOPS_BOOTSTRAP=$(bootstrap plaintext)" \
    "KAFKA_FINOPS_SASL_BOOTSTRAP=$(bootstrap sasl_ssl)" \
    "KAFKA_FINOPS_SSL_BOOTSTRAP=$(bootstrap ssl)" \
    "KAFKA_FINOPS_IAM_BOOTSTRAP=$(bootstrap iam)" \
    "KAFKA_FINOPS_IAM_HANDLER=$IAM_HANDLER" \
    "KAFKA_FINOPS_CA=$RUN/tls/ca.pem" \
    "KAFKA_FINOPS_CLIENT_CERT=$RUN/tls/client.pem" \
    "KAFKA_FINOPS_CLIENT_KEY=$RUN/tls/client.key" \
    "KAFKA_FINOPS_SECRETS=$RUN/secrets" \
    "KAFKA_FINOPS_KAFKA_RUN=$RUN" \
    "KAFKA_FINOPS_KAFKA_VERSION=$KAFKA_VERSION" \
    "KAFKA_FINOPS_KAFKA_CLASSPATH=$CLASSPATH_GLOB"; do
    v=${kv#*=}
    if [[ $v =~ ^[A-Za-z0-9_./:,@%+=-]+$ ]]; then
      printf 'export %s=%s\n' "${kv%%=*}" "$v"
    else
      printf "export %s='%s'\n" "${kv%%=*}" "${v//\'/\'\\\'\'}"
    fi
  done
}

cmd_tool() {
  (($# >= 1)) || die "usage: kafka.sh tool <main-class> [args...]"
  ensure_libs
  local class=$1
  shift
  # exec: the tool's exit code is ours, and signals reach it directly.
  exec "${tool_cmd[@]}" "$class" "$@"
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
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  (($# > 0)) && shift
  case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    tool) cmd_tool "$@" ;;
    fetch) ensure_libs && echo "$LIBS" ;;
    reset) cmd_reset ;;
    -h | --help | help | "") usage ;;
    *)
      local class
      class=$(tool_class "$cmd") || {
        usage >&2
        die "unknown command '$cmd'"
      }
      cmd_tool "$class" "$@"
      ;;
  esac
}

main "$@"
