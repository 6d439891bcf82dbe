#!/usr/bin/env bash
# Entrypoint of the streaming-lstm image (deploy/Dockerfile). A streaming-lstm subcommand (as listed in
# /opt/streaming-lstm/commands.txt, which the image build takes from `streaming-lstm --help`) or `streaming-lstm ...`
# runs the command line; anything else goes to Flink's entrypoint as in the plain flink image (jobmanager,
# taskmanager, bash, flink, ...). Both ways pass through Flink's entrypoint, which applies FLINK_PROPERTIES and
# ENABLE_BUILT_IN_PLUGINS and drops root privileges.
set -euo pipefail
COMMANDS=/opt/streaming-lstm/commands.txt

if [[ $# -gt 0 && "$1" != "streaming-lstm" ]] && grep -qxF -- "$1" "$COMMANDS"; then
  exec /docker-entrypoint.sh streaming-lstm "$@"
fi
exec /docker-entrypoint.sh "$@"
