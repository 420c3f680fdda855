#!/usr/bin/env bash
# Installs what lbarray, its tests, its demo and its benchmarks need on a fresh Debian machine,
# then the npm packages (which build the addon and the TypeScript). Run as root; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# iproute2/nftables/ethtool: the lab (namespaces, veth, VIP guard); curl/openssl: real clients;
# tshark: decodes what tests capture; nginx and keepalived: real peers in integration tests;
# valgrind: instruction counts for the CI performance gate; cmake/g++/make: the addon.
need="iproute2 nftables iputils-ping ethtool curl openssl ca-certificates cmake g++ make tshark nginx keepalived valgrind"
missing=""
for p in $need; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
npm ci --no-audit --no-fund
# tap's runner picks the loaders for test processes from the plugins it was built with, before it
# rebuilds for .taprc: build now, or a fresh install's first run loads test files through ts-node too.
npx tap build >/dev/null
