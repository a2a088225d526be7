/*
 * switchboard unit tests: the test harness itself (switchboard-testing(3))
 * behaves as the core does where a handler can tell, driven by a small
 * probe handler that records its hooks and does what each line says.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <switchboard/handler.h>
#include <switchboard/testing.h>

#include "../check_common.h"

struct probe_conf {
	long long	 n;
	char		*word;
	bool		 flag;
};

static const struct sb_option probe_options[] = {
	SB_OPTION_INT(struct probe_conf, n, 0, 100, "1", "a number"),
	SB_OPTION_STRING(struct probe_conf, word, 1, 8, "hi", "a word"),
	SB_OPTION_BOOL(struct probe_conf, flag, "false", "a flag"),
	SB_OPTION_END
};

/* What the hooks did, in order. */
static char	events[4096];
static int	ticks;

static void
event(const char *fmt, ...)
{
	size_t	n = strlen(events);
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(events + n, sizeof(events) - n, fmt, ap);
	va_end(ap);
	strncat(events, " ", sizeof(events) - strlen(events) - 1);
}

static const char *
probe_configure(void *conf)
{
	return (((struct probe_conf *)conf)->n == 13 ? "unlucky" : NULL);
}

static void
probe_service_tick(void *arg)
{
	(void)arg;
	event("service-tick");
}

static int
probe_start(struct sb_service *svc)
{
	const struct probe_conf	*conf = sb_service_conf(svc);

	event("start(%lld,%s,%d)", conf->n, conf->word, conf->flag);
	sb_service_log(svc, SB_LOG_NOTICE, "started");
	sb_timer_add(svc, NULL, 1000, true, probe_service_tick, svc);
	return (conf->n == 99 ? -1 : 0);
}

static void
probe_stop(struct sb_service *svc)
{
	event("stop");
	(void)svc;
}

static void
probe_reconfigure(struct sb_service *svc, const void *old)
{
	event("reconf(%lld->%lld)", ((const struct probe_conf *)old)->n,
	    ((const struct probe_conf *)sb_service_conf(svc))->n);
}

/* The client that closed with "flush", for "poke". */
static struct sb_conn	*flushed;

static void
probe_open(struct sb_conn *c)
{
	event("open(%s)", sb_conn_peer(c));
	if (strcmp(sb_conn_peer(c), "refuse") == 0) {
		sb_conn_send(c, "no");
		sb_conn_close(c, SB_CLOSE_FLUSH, "refused");
	}
}

static void
probe_fired(void *arg)
{
	struct sb_conn	*c = arg;

	sb_conn_send(c, "fired at %llu", (unsigned long long)sb_now_ms());
}

/* A periodic timer that cancels itself on its third tick. */
static struct sb_timer	*every;

static void
probe_every(void *arg)
{
	struct sb_conn	*c = arg;

	sb_conn_send(c, "tick %d", ++ticks);
	if (ticks == 3)
		sb_timer_cancel(every);
}

static void
probe_line(struct sb_conn *c, const char *line, size_t len)
{
	char		*p;
	struct sb_line	*l;
	int		 i;

	event("line(%s)", line);
	if (strncmp(line, "send ", 5) == 0)
		sb_conn_write(c, line + 5, len - 5);
	else if (strcmp(line, "now") == 0) {
		sb_conn_send(c, "a");
		sb_conn_close(c, SB_CLOSE_NOW, "bye now");
		sb_conn_send(c, "b");
	} else if (strcmp(line, "flush") == 0) {
		sb_conn_send(c, "a");
		sb_conn_close(c, SB_CLOSE_FLUSH, "bye flush");
		flushed = c;
		sb_conn_send(c, "b");
	} else if (strcmp(line, "twice") == 0) {
		sb_conn_close(c, SB_CLOSE_FLUSH, "first");
		sb_conn_close(c, SB_CLOSE_NOW, "second");
	} else if (strncmp(line, "timer ", 6) == 0)
		sb_timer_add(sb_conn_service(c), c, (unsigned)atoi(line + 6),
		    false, probe_fired, c);
	else if (strncmp(line, "every ", 6) == 0)
		every = sb_timer_add(sb_conn_service(c), c,
		    (unsigned)atoi(line + 6), true, probe_every, c);
	else if (strncmp(line, "space ", 6) == 0) {
		if ((p = sb_conn_line_space(c, (size_t)atoi(line + 6))) ==
		    NULL)
			sb_conn_send(c, "null");
		else {
			memcpy(p, "built", 5);
			sb_conn_line_done(c, 5);
		}
	} else if (strcmp(line, "shared") == 0) {
		l = sb_line_new("shared\0line", 11);
		sb_conn_write_line(c, l);
		sb_line_free(l);
	} else if (strcmp(line, "poke") == 0)
		sb_conn_send(flushed, "poked");
	else if (strcmp(line, "log") == 0)
		sb_conn_log(c, SB_LOG_INFO, "hello %d", 42);
	else if (strncmp(line, "throttle ", 9) == 0)
		sb_conn_throttle(c, (unsigned)atoi(line + 9));
	else if (strncmp(line, "reply ", 6) == 0) {
		sb_conn_reply_begin(c);
		for (i = 0; i < atoi(line + 6); i++)
			sb_conn_send(c, "%099d", i);
		sb_conn_reply_end(c);
	} else if (strncmp(line, "limit", 5) == 0)
		sb_conn_limit(c, SB_LIMIT_RATE, "slow down %s", line + 5);
}

