#!/usr/bin/env bash
# Starts the job again from a savepoint (or a retained checkpoint) with the same flags it ran with. Prints the new
# job id last. Operator state is matched by the operators' uids, so the flags may change settings, not the graph.
#
#   resume.sh SAVEPOINT [-p PARALLELISM] JAR -- JOB_FLAGS...
#
# REST calls: those of submit.sh, with "savepointPath" in POST /jars/<jar-id>/run.
# The same with Flink's CLI: flink run --detached -s SAVEPOINT [-p N] JAR JOB_FLAGS...
# Environment: FLINK_REST_URL (default http://localhost:8081).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/flink-rest.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/flink-rest.sh"

if [[ $# -lt 3 || "$1" == -* ]]; then
  echo "usage: $SCRIPT SAVEPOINT [-p PARALLELISM] JAR -- JOB_FLAGS..." >&2
  exit 2
fi
savepoint="$1"
shift
exec "$(dirname "${BASH_SOURCE[0]}")/submit.sh" -s "$savepoint" "$@"
