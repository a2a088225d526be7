#!/bin/bash
# A real Prometheus server (Debian's prometheus package) scrapes a test
# daemon's metrics_listen on loopback, and its HTTP API answers a query
# with exactly the value this test produced: 42 lines received. Loopback
# only; every wait is bounded.
set -u
daemon=${SWITCHBOARDD:?}
prom=${SB_PROMETHEUS:-/usr/bin/prometheus}
if [ ! -x "$prom" ]; then
	echo "FAIL: $prom not found (Debian package prometheus;" \
	    "./autogen.sh --deps installs it)"
	exit 1
fi
dir=$(mktemp -d) || exit 99
dpid=
ppid=
# Stop a process we started: SIGTERM, up to 10 s, then SIGKILL.
stop() {
	kill "$1" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
}
cleanup() {
	[ -z "$ppid" ] || stop "$ppid"
	[ -z "$dpid" ] || stop "$dpid"
	rm -rf "$dir"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	echo "--- switchboardd log"; cat "$dir/sb.log"
	echo "--- prometheus log"; tail -30 "$dir/prom.log" 2>/dev/null
	exit 1
}

# The port the daemon's log says NAME listens on.
port_of() {
	sed -n "s/.* $1: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p" \
	    "$dir/sb.log" | tail -1
}

cat > "$dir/sb.conf" <<EOF
metrics_listen = [ "127.0.0.1:0" ];
services = ( { name = "numbers"; handler = "number-to-text";
    listen = [ "127.0.0.1:0" ]; } );
EOF
"$daemon" -c "$dir/sb.conf" 2> "$dir/sb.log" &
dpid=$!
for _ in $(seq 100); do
	grep -q " ready: " "$dir/sb.log" && break
	sleep 0.1
done
nport=$(port_of numbers)
mport=$(port_of metrics)
[ -n "$nport" ] && [ -n "$mport" ] || fail "the daemon did not start"

# 42 requests, each answered.
exec 3<>"/dev/tcp/127.0.0.1/$nport" || fail "cannot connect to numbers"
for i in $(seq 42); do
	printf '%d\n' "$i" >&3
	read -r -t 10 _ <&3 || fail "no answer to request $i"
done
exec 3<&-

cat > "$dir/prom.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: switchboard
    static_configs:
      - targets: [ "127.0.0.1:$mport" ]
EOF
"$prom" --config.file="$dir/prom.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address=127.0.0.1:0 > "$dir/prom.log" 2>&1 &
ppid=$!
# Port 0: the kernel chose; ss names it.
pport=
for _ in $(seq 200); do
	pport=$(ss -Hltnp 2>/dev/null | grep "pid=$ppid," |
	    sed -n 's/.* 127\.0\.0\.1:\([0-9]*\) .*/\1/p' | head -1)
	[ -n "$pport" ] && break
	kill -0 "$ppid" 2>/dev/null || fail "prometheus exited"
	sleep 0.1
done
[ -n "$pport" ] || fail "prometheus is not listening"

query='switchboard_lines_received_total%7Bservice%3D%22numbers%22%7D'
answer=
for _ in $(seq 60); do
	if exec 4<>"/dev/tcp/127.0.0.1/$pport"; then
		printf 'GET /api/v1/query?query=%s HTTP/1.0\r\n\r\n' \
		    "$query" >&4
		answer=$(timeout 5 cat <&4)
		exec 4<&-
		case "$answer" in
		*'"value":['*',"42"]'*)
			echo "ok: prometheus answers 42: ${answer##*$'\r\n\r\n'}"
			stop "$dpid"
			rc=$?
			dpid=
			[ "$rc" -eq 0 ] || fail "the daemon exited $rc"
			exit 0
			;;
		esac
	fi
	sleep 1
done
fail "no answer of 42 from prometheus; last: $answer"