static void
probe_close(struct sb_conn *c, const char *reason)
{
	struct sb_service	*svc = sb_conn_service(c);

	event("close(%s)", reason);
	sb_conn_send(c, "closing: %s%s", reason,
	    sb_service_is_stopping(svc) ? " (stopping)" : "");
}

static const struct sb_handler probe_handler = {
	.name = "probe",
	.options = probe_options,
	.conf_size = sizeof(struct probe_conf),
	.configure = probe_configure,
	.start = probe_start,
	.stop = probe_stop,
	.reconfigure = probe_reconfigure,
	.open = probe_open,
	.line = probe_line,
	.close = probe_close,
};

static struct sb_service	*svc;

static struct sb_conn *
probe(const char *options)
{
	events[0] = '\0';
	ticks = 0;
	flushed = NULL;
	svc = sb_test_service(&probe_handler, "p", options);
	ck_assert_msg(svc != NULL, "refused: %s", sb_test_error());
	ck_assert_int_eq(sb_test_start(svc), 0);
	return (sb_test_open(svc, "127.0.0.1:5555"));
}

static void
teardown(void)
{
	sb_test_service_free(svc);
	svc = NULL;
}

/* Hooks in order; the close hook once; its output after a reset lost. */
START_TEST(test_hooks)
{
	struct sb_conn	*c = probe("n = 7; word = \"yo\"; flag = true;");

	sb_test_line(c, "x");
	sb_test_hangup(c);
	sb_test_hangup(c);
	ck_assert_str_eq(events, "start(7,yo,1) open(127.0.0.1:5555) line(x) "
	    "close(client closed the connection) ");
	ck_assert_int_eq(sb_test_close_hooks(c), 1);
	ck_assert_ptr_null(sb_test_read(c));
	sb_test_stop(svc, "server shutting down");
	ck_assert_str_eq(events + strlen(events) - 5, "stop ");
}
END_TEST

/* NOW discards the round's output, FLUSH sends it and the close hook's. */
START_TEST(test_close_now_flush)
{
	struct sb_conn	*c = probe(NULL), *d;
	enum sb_close	 how;

	sb_test_line(c, "now");
	ck_assert_ptr_null(sb_test_read(c));
	ck_assert_str_eq(sb_test_closed(c, &how), "bye now");
	ck_assert_int_eq(how, SB_CLOSE_NOW);
	d = sb_test_open(svc, "127.0.0.1:5556");
	sb_test_input(d, "flush\nsend lost\n", 16);
	ck_assert_str_eq(sb_test_read(d), "a");
	ck_assert_str_eq(sb_test_read(d), "b");
	ck_assert_str_eq(sb_test_read(d), "closing: bye flush");
	ck_assert_ptr_null(sb_test_read(d));
	ck_assert_ptr_null(strstr(events, "line(send lost)"));
	ck_assert_int_eq(sb_test_close_hooks(d), 1);
	sb_test_line(d, "poke");		/* d is closed: not read */
	ck_assert_ptr_null(strstr(events, "line(poke)"));
	d = sb_test_open(svc, "127.0.0.1:5557");
	sb_test_line(d, "twice");
	ck_assert_str_eq(sb_test_closed(d, &how), "first");
	ck_assert_int_eq(how, SB_CLOSE_NOW);
	ck_assert_ptr_null(sb_test_read(d));
	/* Output to a client whose close hook has returned is dropped. */
	d = sb_test_open(svc, "127.0.0.1:5558");
	sb_test_line(d, "poke");
	ck_assert_ptr_nonnull(strstr(events, "line(poke)"));
	ck_assert_ptr_null(sb_test_read(flushed));
}
END_TEST

