/*
 * switchboard tests: config loading. Each bad fixture lists the exact
 * errors it must produce, in order, in its "# error: LINE: text" comments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../check_common.h"
#include "conf.h"
#include "xmalloc.h"

static const char *const bad[] = {
	"bad-access.conf", "bad-duplicates.conf", "bad-empty-services.conf", "bad-enum.conf",
	"bad-handler.conf", "bad-include.conf", "bad-listen.conf",
	"bad-missing.conf",
	"bad-no-services.conf", "bad-output.conf", "bad-plugin-dir.conf",
	"bad-plugins.conf", "bad-range.conf", "bad-relay.conf",
	"bad-service-shape.conf",
	"bad-syntax.conf", "bad-types.conf", "bad-udp.conf",
	"bad-unknown-key.conf",
};

static char *
fixture(const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", SB_FIXTURES, name);
	return (path);
}

START_TEST(test_bad_fixture)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	char			*path = fixture(bad[_i]), line[1024], *want;
	struct conf		*conf;
	FILE			*f;
	size_t			 n = 0;

	conf = conf_load(path, &errs);
	ck_assert_ptr_null(conf);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "# error: ", 9) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		xasprintf(&want, "%s:%s", path, line + 9);
		ck_assert_msg(n < errs.n, "missing error: %s", want);
		ck_assert_str_eq(errs.msgs[n], want);
		free(want);
		n++;
	}
	fclose(f);
	ck_assert_uint_gt(n, 0);
	ck_assert_msg(n == errs.n, "unexpected extra error: %s",
	    errs.n > n ? errs.msgs[n] : "");
	conf_errors_free(&errs);
	free(path);
}
END_TEST

START_TEST(test_good_full)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	char			*path = fixture("good-full.conf");
	struct conf		*conf;
	const int		*style;
	const long long		*chat;

	conf = conf_load(path, &errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(conf->log_level, 4);
	ck_assert_int_eq(conf->max_connections, 50);
	ck_assert_int_eq(conf->limits.idle_timeout, 0);
	ck_assert_uint_eq(conf->nservices, 4);
	/* Overrides apply to one service; the rest inherit. */
	ck_assert_str_eq(conf->services[0].name, "numbers");
	ck_assert_int_eq(conf->services[0].limits.max_line, 64);
	ck_assert_int_eq(conf->services[0].limits.max_output, 65536);
	ck_assert_uint_eq(conf->services[0].nlisten, 2);
	ck_assert_str_eq(conf->services[0].listen_text[1],
	    "unix:/tmp/sb-test.sock");
	style = conf->services[0].hconf;
	ck_assert_int_eq(*style, 1);			/* british */
	ck_assert_int_eq(conf->services[1].limits.idle_timeout, 9);
	ck_assert_int_eq(conf->services[1].limits.max_line, 100);
	ck_assert_uint_eq(conf->services[1].nlisten, 1);
	chat = conf->services[2].hconf;
	ck_assert_int_eq(chat[0], 3);			/* max_clients */
	ck_assert_int_eq(chat[1], 0);			/* history */
	ck_assert_int_eq(conf->services[2].limits.max_output, 8192);
	chat = conf->services[3].hconf;
	ck_assert_int_eq(chat[0], 0);			/* defaults */
	ck_assert_int_eq(chat[1], 20);
	conf_free(conf);
	free(path);
}
END_TEST

START_TEST(test_defaults)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	char			*path = fixture("good-minimal.conf");
	struct conf		*conf;

	conf = conf_load(path, &errs);
	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(conf->log_level, 3);		/* info */
	ck_assert_int_eq(conf->max_connections, 10000);
	ck_assert_int_eq(conf->services[0].limits.idle_timeout, 300);
	ck_assert_int_eq(conf->services[0].limits.max_line, 4096);
	ck_assert_int_eq(conf->services[0].limits.max_output, 1048576);
	conf_free(conf);
	free(path);
}
END_TEST

START_TEST(test_missing_file)
{
	struct conf_errors	errs = { NULL, NULL, 0 };

	ck_assert_ptr_null(conf_load("/nonexistent/switchboard.conf", &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "/nonexistent/switchboard.conf: "
	    "cannot open: No such file or directory");
	conf_errors_free(&errs);
}
END_TEST

START_TEST(test_sample_config)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	struct conf		*conf;

	conf = conf_load(SB_SAMPLE_CONFIG, &errs);
	ck_assert_msg(conf != NULL, "%s", errs.n ? errs.msgs[0] : "");
	ck_assert_uint_eq(conf->nservices, 3);
	conf_free(conf);
}
END_TEST

START_TEST(test_load_text)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	struct conf		*conf;

	conf = conf_load_text("mem", "services = ( { name = \"u\"; handler = "
	    "\"uppercase-echo\"; listen = \"7002\"; } );", &errs);
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(conf->services[0].name, "u");
	conf_free(conf);
	ck_assert_ptr_null(conf_load_text("mem", "max_line = 1;\nx", &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.msgs[0], "mem:2: syntax error"));
	conf_errors_free(&errs);
}
END_TEST

