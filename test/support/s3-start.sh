#!/usr/bin/env bash
# Start the real S3 server the object-store tests use (one-node Ceph radosgw, by ../shared/tools/s3-ceph.sh)
# on ports that are free right now, and print its AWS_* environment.
#
#   s3-start.sh SCRIPT DIR
#
# Why not the script's default ports: a monitor already listening on 6789 (another project's Ceph on a
# shared CI machine, or one left running) makes our OSD register with the wrong cluster ("wrong fsid") and
# the start fails. Each attempt asks the kernel for two free ports; a failed attempt is stopped and retried.
# On a busy machine (the test workers loading their modules) a start can also fail inside Ceph: the OSD
# asks the monitor before it has the cluster's map ("wrong fsid", fsid 0000...) or `ceph osd new` gets
# EPERM. Seen three times in a row once (3 December); a later attempt, after a pause, finds the machine
# calmer. A failed attempt costs about 6 s.
set -euo pipefail
SCRIPT=${1:?usage: s3-start.sh SCRIPT DIR}; DIR=${2:?usage: s3-start.sh SCRIPT DIR}
ATTEMPTS=6
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
for attempt in $(seq 1 $ATTEMPTS); do
  PORT=$(free_port); MON_PORT=$(free_port)
  [ "$PORT" != "$MON_PORT" ] || continue
  if out=$(PORT=$PORT MON_PORT=$MON_PORT bash "$SCRIPT" start "$DIR") && grep -q '^AWS_ENDPOINT_URL=' <<<"$out"; then
    printf '%s\n' "$out"
    exit 0
  fi
  echo "s3-start: attempt $attempt (ports $PORT, $MON_PORT) failed; stopping it and trying again" >&2
  bash "$SCRIPT" stop "$DIR" >&2 || true
  sleep "$attempt"
done
echo "s3-start: the S3 server did not start after $ATTEMPTS attempts" >&2
exit 1
