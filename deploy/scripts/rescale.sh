#!/usr/bin/env bash
# Changes a job's parallelism: stops it with a savepoint, then starts it from that savepoint with PARALLELISM as
# the default parallelism and as --parallelism (training) and --inference-parallelism. Prints the new job id last.
# Keyed state is redistributed over the new subtasks, up to the job's max parallelism (128 unless configured).
#
#   rescale.sh JOB_ID PARALLELISM JAR -- JOB_FLAGS...
#
# JOB_FLAGS are the job's other flags, as it ran with them, without --parallelism and --inference-parallelism.
# REST calls: those of stop-with-savepoint.sh, then those of submit.sh with "savepointPath" and "parallelism".
# The same with Flink's CLI: flink stop JOB_ID, then
#   flink run --detached -s SAVEPOINT -p N JAR JOB_FLAGS... --parallelism N --inference-parallelism N
# Environment: FLINK_REST_URL (default http://localhost:8081), FLINK_REST_TIMEOUT_SECONDS (default 600).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/flink-rest.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/flink-rest.sh"

usage() {
  echo "usage: $SCRIPT JOB_ID PARALLELISM JAR -- JOB_FLAGS... (without --parallelism, --inference-parallelism)" >&2
  exit 2
}

[[ $# -ge 5 && "$4" == "--" ]] || usage
job="$1"
parallelism="$2"
jar="$3"
shift 4
require_job_id "$job"
require_whole_number PARALLELISM "$parallelism"
[[ -f "$jar" ]] || die "no jar at $jar"
for flag in "$@"; do
  case "$flag" in
    --parallelism | --parallelism=* | --inference-parallelism | --inference-parallelism=*)
      die "leave $flag out of JOB_FLAGS: rescale sets it to $parallelism" ;;
  esac
done

here="$(dirname "${BASH_SOURCE[0]}")"
savepoint="$("$here/stop-with-savepoint.sh" "$job")"
if ! new_job="$("$here/submit.sh" -p "$parallelism" -s "$savepoint" "$jar" -- "$@" \
    --parallelism "$parallelism" --inference-parallelism "$parallelism")"; then
  die "job $job is stopped, but did not start again; resume it by hand from $savepoint (resume.sh)"
fi
echo "$SCRIPT: job $job is now $new_job with parallelism $parallelism" >&2
echo "$new_job"
