# Sourced by the scripts in deploy/scripts (not run on its own): Flink's REST API with curl and jq.
#
# FLINK_REST_URL  the JobManager's REST endpoint, default http://localhost:8081 (for a cluster on Kubernetes,
#                 `kubectl port-forward svc/<name>-rest 8081` first)
# FLINK_REST_TIMEOUT_SECONDS  how long to wait for a savepoint or a job state, default 600
#
# Every request is echoed to stderr as "METHOD URL [BODY]"; responses are JSON on stdout.

FLINK_REST_URL="${FLINK_REST_URL:-http://localhost:8081}"
FLINK_REST_URL="${FLINK_REST_URL%/}"
FLINK_REST_TIMEOUT_SECONDS="${FLINK_REST_TIMEOUT_SECONDS:-600}"
SCRIPT="$(basename "$0")"

die() {
  echo "$SCRIPT: $*" >&2
  exit 1
}

require_tools() {
  local tool
  for tool in curl jq; do
    command -v "$tool" > /dev/null || die "needs $tool on the PATH"
  done
}

require_job_id() {
  [[ "$1" =~ ^[0-9a-f]{32}$ ]] || die "'$1' is not a Flink job id (32 hex digits; see GET $FLINK_REST_URL/jobs)"
}

require_whole_number() {
  [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a whole number above 0, was '$2'"
}

# rest METHOD PATH [JSON-BODY]: prints the response body; dies with it on a status other than 2xx.
rest() {
  echo "$SCRIPT: $1 $FLINK_REST_URL$2${3:+ $3}" >&2
  rest_quietly "$@"
}

# rest_quietly METHOD PATH [JSON-BODY]: rest without echoing the call (for polling).
rest_quietly() {
  local method="$1" path="$2" body="${3:-}" response status
  local args=(-sS -X "$method" -w '\n%{http_code}' "$FLINK_REST_URL$path")
  if [[ -n "$body" ]]; then
    args+=(-H 'Content-Type: application/json' -d "$body")
  fi
  response="$(curl "${args[@]}")" || die "cannot reach $FLINK_REST_URL"
  status="${response##*$'\n'}"
  response="${response%$'\n'*}"
  [[ "$status" == 2* ]] || die "$method $path answered $status: $response"
  printf '%s\n' "$response"
}

# upload_jar JAR: POST /jars/upload; prints the id the cluster gives the jar.
upload_jar() {
  local jar="$1" response status
  echo "$SCRIPT: POST $FLINK_REST_URL/jars/upload (jarfile=@$jar)" >&2
  response="$(curl -sS -X POST -H 'Expect:' -F "jarfile=@$jar;type=application/x-java-archive" \
    -w '\n%{http_code}' "$FLINK_REST_URL/jars/upload")" || die "cannot reach $FLINK_REST_URL"
  status="${response##*$'\n'}"
  response="${response%$'\n'*}"
  [[ "$status" == 2* ]] || die "uploading $jar answered $status: $response"
  basename "$(jq -er '.filename' <<< "$response")"
}

# await_job_state JOB_ID STATE: waits until the job is in STATE; dies if it ends in another state.
await_job_state() {
  local job="$1" wanted="$2" state="" deadline=$((SECONDS + FLINK_REST_TIMEOUT_SECONDS))
  echo "$SCRIPT: GET $FLINK_REST_URL/jobs/$job every 2 s until its state is $wanted" >&2
  while (( SECONDS < deadline )); do
    state="$(rest_quietly GET "/jobs/$job" | jq -er '.state')"
    if [[ "$state" == "$wanted" ]]; then
      return 0
    fi
    case "$state" in
      FINISHED | CANCELED | FAILED) die "job $job ended $state, not $wanted" ;;
    esac
    sleep 2
  done
  die "job $job not $wanted within $FLINK_REST_TIMEOUT_SECONDS s (last state: ${state:-unknown})"
}

# await_savepoint JOB_ID TRIGGER_ID: polls GET /jobs/JOB/savepoints/TRIGGER (savepoints and stop-with-savepoint
# alike) until it completes; prints the savepoint's location, dies with the failure cause.
await_savepoint() {
  local job="$1" trigger="$2" response deadline=$((SECONDS + FLINK_REST_TIMEOUT_SECONDS))
  echo "$SCRIPT: GET $FLINK_REST_URL/jobs/$job/savepoints/$trigger every 2 s until it completes" >&2
  while (( SECONDS < deadline )); do
    response="$(rest_quietly GET "/jobs/$job/savepoints/$trigger")"
    if [[ "$(jq -r '.status.id' <<< "$response")" == "COMPLETED" ]]; then
      if jq -e '.operation.location' <<< "$response" > /dev/null; then
        jq -r '.operation.location' <<< "$response"
        return 0
      fi
      die "savepoint of job $job failed: $(jq -r '.operation."failure-cause"."stack-trace" // .operation' \
        <<< "$response" | head -n 5)"
    fi
    sleep 2
  done
  die "savepoint of job $job not complete within $FLINK_REST_TIMEOUT_SECONDS s"
}
