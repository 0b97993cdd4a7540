#!/usr/bin/env bash
# The Debian tools the test suite uses besides Python: nginx (`nginx -t` in `make lint`, the proxy test),
# wrk (the load test) and chromium (the playground's browser test). Installs whichever are missing with
# apt-get (as root, or through sudo -n) and fails loudly when it cannot; does nothing when all are there.
set -euo pipefail
export PATH="$PATH:/usr/sbin"  # nginx lives in /usr/sbin, not always on a non-root PATH
missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-liberation)  # fonts: only recommended
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "system-tools: installing ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-tools: FAILED: ${missing[*]} missing and no apt-get to install them" >&2
    exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "system-tools: FAILED: not root and no sudo to install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo -n)
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
for tool in nginx wrk chromium; do
    command -v "$tool" >/dev/null 2>&1 || { echo "system-tools: FAILED: $tool still not found after install" >&2; exit 1; }
done
