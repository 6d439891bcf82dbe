#!/usr/bin/env bash
# Creates the streaming-lstm topics on a production Kafka cluster with kafka-topics.sh: the input topic and the
# prediction topic with --partitions partitions, the dead-letter topic with one, all with --replication-factor
# replicas and min.insync.replicas of min(2, replicas). A topic that exists is left as it is (its partition count is
# printed by the final --describe). The names must be the job's --input-topic, --prediction-topic and
# --dead-letter-topic (deploy/k8s/flink-deployment.yaml).
#
# SASL: with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD in the environment (as the Kubernetes Job in this folder
# sets them from the streaming-lstm-kafka Secret), a client configuration for SASL_SSL/SCRAM-SHA-512 is written to a
# private temporary file; or pass your own with --command-config.
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: create-topics.sh --bootstrap-server HOST:PORT[,HOST:PORT...] [options]
  --partitions N           partitions of the input and prediction topics (default 12): the most subtasks that
                           can read the input in parallel
  --replication-factor N   replicas of every topic (default 3)
  --input-topic NAME       default text-in
  --prediction-topic NAME  default predictions
  --dead-letter-topic NAME default text-dlq
  --retention-ms MS        retention of the input and prediction topics (default 604800000, 7 days); dead
                           letters are kept 30 days
  --command-config FILE    Kafka client properties (security settings) for kafka-topics.sh
environment: KAFKA_TOPICS (default kafka-topics.sh on PATH), KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD,
             KAFKA_SASL_MECHANISM (default SCRAM-SHA-512), KAFKA_SECURITY_PROTOCOL (default SASL_SSL)
USAGE
  exit 2
}

fail() {
  echo "create-topics: $*" >&2
  exit 2
}

whole_number() {
  [[ "$2" =~ ^[1-9][0-9]*$ ]] || fail "$1 must be a whole number above 0, was '$2'"
}

bootstrap=""
partitions=12
replication=3
input_topic=text-in
prediction_topic=predictions
dead_letter_topic=text-dlq
retention_ms=604800000
command_config=""
while [[ $# -gt 0 ]]; do
  [[ "$1" != "-h" && "$1" != "--help" ]] || usage
  [[ $# -ge 2 ]] || { echo "create-topics: $1 needs a value" >&2; usage; }
  case "$1" in
    --bootstrap-server) bootstrap="$2" ;;
    --partitions) partitions="$2" ;;
    --replication-factor) replication="$2" ;;
    --input-topic) input_topic="$2" ;;
    --prediction-topic) prediction_topic="$2" ;;
    --dead-letter-topic) dead_letter_topic="$2" ;;
    --retention-ms) retention_ms="$2" ;;
    --command-config) command_config="$2" ;;
    *) echo "create-topics: unknown option $1" >&2; usage ;;
  esac
  shift 2
done
[[ -n "$bootstrap" ]] || { echo "create-topics: --bootstrap-server is required" >&2; usage; }
whole_number --partitions "$partitions"
whole_number --replication-factor "$replication"
whole_number --retention-ms "$retention_ms"
for topic in "$input_topic" "$prediction_topic" "$dead_letter_topic"; do
  [[ "$topic" =~ ^[a-zA-Z0-9._-]{1,249}$ ]] || fail "'$topic' is not a Kafka topic name"
done
KAFKA_TOPICS="${KAFKA_TOPICS:-kafka-topics.sh}"
command -v "$KAFKA_TOPICS" > /dev/null || fail "$KAFKA_TOPICS not found; set KAFKA_TOPICS to Kafka's bin/kafka-topics.sh"

if [[ -z "$command_config" && -n "${KAFKA_SASL_USERNAME:-}" ]]; then
  : "${KAFKA_SASL_PASSWORD:?KAFKA_SASL_PASSWORD must be set with KAFKA_SASL_USERNAME}"
  umask 077
  command_config="$(mktemp)"
  trap 'rm -f "$command_config"' EXIT
  cat > "$command_config" <<PROPERTIES
security.protocol=${KAFKA_SECURITY_PROTOCOL:-SASL_SSL}
sasl.mechanism=${KAFKA_SASL_MECHANISM:-SCRAM-SHA-512}
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${KAFKA_SASL_USERNAME}" password="${KAFKA_SASL_PASSWORD}";
PROPERTIES
fi
client=(--bootstrap-server "$bootstrap")
if [[ -n "$command_config" ]]; then
  [[ -r "$command_config" ]] || fail "cannot read --command-config $command_config"
  client+=(--command-config "$command_config")
fi
min_isr=$(( replication < 2 ? 1 : 2 ))

create() {
  local topic="$1" topic_partitions="$2" retention="$3"
  echo "create-topics: $topic ($topic_partitions partitions, $replication replicas)"
  "$KAFKA_TOPICS" "${client[@]}" --create --if-not-exists --topic "$topic" \
    --partitions "$topic_partitions" --replication-factor "$replication" \
    --config "min.insync.replicas=$min_isr" --config "retention.ms=$retention" --config cleanup.policy=delete
}

create "$input_topic" "$partitions" "$retention_ms"
create "$prediction_topic" "$partitions" "$retention_ms"
create "$dead_letter_topic" 1 2592000000
"$KAFKA_TOPICS" "${client[@]}" --describe --topic "$input_topic|$prediction_topic|$dead_letter_topic"
