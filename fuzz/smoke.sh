#!/bin/sh
# Run every fuzz target for a while on a copy of its seed corpus and print
# what it did: executions, coverage, corpus size. Any crash fails.
#   smoke.sh SRCDIR BINDIR SECONDS
set -e
srcdir=$1
bin=$2
secs=${3:-30}
work=$(mktemp -d)
LSAN_OPTIONS=suppressions=$(cd "$srcdir" && pwd)/fuzz/lsan.supp
export LSAN_OPTIONS
trap 'rm -rf "$work"' EXIT
for t in framer numwords casemap chat_proto config dgram; do
	mkdir -p "$work/$t"
	cp "$srcdir"/fuzz/corpus/$t/* "$work/$t/"
	"$bin/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
	    -max_len=4096 -timeout=10 -rss_limit_mb=2048 "$work/$t" \
	    > "$work/$t.log" 2>&1 || { tail -40 "$work/$t.log"; exit 1; }
	execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$t.log" |
	    grep -o '[0-9]*$')
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$work/$t.log" | tail -1)
	files=$(ls "$work/$t" | wc -l)
	echo "fuzz_$t: ${secs}s, $execs executions, $cov, corpus $files"
done
