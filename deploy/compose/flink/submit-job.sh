#!/usr/bin/env bash
# One-shot step of the docker compose sandbox: submits the streaming-lstm job, detached, to the session cluster at
# JOBMANAGER_REST. Its arguments are the job's flags (see `bin/streaming-lstm sandbox --help`). If a job named
# streaming-lstm is already there and not finished (a second `docker compose up`), it is left alone.
set -euo pipefail

: "${JOBMANAGER_REST:?JOBMANAGER_REST must name the JobManager REST endpoint, e.g. jobmanager:8081}"
: "${JOB_JAR:?JOB_JAR must name the job jar}"
JOB_NAME=streaming-lstm
JOB_CLASS=dev.streaminglstm.job.StreamingLstmJob

if [[ ! -f "$JOB_JAR" ]]; then
  echo "submit-job: the job jar $JOB_JAR is not in the image" >&2
  exit 2
fi
# `flink list` prints "<time> : <job id> : <name> (<state>)" for every running, restarting or scheduled job
jobs="$(flink list --jobmanager "$JOBMANAGER_REST")"
if grep -qF " : $JOB_NAME (" <<< "$jobs"; then
  echo "submit-job: $JOB_NAME is already on $JOBMANAGER_REST; not submitting it again"
  exit 0
fi
exec flink run --detached --jobmanager "$JOBMANAGER_REST" --class "$JOB_CLASS" "$JOB_JAR" "$@"