/* A refused open still gets its close hook, once, after the open. */
START_TEST(test_refused_open)
{
	struct sb_conn	*c;

	probe(NULL);
	c = sb_test_open(svc, "refuse");
	ck_assert_str_eq(sb_test_read(c), "no");
	ck_assert_str_eq(sb_test_read(c), "closing: refused");
	ck_assert_int_eq(sb_test_close_hooks(c), 1);
	ck_assert_ptr_nonnull(strstr(events, "open(refuse) close(refused) "));
}
END_TEST

/* One-shot and periodic timers on the fake clock; cancelled with conns. */
START_TEST(test_timers)
{
	struct sb_conn	*c = probe(NULL), *d;

	ck_assert_uint_eq(sb_now_ms(), 1000);
	ck_assert_uint_eq(sb_test_timers(svc), 1);	/* the service's */
	sb_test_line(c, "timer 100");
	sb_test_line(c, "timer 0");
	ck_assert_ptr_null(sb_test_read(c));
	sb_test_advance(0);
	ck_assert_str_eq(sb_test_read(c), "fired at 1000");
	sb_test_advance(99);
	ck_assert_ptr_null(sb_test_read(c));
	sb_test_advance(1);
	ck_assert_str_eq(sb_test_read(c), "fired at 1100");
	ck_assert_uint_eq(sb_test_timers(svc), 1);
	sb_test_line(c, "every 10");
	sb_test_advance(25);
	ck_assert_str_eq(sb_test_read(c), "tick 1");
	ck_assert_str_eq(sb_test_read(c), "tick 2");
	ck_assert_ptr_null(sb_test_read(c));
	sb_test_advance(1000);
	ck_assert_str_eq(sb_test_read(c), "tick 3");	/* then cancelled */
	ck_assert_ptr_null(sb_test_read(c));
	ck_assert_ptr_nonnull(strstr(events, "service-tick"));
	/* A connection's timers go with it. */
	d = sb_test_open(svc, "127.0.0.1:5556");
	sb_test_line(d, "timer 50");
	ck_assert_uint_eq(sb_test_timers(svc), 2);
	sb_test_hangup(d);
	ck_assert_uint_eq(sb_test_timers(svc), 1);
	sb_test_advance(100);
	ck_assert_ptr_null(sb_test_read(d));
	ck_assert_uint_eq(sb_now_ms(), 2225);
	sb_test_stop(svc, "service removed by reload");
	ck_assert_uint_eq(sb_test_timers(svc), 0);
	ck_assert_str_eq(sb_test_read(c), "closing: service removed by reload "
	    "(stopping)");
}
END_TEST

/* Options: defaults, checks, configure; reconfigure with the old conf. */
START_TEST(test_options)
{
	probe(NULL);
	ck_assert_str_eq(events, "start(1,hi,0) open(127.0.0.1:5555) ");
	ck_assert_ptr_null(sb_test_service(&probe_handler, "q", "n = 13;"));
	ck_assert_str_eq(sb_test_error(), "service \"q\": unlucky");
	ck_assert_ptr_null(sb_test_service(&probe_handler, "q",
	    "word = \"\";"));
	ck_assert_str_eq(sb_test_error(), "word: \"\" must be 1 to 8 "
	    "characters long");
	ck_assert_ptr_null(sb_test_service(&probe_handler, "q", "flag = 1;"));
	ck_assert_str_eq(sb_test_error(), "flag: expected true or false");
	ck_assert_ptr_null(sb_test_service(&probe_handler, "q", "n = 5 m"));
	ck_assert_ptr_nonnull(sb_test_error());
	ck_assert_int_eq(sb_test_reconfigure(svc, "n = 13;"), -1);
	ck_assert_int_eq(sb_test_reconfigure(svc, "n = 2; word = \"a\\x41\" "
	    "\"b\""), 0);
	ck_assert_ptr_nonnull(strstr(events, "reconf(1->2)"));
	ck_assert_str_eq(((const struct probe_conf *)sb_service_conf(svc))->
	    word, "aAb");
}
END_TEST

