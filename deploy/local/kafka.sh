#!/usr/bin/env bash
# A local single-node Apache Kafka broker (KRaft), run from jars fetched from Maven Central.
#   deploy/local/kafka.sh start|stop|status
# Settings: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), LOCAL_DIR (.local), KAFKA_HEAP (512m),
#   KAFKA_LIBS (jar folder, $LOCAL_DIR/kafka-libs), KAFKA_EXTRA_PROPERTIES (a file appended to
#   server.properties; a key given there overrides the default, e.g. extra SASL listeners).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
local_dir=${LOCAL_DIR:-$root/.local}
libs=${KAFKA_LIBS:-$local_dir/kafka-libs}
home=$local_dir/kafka
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-9093}
pidfile=$home/kafka.pid

log() { printf 'kafka: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

fetch_jars() {
  local stamp=$libs/.fetched-$(sha1sum "$here/pom.xml" | cut -c1-12)
  [ -f "$stamp" ] && return 0
  log "fetching broker jars from Maven Central (first time only, ~60 MB)…"
  rm -rf "$libs"
  mvn -B -q -f "$here/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs"
  touch "$stamp"
  log "$(ls "$libs"/*.jar | wc -l) jars in $libs"
}

write_config() {
  mkdir -p "$home/data"
  cat >"$home/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$home/data
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
  cat >"$home/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$home/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
}

jvm_args() {
  printf '%s\n' -Xms256m "-Xmx${KAFKA_HEAP:-512m}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    "-Dlog4j.configuration=file:$home/log4j.properties" -cp "$libs/*"
}

java_cmd() { local args; mapfile -t args < <(jvm_args); java "${args[@]}" "$@"; }

start() {
  if running; then log "already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"; return 0; fi
  if port_open "$port"; then log "port $port is taken by another process; set KAFKA_PORT"; exit 1; fi
  fetch_jars
  write_config
  if [ ! -f "$home/data/meta.properties" ]; then
    java_cmd kafka.tools.StorageTool format -t "$(java_cmd kafka.tools.StorageTool random-uuid)" \
      -c "$home/server.properties" >"$home/format.log" 2>&1 || { cat "$home/format.log" >&2; exit 1; }
  fi
  # setsid: the broker outlives this script and ignores the Ctrl-C sent to `make run`'s group.
  local args; mapfile -t args < <(jvm_args)
  nohup setsid java "${args[@]}" kafka.Kafka "$home/server.properties" >"$home/stdout.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    if port_open "$port"; then log "ready on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return 0; fi
    running || { log "broker exited; see $home/stdout.log"; tail -n 20 "$home/stdout.log" >&2; exit 1; }
    sleep 0.5
  done
  log "not ready after 60 s; see $home/server.log"; exit 1
}

stop() {
  running || { rm -f "$pidfile"; return 0; }
  local pid; pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; log "stopped"; return 0; }; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true; rm -f "$pidfile"; log "killed"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running pid $(cat "$pidfile") port $port"; else echo stopped; exit 1; fi ;;
  fetch) fetch_jars ;;
  *) echo "usage: $0 start|stop|status|fetch" >&2; exit 2 ;;
esac
