#!/usr/bin/env bash
# Installs what tools/bench/xmpp needs on Debian 12: the two XMPP servers to
# compare against, expat for hail-bench-xmpp and python3 for run.sh's port
# picking. Asks apt only for what is missing. Services are not started here
# (run.sh starts private instances); on machines whose policy-rc.d allows it
# the packages' own services may start and should be stopped by the admin.
set -euo pipefail

packages=(ejabberd prosody libexpat1-dev python3)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
