#!/usr/bin/env bash
# mxscope on a few machines with GNU parallel over ssh: shard K of N runs on
# whichever host is free, each host asking its own resolver, and the shards'
# reports come back here to be merged. See README, "More than one machine".
#
#   deploy/parallel/scan.sh HOSTS-FILE TARGETS N [RESOLVER]
#
# HOSTS-FILE is GNU parallel's --sshloginfile (one "[N/]user@host" a line;
# ":" is this machine). Every host needs ssh access and nothing else: the
# mxscope binary and the targets file are copied to each host once.
set -euo pipefail

hosts=$(realpath "${1:?usage: scan.sh HOSTS-FILE TARGETS N [RESOLVER]}")
targets=${2:?usage: scan.sh HOSTS-FILE TARGETS N [RESOLVER]}
n=${3:?usage: scan.sh HOSTS-FILE TARGETS N [RESOLVER]}
resolver=${4:-127.0.0.1}   # each host's own recursive resolver
mxscope=${MXSCOPE:-$(command -v mxscope || echo ./bin/mxscope)}

out=$PWD
work=$(mktemp -d "$PWD/mxscope-shards.XXXXXX")
cp "$mxscope" "$work/mxscope"
cp "$targets" "$work/targets.yaml"
cd "$work"

# One job per shard; --basefile copies the binary and the targets to each
# host once, --return brings the shard's report and evidence back, --cleanup
# removes them there. A polite --qps keeps each resolver's load bounded.
seq 0 $((n - 1)) | parallel --sshloginfile "$hosts" \
  --basefile mxscope --basefile targets.yaml \
  --return shard-{}.jsonl --return evidence-{}.jsonl --cleanup \
  --halt now,fail=1 --joblog joblog.tsv \
  ./mxscope scan -t targets.yaml --shard {}/"$n" --resolver "$resolver" \
    --qps 1000 -f jsonl -o shard-{}.jsonl --evidence evidence-{}.jsonl

./mxscope merge -f jsonl -o "$out/report.jsonl" --evidence-output "$out/evidence.jsonl" shard-*.jsonl evidence-*.jsonl
echo "merged $n shards into report.jsonl and evidence.jsonl (shards kept in $work)"
