#!/usr/bin/env bash
# Takes a savepoint of a running job and leaves the job running. Prints the savepoint's location last.
#
#   savepoint.sh JOB_ID [TARGET_DIRECTORY]
#
# Without TARGET_DIRECTORY the cluster's execution.checkpointing.savepoint-dir is used.
# REST calls: POST /jobs/<job>/savepoints {"cancel-job": false, ...}, then GET /jobs/<job>/savepoints/<trigger>
# until it completes. The same with Flink's CLI: flink savepoint JOB_ID [TARGET_DIRECTORY]
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
  '{"cancel-job": false, formatType: "CANONICAL"} + (if $target == "" then {} else {"target-directory": $target} end)')"
trigger="$(rest POST "/jobs/$job/savepoints" "$request" | jq -er '.["request-id"]')"
location="$(await_savepoint "$job" "$trigger")"
echo "$SCRIPT: savepoint of job $job at $location" >&2
echo "$location"
