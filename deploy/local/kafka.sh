#!/usr/bin/env bash
# A local single-node Apache Kafka broker (KRaft), run from jars fetched from Maven Central.
#   deploy/local/kafka.sh start|stop|status|fetch
# Settings: KAFKA_VERSION (4.4.0; 3.9.1 is tested too), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
#   LOCAL_DIR (.local), KAFKA_HEAP (512m), KAFKA_START_SECONDS (180: how long start waits for the
#   broker to listen while it opens its logs), KAFKA_LIBS (jar folder, $LOCAL_DIR/kafka-libs-<version>),
#   KAFKA_EXTRA_PROPERTIES (a file appended to server.properties; a key given there overrides the
#   default, e.g. extra SASL listeners).
# Each version has jars and data of its own ($LOCAL_DIR/kafka/data-<version>): a folder formatted by
# Kafka 4.x is not readable by 3.x. stop and status find the running broker whichever its version.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
local_dir=${LOCAL_DIR:-$root/.local}
version=${KAFKA_VERSION:-4.4.0}
libs=${KAFKA_LIBS:-$local_dir/kafka-libs-$version}
home=$local_dir/kafka
data=$home/data-$version
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-9093}
pidfile=$home/kafka.pid
startfile=$home/kafka.started # "<version> <port>" of the broker the pid file names

log() { printf 'kafka: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# Field 1 (version) or 2 (port) of the running broker, empty if not recorded.
started() { [ -f "$startfile" ] && cut -d' ' -f"$1" "$startfile" || true; }

# The SLF4J backend: Kafka 4.x logs through log4j2, 3.x through reload4j (log4j 1.2's API).
logging() {
  case $version in
    3.*) echo reload4j ;;
    4.*) echo log4j2 ;;
  esac
}

check_version() {
  [[ $version =~ ^[34]\.[0-9]+\.[0-9]+$ ]] && return 0
  log "KAFKA_VERSION=$version: give a 3.x or 4.x release such as 4.4.0 or 3.9.1"; exit 2
}

fetch_jars() {
  check_version
  local stamp; stamp=$libs/.fetched-$version-$(sha1sum "$here/pom.xml" | cut -c1-12)
  [ -f "$stamp" ] && return 0
  log "fetching Kafka $version's jars from Maven Central (first time only, ~60 MB)…"
  rm -rf "$libs"
  mvn -B -q -f "$here/pom.xml" -Dkafka.version="$version" -P"$(logging)" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs"
  touch "$stamp"
  log "$(ls "$libs"/*.jar | wc -l) jars in $libs"
}

write_config() {
  mkdir -p "$data"
  cat >"$home/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=-1
# As on the topics the workers create (streams.topics.TOPIC_MAX_MESSAGE_BYTES).
message.max.bytes=10485760
replica.fetch.max.bytes=10485760
PROPS
  if [ -n "${KAFKA_EXTRA_PROPERTIES:-}" ]; then cat "$KAFKA_EXTRA_PROPERTIES" >>"$home/server.properties"; fi
  # Warnings and the broker's start-up lines, to server.log.
  if [ "$(logging)" = log4j2 ]; then
    cat >"$home/log4j2.properties" <<PROPS
appender.file.type=File
appender.file.name=file
appender.file.fileName=$home/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=warn
rootLogger.appenderRef.file.ref=file
logger.broker.name=kafka.server.BrokerServer
logger.broker.level=info
logger.raft.name=kafka.server.KafkaRaftServer
logger.raft.level=info
PROPS
  else
    cat >"$home/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.logger.kafka.server.BrokerServer=INFO
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$home/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
  fi
}

jvm_args() {
  printf '%s\n' -Xms256m "-Xmx${KAFKA_HEAP:-512m}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1
  if [ "$(logging)" = log4j2 ]; then
    printf '%s\n' "-Dlog4j2.configurationFile=$home/log4j2.properties"
  else
    printf '%s\n' "-Dlog4j.configuration=file:$home/log4j.properties"
  fi
  printf '%s\n' -cp "$libs/*"
}

java_cmd() { local args; mapfile -t args < <(jvm_args); java "${args[@]}" "$@"; }

start() {
  check_version
  if running; then
    if [ "$(started 1) $(started 2)" = "$version $port" ]; then
      log "Kafka $version already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"; return 0
    fi
    local other="a broker of unknown version"
    [ -f "$startfile" ] && other="Kafka $(started 1) on port $(started 2)"
    log "$other is running (pid $(cat "$pidfile")), not Kafka $version on port $port:" \
      "stop it first (\`make down\` or \`$0 stop\`)"
    exit 1
  fi
  if port_open "$port"; then log "port $port is taken by another process; set KAFKA_PORT"; exit 1; fi
  fetch_jars
  write_config
  if [ ! -f "$data/meta.properties" ]; then
    java_cmd kafka.tools.StorageTool format -t "$(java_cmd kafka.tools.StorageTool random-uuid)" \
      -c "$home/server.properties" >"$home/format.log" 2>&1 || { cat "$home/format.log" >&2; exit 1; }
  fi
  # setsid: the broker outlives this script and ignores the Ctrl-C sent to `make run`'s group.
  local args; mapfile -t args < <(jvm_args)
  nohup setsid java "${args[@]}" kafka.Kafka "$home/server.properties" >"$home/stdout.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  echo "$version $port" >"$startfile"
  # A broker with much data takes a while to open its logs: wait as long as it is alive.
  local limit=${KAFKA_START_SECONDS:-180}
  local deadline=$((SECONDS + limit))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if port_open "$port"; then log "Kafka $version ready on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return 0; fi
    running || { log "broker exited; see $home/stdout.log"; tail -n 20 "$home/stdout.log" >&2; exit 1; }
    sleep 0.5
  done
  log "not ready after $limit s, still starting (pid $(cat "$pidfile")); see $home/server.log," \
    "set KAFKA_START_SECONDS to wait longer, or \`$0 stop\`"
  exit 1
}

stop() {
  running || { rm -f "$pidfile" "$startfile"; return 0; }
  local pid; pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile" "$startfile"; log "stopped"; return 0; }
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true; rm -f "$pidfile" "$startfile"; log "killed"
}

status() {
  if ! running; then echo stopped; exit 1; fi
  local other_port other_version; other_port=$(started 2); other_version=$(started 1)
  echo "running pid $(cat "$pidfile") port ${other_port:-$port} version ${other_version:-unknown}"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  fetch) fetch_jars ;;
  *) echo "usage: $0 start|stop|status|fetch" >&2; exit 2 ;;
esac
