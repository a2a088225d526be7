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
	"bad-no-services.conf", "bad-range.conf", "bad-service-shape.conf",
	"bad-syntax.conf", "bad-types.conf", "bad-unknown-key.conf",
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
	ck_assert_str_eq(errs.msgs[0], "/nonexistent/switchboard.conf:0: "
	    "cannot read the file: No such file or directory (check the path "
	    "and permissions)");
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
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_config"));
}