/* Lines built in place, shared lines, line endings, NUL bytes. */
START_TEST(test_output)
{
	struct sb_conn	*c = probe(NULL);
	const char	*raw;
	size_t		 len;

	sb_test_line(c, "space 100");
	ck_assert_str_eq(sb_test_read(c), "built");
	sb_test_line(c, "space 5000");
	ck_assert_str_eq(sb_test_read(c), "null");
	sb_test_input(c, "shared\r\n", 8);
	raw = sb_test_read_raw(c, &len);
	ck_assert_uint_eq(len, 13);
	ck_assert_mem_eq(raw, "shared\0line\r\n", 13);
	sb_test_line(c, "send lf");
	raw = sb_test_read_raw(c, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(raw, "lf\n", 3);
}
END_TEST

/* Peers, logs and limits as the daemon writes them. */
START_TEST(test_logs)
{
	struct sb_conn	*c;
	int		 level;

	probe(NULL);
	c = sb_test_open(svc, "[::1]:4000");
	ck_assert_str_eq(sb_test_log(svc, &level), "p: started");
	ck_assert_int_eq(level, SB_LOG_NOTICE);
	sb_test_line(c, "log");
	ck_assert_str_eq(sb_test_log(svc, &level), "p[[::1]:4000 #2]: hello 42");
	ck_assert_int_eq(level, SB_LOG_INFO);
	sb_test_line(c, "limit!");
	ck_assert_str_eq(sb_test_log(svc, NULL), "p[[::1]:4000]: limit rate: "
	    "slow down !");
	ck_assert_uint_eq(sb_test_limit_count(c, SB_LIMIT_RATE), 1);
	ck_assert_uint_eq(sb_test_limit_count(c, SB_LIMIT_MAX_CLIENTS), 0);
	ck_assert_ptr_null(sb_test_log(svc, NULL));
}
END_TEST

/* Framing: long lines with and without an end in sight; throttling. */
START_TEST(test_input)
{
	struct sb_conn	*c = probe("max_line = 16;");

	sb_test_input(c, "send 0123456789abcdef", 21);
	ck_assert_str_eq(sb_test_read(c), "error: line too long (max 16 "
	    "bytes)");
	sb_test_input(c, "more\nsend ok\n", 13);
	ck_assert_str_eq(sb_test_read(c), "ok");
	ck_assert_ptr_null(sb_test_read(c));
	sb_test_input(c, "throttle 10\nsend 1\nsend 2\n", 26);
	ck_assert_ptr_null(sb_test_read(c));
	ck_assert_uint_eq(sb_test_throttle(c), 10);
	sb_test_advance(9);
	ck_assert_ptr_null(sb_test_read(c));
	sb_test_advance(1);
	ck_assert_str_eq(sb_test_read(c), "1");
	ck_assert_str_eq(sb_test_read(c), "2");
}
END_TEST

/* A stalled client: its own replies never cut it off, others' output does. */
START_TEST(test_slow)
{
	struct sb_conn	*c = probe("max_line = 16; max_output = 4096;");
	enum sb_close	 how;
	int		 i;

	sb_test_stall(c, true);
	sb_test_line(c, "reply 100");
	ck_assert_ptr_null(sb_test_closed(c, NULL));
	/* 10,000 bytes of reply, then 4,096 of others': 373 lines of 11. */
	for (i = 0; i < 500 && sb_test_closed(c, NULL) == NULL; i++)
		sb_test_line(c, "send 0123456789");
	ck_assert_int_eq(i, 373);
	ck_assert_str_eq(sb_test_closed(c, &how), "slow consumer");
	ck_assert_int_eq(how, SB_CLOSE_NOW);
	ck_assert_int_eq(sb_test_close_hooks(c), 1);
	sb_test_stall(c, false);
	ck_assert_ptr_null(sb_test_read(c));
	ck_assert_str_eq(sb_test_log(svc, NULL), "p: started");
	ck_assert_ptr_nonnull(strstr(sb_test_log(svc, NULL), "limit "
	    "max_output: output over 4096 bytes"));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("testing");
	TCase	*tc = tcase_create("harness");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_hooks);
	tcase_add_test(tc, test_close_now_flush);
	tcase_add_test(tc, test_refused_open);
	tcase_add_test(tc, test_timers);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_output);
	tcase_add_test(tc, test_logs);
	tcase_add_test(tc, test_input);
	tcase_add_test(tc, test_slow);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_testing"));
}
