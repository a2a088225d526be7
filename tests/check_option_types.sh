#!/bin/sh
# The SB_OPTION_* helpers of <switchboard/handler.h> refuse, at compile
# time, a field whose type is not the one the core stores: each mistyped
# declaration below must fail to build, and the right one must build.
CC=${SB_CC:-cc}
INC=${SB_INCLUDE:?}
dir=$(mktemp -d) || exit 99
trap 'rm -rf "$dir"' EXIT
fail=0

# try NAME EXPECT DECL: compile a table holding DECL; EXPECT is ok or fail.
try() {
	cat > "$dir/t.c" <<EOT
#include <stdbool.h>
#include <switchboard/handler.h>
struct t_conf { long long n; int i; bool b; char *s; long long *p; };
const char *const t_choices[] = { "a", "b", NULL };
const struct sb_option t_options[] = {
	$3,
	SB_OPTION_END
};
EOT
	if $CC -std=gnu11 -Wall -Wextra -Werror -I"$INC" -c "$dir/t.c" \
	    -o "$dir/t.o" 2> "$dir/err"; then
		got=ok
	else
		got=fail
	fi
	if [ "$got" != "$2" ]; then
		echo "FAIL: $1: expected $2, got $got"
		cat "$dir/err"
		fail=1
	else
		echo "ok: $1"
	fi
	if [ "$got" = fail ] && [ "$2" = fail ] &&
	    ! grep -q "must be" "$dir/err"; then
		echo "FAIL: $1: no \"must be\" in the compiler's message"
		cat "$dir/err"
		fail=1
	fi
}

try "int on long long" ok 'SB_OPTION_INT(struct t_conf, n, 0, 9, "1", "h")'
try "int on int" fail 'SB_OPTION_INT(struct t_conf, i, 0, 9, "1", "h")'
try "int on pointer" fail 'SB_OPTION_INT(struct t_conf, p, 0, 9, "1", "h")'
try "bool on bool" ok 'SB_OPTION_BOOL(struct t_conf, b, "true", "h")'
try "bool on int" fail 'SB_OPTION_BOOL(struct t_conf, i, "true", "h")'
try "string on char *" ok 'SB_OPTION_STRING(struct t_conf, s, 0, 9, "", "h")'
try "string on long long" fail 'SB_OPTION_STRING(struct t_conf, n, 0, 9, "", "h")'
try "enum on int" ok 'SB_OPTION_ENUM(struct t_conf, i, t_choices, "a", "h")'
try "enum on bool" fail 'SB_OPTION_ENUM(struct t_conf, b, t_choices, "a", "h")'
exit $fail
