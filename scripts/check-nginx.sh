#!/usr/bin/env bash
# `nginx -t` on deploy/nginx.conf. Its upstream names the Compose service `replica`, which only Docker's
# DNS resolves, so the check runs on a temporary copy with that one host rendered as 127.0.0.1.
set -euo pipefail
config="${1:-deploy/nginx.conf}"
export PATH="$PATH:/usr/sbin"  # nginx lives in /usr/sbin, not always on a non-root PATH
command -v nginx >/dev/null || { echo "check-nginx: nginx not found (apt-get install nginx; make system-tools does)" >&2; exit 1; }
grep -q 'server replica:' "$config" || { echo "check-nginx: no 'server replica:' upstream in $config" >&2; exit 1; }
rendered="$(mktemp --suffix=.conf)"
trap 'rm -f "$rendered"' EXIT
sed 's/server replica:/server 127.0.0.1:/' "$config" >"$rendered"
nginx -t -q -e /dev/stderr -c "$rendered"
echo "check-nginx: $config ok (upstream replica rendered as 127.0.0.1)"
