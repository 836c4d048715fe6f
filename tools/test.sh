#!/usr/bin/env bash
# Runs every test: installs what the tests need (the reference redis-server 7.0.15 and
# redis-cli/redis-benchmark from Debian's redis-server and redis-tools), then
# `cargo test --profile ci` (release speed with debug assertions and overflow checks).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
if [ ${#need[@]} -gt 0 ]; then
  echo "tools/test.sh: installing ${need[*]} (the tests compare Keel with redis-server and drive it with redis-cli)"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  # The package starts a redis-server service on port 6379 where an init system exists; the
  # tests use their own servers on ephemeral ports, so it is left alone.
fi

version=$(redis-server --version)
case "$version" in
  *v=7.0.15*) ;;
  *) echo "tools/test.sh: the reference must be redis-server 7.0.15, found: $version" >&2; exit 1 ;;
esac

cargo test --profile ci "$@"
