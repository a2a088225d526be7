/*
 * switchboard tests: handlers' timers (sb_timer_add), run by the real
 * core on its event loop for a handler defined here: one-shot and
 * periodic timers, cancelling (a timer cancelling itself included), and
 * the automatic cancel when a connection or a service goes; with them the
 * API's peer address and logging.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include <switchboard/handler.h>

#include "../check_common.h"
#include "conf.h"
#include "conn.h"
#include "log.h"
#include "server.h"
#include "service.h"

struct tt_conn {
	struct sb_timer	*tick;
};

static int	 fired_once, fired_periodic, fired_cancelled, fired_svc;
static int	 ticks, ticks_at_close, closed;
static struct sb_timer *periodic;

static void	tt_count(void *);
static void	tt_periodic(void *);
static void	tt_tick(void *);
static void	tt_open(struct sb_conn *);
static void	tt_line(struct sb_conn *, const char *, size_t);
static void	tt_close(struct sb_conn *, const char *);

static const struct sb_handler tt_handler = {
	.name = "timer-test",
	.conn_size = sizeof(struct tt_conn),
	.open = tt_open,
	.line = tt_line,
	.close = tt_close,
};

/* Add one to the counter arg points to. */
static void
tt_count(void *arg)
{
	(*(int *)arg)++;
}

/* A periodic timer that cancels itself from its third run. */
static void
tt_periodic(void *arg)
{
	if (++fired_periodic == 3)
		sb_timer_cancel(periodic);
}

/* A connection's periodic timer: one line each time. */
static void
tt_tick(void *arg)
{
	struct sb_conn	*c = arg;

	sb_conn_send(c, "tick %d", ++ticks);
}

/* Each client is told its address, then gets a tick every 5 ms. */
static void
tt_open(struct sb_conn *c)
{
	struct tt_conn	*st = sb_conn_state(c);

	sb_conn_send(c, "peer %s", sb_conn_peer(c));
	st->tick = sb_timer_add(sb_conn_service(c), c, 5, true, tt_tick, c);
}

/* "bye" closes; anything else is ignored. */
static void
tt_line(struct sb_conn *c, const char *line, size_t len)
{
	if (strcmp(line, "bye") == 0)
		sb_conn_close(c, SB_CLOSE_FLUSH, "bye");
}

/* Remember how many ticks there were; the timer goes after this. */
static void
tt_close(struct sb_conn *c, const char *reason)
{
	ticks_at_close = ticks;
	closed++;
	sb_conn_log(c, SB_LOG_NOTICE, "gone: %s", reason);
	sb_service_log(sb_conn_service(c), SB_LOG_NOTICE, "%d ticks",
	    ticks);
}

/* Run the loop for ms. */
static void
run_ms(struct server *srv, unsigned ms)
{
	struct timeval	tv = { 0, (suseconds_t)ms * 1000 };

	event_base_loopexit(srv->base, &tv);
	event_base_dispatch(srv->base);
}

/* A server and a started service of the test handler. */
static struct sb_service *
setup(struct server *srv)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	struct conf		*conf;
	struct sb_service	*svc;

	conf = conf_load_text("mem", "services = ( { name = \"t\"; handler = "
	    "\"uppercase-echo\"; listen = \"127.0.0.1:0\"; } );", &errs);
	ck_assert_ptr_nonnull(conf);
	conf->services[0].handler = &tt_handler;
	ck_assert_int_eq(server_init(srv, conf), 0);
	svc = service_new(srv, conf, &conf->services[0]);
	ck_assert_int_eq(service_start(svc), 0);
	fired_once = fired_periodic = fired_cancelled = fired_svc = 0;
	ticks = ticks_at_close = closed = 0;
	return (svc);
}

