#!/bin/sh
# Regenerate the build system. With --deps, first install the Debian
# packages the build, the daemon and the test suite need (only those missing).
set -e
cd "$(dirname "$0")"

# The package's Build-Depends, one a line: the list lives in debian/control
# only. Versions, architecture lists, build profiles (<!nocheck>) and
# alternatives after the first are dropped; debhelper-compat is left out
# (only dpkg-buildpackage needs it).
build_depends() {
	awk '/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, ""); print; next }
	    on && /^[ \t]/ { print; next }
	    { on = 0 }' debian/control |
	    tr ',' '\n' |
	    sed -e 's/|.*//' -e 's/[[(<].*//' -e 's/[[:space:]]//g' |
	    grep -v -e '^$' -e '^debhelper-compat$'
}

if [ "$1" = "--deps" ]; then
	# Besides Build-Depends: what building from a git checkout needs
	# (the package gets autoconf and automake through debhelper), and
	# telnet for trying the services as README.md shows.
	pkgs="build-essential autoconf automake telnet $(build_depends)"
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
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
	fi
fi

autoreconf --install --force
