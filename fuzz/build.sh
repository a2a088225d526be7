#!/bin/sh
# Build the libFuzzer targets with clang ("make fuzz" runs this).
#   build.sh SRCDIR OUTDIR
# CPPFLAGS and LIBS come from the Makefile (config.h, library flags).
set -e
srcdir=$1
out=$2
cc=${FUZZ_CC:-clang}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -fno-omit-frame-pointer $san"

mkdir -p "$out/obj"
objs=""
for f in "$srcdir"/src/*/*.c "$srcdir"/src/handlers/*/*.c; do
	# main.c is the daemon's; src/testing/ is the test harness, a
	# stand-in for the core that would clash with it; src/ctl/ is
	# switchboardctl, a program of its own.
	case $f in */main.c|*/testing/*|*/ctl/*) continue ;; esac
	o="$out/obj/$(basename "$f" .c).o"
	$cc $cflags -fsanitize=fuzzer-no-link $CPPFLAGS -c "$f" -o "$o"
	objs="$objs $o"
done
for t in framer numwords casemap chat_proto config dgram; do
	$cc $cflags -fsanitize=fuzzer $CPPFLAGS \
	    "$srcdir/fuzz/fuzz_$t.c" $objs $LIBS -o "$out/fuzz_$t"
	echo "built $out/fuzz_$t"
done
