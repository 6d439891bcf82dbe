#!/usr/bin/env bash
# Stops a job with a savepoint (sources stop, a last savepoint is taken, the job finishes) and waits until it has
# finished. Prints the savepoint's location last: resume.sh starts the job again from it.
#
#   stop-with-savepoint.sh JOB_ID [TARGET_DIRECTORY]
#
# Without TARGET_DIRECTORY the cluster's execution.checkpointing.savepoint-dir is used. The job is not drained
# (no end-of-input is sent), so per-stream state stays as it was for the resumed job.
# REST calls: POST /jobs/<job>/stop {"drain": false, ...}, GET /jobs/<job>/savepoints/<trigger> until it completes,
# GET /jobs/<job> until FINISHED. The same with Flink's CLI: flink stop [--savepointPath DIR] JOB_ID
# Environment: FLINK_REST_URL (default http://localhost:8081), FLINK_REST_TIMEOUT_SECONDS (default 600).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/flink-rest.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/flink-rest.sh"

if [[ $# -lt 1 || $# -gt 2 || "$1" == -* ]]; then
  echo "usage: $SCRIPT JOB_ID [TARGET_DIRECTORY]" >&2
  exit 2
fi
job="$1"
target="${2:-}"
require_job_id "$job"
require_tools

request="$(jq -cn --arg target "$target" \
  '{drain: false, formatType: "CANONICAL"} + (if $target == "" then {} else {targetDirectory: $target} end)')"
trigger="$(rest POST "/jobs/$job/stop" "$request" | jq -er '.["request-id"]')"
location="$(await_savepoint "$job" "$trigger")"
await_job_state "$job" FINISHED
echo "$SCRIPT: job $job stopped; savepoint at $location" >&2
echo "$location"
