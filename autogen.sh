#!/bin/sh
# Regenerate the build system. With --deps, first install the Debian
# packages the build, the daemon and the test suite need (only those missing).
set -e
cd "$(dirname "$0")"

if [ "$1" = "--deps" ]; then
	pkgs="build-essential autoconf automake pkg-config libevent-dev \
libconfig-dev libsystemd-dev libunistring-dev check netcat-openbsd telnet \
systemd groff-base"
	missing=""
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		sudo=""
		[ "$(id -u)" -eq 0 ] || sudo="sudo"
		echo "autogen.sh: installing:$missing"
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
	fi
fi

autoreconf --install --force
