#!/usr/bin/env bash
# Submits the streaming-lstm job jar to a Flink session cluster (standalone, Docker, or a session deployment on
# Kubernetes) through its REST API, optionally from a savepoint. Prints the job id last.
#
#   submit.sh [-p PARALLELISM] [-s SAVEPOINT] JAR -- JOB_FLAGS...
#
# REST calls: POST /jars/upload (the jar), POST /jars/<jar-id>/run (entry class, flags, parallelism, savepoint).
# The same with Flink's CLI: flink run --detached [-p N] [-s SAVEPOINT] JAR JOB_FLAGS...
# JOB_FLAGS are the job's flags (JobConfig), e.g. --bootstrap-servers kafka:9092 --store s3://bucket/models.
# Environment: FLINK_REST_URL (default http://localhost:8081).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/flink-rest.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/flink-rest.sh"

ENTRY_CLASS=dev.streaminglstm.job.StreamingLstmJob

usage() {
  echo "usage: $SCRIPT [-p PARALLELISM] [-s SAVEPOINT] JAR -- JOB_FLAGS..." >&2
  exit 2
}

parallelism=""
savepoint=""
while getopts ":p:s:h" option; do
  case "$option" in
    p) parallelism="$OPTARG" ;;
    s) savepoint="$OPTARG" ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -ge 2 && "$2" == "--" ]] || usage
jar="$1"
shift 2
[[ $# -gt 0 ]] || { echo "$SCRIPT: no job flags after --" >&2; usage; }
[[ -f "$jar" ]] || die "no jar at $jar (build it: mvn -pl job-jar -am package)"
[[ -z "$parallelism" ]] || require_whole_number "-p" "$parallelism"
require_tools

jar_id="$(upload_jar "$jar")"
request="$(jq -cn --arg entry "$ENTRY_CLASS" --arg parallelism "$parallelism" --arg savepoint "$savepoint" \
  '{entryClass: $entry, programArgsList: $ARGS.positional}
   + (if $parallelism == "" then {} else {parallelism: ($parallelism | tonumber)} end)
   + (if $savepoint == "" then {} else {savepointPath: $savepoint, allowNonRestoredState: false} end)' \
  --args -- "$@")"
job_id="$(rest POST "/jars/$jar_id/run" "$request" | jq -er '.jobid')"
echo "$SCRIPT: submitted job $job_id${savepoint:+ from $savepoint}" >&2
echo "$job_id"
