#!/usr/bin/env bash
# A/B of one benchmark app's protected and open routes with wrk (Debian: apt-get install wrk),
# which loads far more cheaply than autocannon: `pairs` alternating runs of `seconds` each (the
# order flips every pair), then the median, min and max of the per-pair protected/open ratios:
# of req/s, and of the server's CPU time per request (/proc/<pid>/stat), which the other load on
# a shared machine moves far less. Both routes carry the same Authorization header.
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
ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
# Prints "<req/s> <server cpu us per request>" of one run.
run() {
  local before after report
  before=$(ticks)
  report=$(wrk -t1 -c10 -d"$1"s -H "authorization: $auth" "$2")
  after=$(ticks)
  awk -v b="$before" -v a="$after" -v hz="$(getconf CLK_TCK)" '
    /requests in/ {n=$1} /Requests\/sec/ {r=$2}
    END {printf "%s %.3f\n", r, (a - b) * 1e6 / hz / n}' <<<"$report"
}
run 2 "$url" >/dev/null
run 2 "$open" >/dev/null
rates=() cpus=()
for pair in $(seq 1 "$pairs"); do
  if ((pair % 2)); then o=$(run "$seconds" "$open"); p=$(run "$seconds" "$url")
  else p=$(run "$seconds" "$url"); o=$(run "$seconds" "$open"); fi
  read -r orate ocpu <<<"$o"
  read -r prate pcpu <<<"$p"
  rates+=("$(awk -v p="$prate" -v o="$orate" 'BEGIN {print p / o}')")
  cpus+=("$(awk -v p="$pcpu" -v o="$ocpu" 'BEGIN {print o / p}') $ocpu $pcpu")
done
summary() { sort -n | awk '{a[NR]=$1; o[NR]=$2; p[NR]=$3} END {m=int((NR+1)/2); printf "median %.3f  min %.3f  max %.3f", a[m], a[1], a[NR]}'; }
printf '%-28s req/s protected/open %s | cpu open/protected %s | cpu us/req open %s, protected %s  (%d pairs)\n' "$variant" \
  "$(printf '%s\n' "${rates[@]}" | summary)" "$(printf '%s\n' "${cpus[@]}" | summary)" \
  "$(printf '%s\n' "${cpus[@]}" | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}')" \
  "$(printf '%s\n' "${cpus[@]}" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}')" "$pairs"