/* socket_mode and socket_group reach the unix listen entries only. */
START_TEST(test_socket_keys)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	struct conf		*conf;

	conf = conf_load_text("mem", "services = ( { name = \"u\"; handler = "
	    "\"uppercase-echo\"; listen = [ \"unix:/tmp/sb-u.sock\", "
	    "\"127.0.0.1:7002\" ]; socket_mode = \"660\"; "
	    "socket_group = \"root\"; },\n"
	    "{ name = \"v\"; handler = \"uppercase-echo\"; listen = "
	    "\"unix:/tmp/sb-v.sock\"; socket_group = 4242; } );", &errs);
	ck_assert_msg(conf != NULL, "%s", errs.n ? errs.msgs[0] : "");
	ck_assert_int_eq(conf->services[0].socket_mode, 0660);
	ck_assert_int_eq(conf->services[0].socket_gid, 0);
	ck_assert_int_eq(conf->services[0].listen[0].mode, 0660);
	ck_assert_int_eq(conf->services[0].listen[0].gid, 0);
	ck_assert_int_eq(conf->services[0].listen[1].mode, -1);
	ck_assert_int_eq(conf->services[0].listen[1].gid, -1);
	ck_assert_int_eq(conf->services[1].listen[0].mode, -1);
	ck_assert_int_eq(conf->services[1].listen[0].gid, 4242);
	conf_free(conf);
}
END_TEST

static const struct {
	const char	*keys;
	const char	*error;
} socket_bad[] = {
	{ "socket_mode = \"0778\";", "mem:2: socket_mode \"0778\": expected "
	  "an octal mode from \"0000\" to \"0777\" in double quotes, as in "
	  "socket_mode = \"0660\";" },
	{ "socket_mode = \"01777\";", "mem:2: socket_mode \"01777\": "
	  "expected an octal mode from \"0000\" to \"0777\" in double quotes, "
	  "as in socket_mode = \"0660\";" },
	{ "socket_mode = \"rw-rw----\";", "mem:2: socket_mode \"rw-rw----\": "
	  "expected an octal mode from \"0000\" to \"0777\" in double quotes, "
	  "as in socket_mode = \"0660\";" },
	{ "socket_mode = \"\";", "mem:2: socket_mode \"\": expected an octal "
	  "mode from \"0000\" to \"0777\" in double quotes, as in "
	  "socket_mode = \"0660\";" },
	{ "socket_mode = 660;", "mem:2: socket_mode: expected an octal mode "
	  "from \"0000\" to \"0777\" in double quotes, as in socket_mode = "
	  "\"0660\";" },
	{ "socket_group = \"sb-no-such-group\";", "mem:2: socket_group "
	  "\"sb-no-such-group\": no such group (check with getent group "
	  "sb-no-such-group)" },
	{ "socket_group = -1;", "mem:2: socket_group: expected a group name "
	  "or number, as in socket_group = \"switchboard\";" },
	{ "socket_group = \"\";", "mem:2: socket_group: expected a group name "
	  "or number, as in socket_group = \"switchboard\";" },
	{ "socket_group = true;", "mem:2: socket_group: expected a group name "
	  "or number, as in socket_group = \"switchboard\";" },
};

/* Each bad socket_mode or socket_group is one file:line error. */
START_TEST(test_socket_keys_bad)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	char			*text;

	xasprintf(&text, "services = ( { name = \"u\"; handler = "
	    "\"uppercase-echo\"; listen = \"unix:/tmp/sb-u.sock\";\n%s } );",
	    socket_bad[_i].keys);
	ck_assert_ptr_null(conf_load_text("mem", text, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], socket_bad[_i].error);
	conf_errors_free(&errs);
	free(text);
}
END_TEST

/* A service with no unix listener may not set the socket keys. */
START_TEST(test_socket_keys_tcp_only)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };

	ck_assert_ptr_null(conf_load_text("mem", "services = (\n"
	    "{ name = \"t\"; handler = \"uppercase-echo\";\n"
	    "  listen = [ \"7002\", \"127.0.0.1:7003\" ];\n"
	    "  socket_group = \"root\"; } );", &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "mem:4: socket_group: service \"t\" "
	    "has no unix: listen address (socket_mode and socket_group apply "
	    "to unix sockets only; for sockets systemd passes, set SocketMode= "
	    "and SocketGroup= in the socket unit)");
	conf_errors_free(&errs);
}
END_TEST

/* v4-mapped access entries load as the IPv4 entries they spell. */
START_TEST(test_acl_mapped_entries)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	struct conf		*conf;
	const struct acl	*deny;
	char			 buf[ACL_TEXT];

	conf = conf_load_text("mem", "deny = [ \"::ffff:127.0.0.1\", "
	    "\"::ffff:0:0/96\", \"::/0\" ];\nservices = ( { name = \"u\"; "
	    "handler = \"uppercase-echo\"; listen = \"7002\"; } );", &errs);
	ck_assert_msg(conf != NULL, "%s", errs.n ? errs.msgs[0] : "");
	deny = &conf->services[0].access.deny;
	ck_assert_uint_eq(deny->n, 3);
	ck_assert_str_eq(acl_format(&deny->e[0], buf, sizeof(buf)),
	    "127.0.0.1");
	ck_assert_str_eq(acl_format(&deny->e[1], buf, sizeof(buf)),
	    "0.0.0.0/0");
	ck_assert_str_eq(acl_format(&deny->e[2], buf, sizeof(buf)), "::/0");
	conf_free(conf);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc;

	tc = tcase_create("bad");
	tcase_add_loop_test(tc, test_bad_fixture, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("good");
	tcase_add_test(tc, test_good_full);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_sample_config);
	tcase_add_test(tc, test_load_text);
	tcase_add_test(tc, test_socket_keys);
	tcase_add_test(tc, test_acl_mapped_entries);
	suite_add_tcase(s, tc);
	tc = tcase_create("socket keys");
	tcase_add_loop_test(tc, test_socket_keys_bad, 0,
	    sizeof(socket_bad) / sizeof(socket_bad[0]));
	tcase_add_test(tc, test_socket_keys_tcp_only);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_config"));
}