/* One-shot, periodic, cancelled before and from its own callback. */
START_TEST(test_service_timers)
{
	struct server		 srv;
	struct sb_service	*svc = setup(&srv);
	struct sb_timer		*t;
	int			 i;

	sb_timer_add(svc, NULL, 10, false, tt_count, &fired_once);
	periodic = sb_timer_add(svc, NULL, 2, true, tt_periodic, NULL);
	t = sb_timer_add(svc, NULL, 5, false, tt_count, &fired_cancelled);
	sb_timer_cancel(t);
	sb_timer_cancel(NULL);
	for (i = 0; i < 100 && (fired_once < 1 || fired_periodic < 3); i++)
		run_ms(&srv, 5);
	run_ms(&srv, 30);
	ck_assert_int_eq(fired_once, 1);
	ck_assert_int_eq(fired_periodic, 3);
	ck_assert_int_eq(fired_cancelled, 0);
	service_free(svc);
	server_free(&srv);
}
END_TEST

/* A service's timers go with it. */
START_TEST(test_service_timer_goes_with_service)
{
	struct server		 srv;
	struct sb_service	*svc = setup(&srv);
	int			 once;

	sb_timer_add(svc, NULL, 2, true, tt_count, &fired_svc);
	sb_timer_add(svc, NULL, 50, false, tt_count, &fired_once);
	run_ms(&srv, 10);
	ck_assert_int_gt(fired_svc, 0);
	once = fired_once;			/* 0 unless the machine is slow */
	service_free(svc);
	fired_svc = 0;
	run_ms(&srv, 100);
	ck_assert_int_eq(fired_svc, 0);
	ck_assert_int_eq(fired_once, once);
	server_free(&srv);
}
END_TEST

/*
 * A connection's periodic timer sends ticks to the client, and stops for
 * good once the connection's close hook has run.
 */
START_TEST(test_conn_timer_goes_with_conn)
{
	struct server		 srv;
	struct sb_service	*svc = setup(&srv);
	struct sockaddr_un	 sun;
	char			 buf[4096] = "", logged[512];
	size_t			 len = 0;
	ssize_t			 n;
	int			 sv[2], i, err, logfd;
	FILE			*logf;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_ptr_nonnull(conn_accept(svc, sv[0],
	    (struct sockaddr *)&sun, NULL));
	for (i = 0; i < 100 && strstr(buf, "tick 3\n") == NULL; i++) {
		run_ms(&srv, 5);
		while (len < sizeof(buf) - 1 &&
		    (n = read(sv[1], buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)n;
		buf[len] = '\0';
	}
	ck_assert_msg(strstr(buf, "tick 3\n") != NULL, "got \"%s\"", buf);
	ck_assert_int_eq(strncmp(buf, "peer unix\ntick 1\n", 17), 0);
	ck_assert_int_eq(write(sv[1], "bye\n", 4), 4);
	/* What the close hook logs goes to a file, not the test's stderr. */
	ck_assert_ptr_nonnull(logf = tmpfile());
	logfd = fileno(logf);
	fflush(stderr);
	err = dup(2);
	dup2(logfd, 2);
	log_init(LOG_STYLE_BARE);
	log_setlevel(LOG_LEVEL_NOTICE);
	for (i = 0; i < 100 && closed == 0; i++)
		run_ms(&srv, 5);
	fflush(stderr);
	dup2(err, 2);
	close(err);
	ck_assert_int_eq(closed, 1);
	n = pread(logfd, logged, sizeof(logged) - 1, 0);
	fclose(logf);
	ck_assert_int_gt(n, 0);
	logged[n] = '\0';
	ck_assert_msg(strstr(logged, "t[unix #1]: gone: bye\n") != NULL,
	    "logged \"%s\"", logged);
	ck_assert_msg(strstr(logged, "t: ") != NULL &&
	    strstr(logged, " ticks\n") != NULL, "logged \"%s\"", logged);
	run_ms(&srv, 40);
	ck_assert_int_eq(ticks, ticks_at_close);
	close(sv[1]);
	run_ms(&srv, 10);
	service_free(svc);
	server_free(&srv);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("timer");
	TCase	*tc = tcase_create("timer");

	tcase_add_test(tc, test_service_timers);
	tcase_add_test(tc, test_service_timer_goes_with_service);
	tcase_add_test(tc, test_conn_timer_goes_with_conn);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_timer"));
}
