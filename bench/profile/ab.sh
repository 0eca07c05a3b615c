#!/usr/bin/env bash
# A/B of one benchmark app's protected and open routes with wrk (Debian: apt-get install wrk),
# which loads far more cheaply than autocannon: `pairs` alternating runs of `seconds` each (the
# order flips every pair), then the median, min and max of the per-pair protected/open req/s ratio.
# Both routes carry the same Authorization header.
#   bash bench/profile/ab.sh "hono/ours (protect, cache)" 9 2
set -euo pipefail
variant=$1 pairs=${2:-9} seconds=${3:-2}
cd "$(dirname "$0")/../.."
out=$(mktemp)
node --conditions=jwtguard-source --import tsx bench/profile/serve.ts "$variant" 600 >"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 60); do grep -q authorization= "$out" && break; sleep 0.5; done
url=$(grep url= "$out" | cut -d= -f2-)
auth=$(grep authorization= "$out" | cut -d= -f2-)
open=${url%/api/v1/private}/health
rate() { wrk -t1 -c10 -d"$1"s -H "authorization: $auth" "$2" | awk '/Requests\/sec/ {print $2}'; }
rate 2 "$url" >/dev/null
rate 2 "$open" >/dev/null
ratios=()
for pair in $(seq 1 "$pairs"); do
  if ((pair % 2)); then o=$(rate "$seconds" "$open"); p=$(rate "$seconds" "$url")
  else p=$(rate "$seconds" "$url"); o=$(rate "$seconds" "$open"); fi
  ratios+=("$(awk -v p="$p" -v o="$o" 'BEGIN {print p / o}')")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk -v v="$variant" \
  '{a[NR]=$1} END {printf "%-28s protected/open median %.3f  min %.3f  max %.3f  (%d pairs)\n", v, a[int((NR+1)/2)], a[1], a[NR], NR}'
