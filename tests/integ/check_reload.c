/*
 * switchboard integration tests: SIGHUP reload and the notify messages
 * around it.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

#define SVC(name, handler, extra) \
	"  { name = \"" name "\"; handler = \"" handler "\";\n" \
	"    listen = [ \"127.0.0.1:0\" ]; " extra " }\n"

static const char conf_two[] = "max_line = 64;\nservices = (\n"
    SVC("numbers", "number-to-text", "") ","
    SVC("upper", "uppercase-echo", "")
    ");\n";

START_TEST(test_notify_sequence)
{
	struct timespec	 ts;
	struct sbd	 d;
	const char	*p;
	unsigned long long usec, now;

	sbd_start(&d, conf_two);
	sbd_reload(&d, NULL);
	p = strstr(d.notes, "RELOADING=1\nMONOTONIC_USEC=");
	ck_assert_msg(p != NULL, "%s", d.notes);
	usec = strtoull(p + 27, NULL, 10);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000;
	ck_assert(usec <= now && now - usec < 10000000);
	/* READY=1 comes after RELOADING=1, with a fresh STATUS. */
	ck_assert_ptr_nonnull(strstr(p, "READY=1\nSTATUS=2 services, "));
	ck_assert_int_eq(sbd_count_notes(&d, "READY=1"), 2);
	ck_assert(sbd_log_has(&d, "reloaded: 2 services"));
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * The whole conversation with the service manager, message by message
 * (the periodic STATUS= refreshes left out): start, a good reload, a bad
 * reload, stop.
 */
START_TEST(test_exact_notify_sequence)
{
	static const char *const want[] = {
		"READY=1\nSTATUS=2 services, 0 connections; clients: numbers 0, "
		"upper 0; numbers=127.0.0.1:",
		"RELOADING=1\nMONOTONIC_USEC=",
		"READY=1\nSTATUS=2 services, 0 connections; clients: numbers 0, "
		"upper 0; numbers=127.0.0.1:",
		"RELOADING=1\nMONOTONIC_USEC=",
		"READY=1\nSTATUS=reload failed (",
		"STOPPING=1\nSTATUS=shutting down",
	};
	struct sbd	 d;
	char		*msg, *save = NULL;
	size_t		 n = 0;

	sbd_start(&d, conf_two);
	sbd_reload(&d, NULL);
	sbd_reload(&d, "services = ( { name = \"x\"; } );\n");
	ck_assert_int_eq(sbd_stop(&d), 0);
	for (msg = strtok_r(d.notes, "\x1e", &save); msg != NULL;
	    msg = strtok_r(NULL, "\x1e", &save)) {
		if (strncmp(msg, "STATUS=", 7) == 0)
			continue;
		ck_assert_msg(n < sizeof(want) / sizeof(want[0]),
		    "unexpected message %zu: %s", n, msg);
		ck_assert_msg(strncmp(msg, want[n], strlen(want[n])) == 0,
		    "message %zu is \"%s\", expected \"%s...\"", n, msg,
		    want[n]);
		if (strncmp(msg, "RELOADING=1", 11) == 0)
			ck_assert_ptr_nonnull(strstr(msg, "\nSTATUS=reloading "
			    "the configuration"));
		n++;
	}
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
}
END_TEST

START_TEST(test_bad_config_keeps_serving)
{
	struct sbd	 d;
	struct client	*live, *fresh;
	int		 port;

	sbd_start(&d, conf_two);
	port = sbd_port(&d, "numbers");
	live = cl_tcp(port);
	cl_send(live, "1\n");
	cl_expect(live, "one");
	sbd_reload(&d, "services = (\n" SVC("numbers", "number-to-txt", "")
	    ");\n");
	ck_assert_ptr_nonnull(strstr(d.notes, "READY=1\nSTATUS=reload failed "
	    "("));
	ck_assert(sbd_log_has(&d, "switchboard.conf:2: unknown handler "
	    "\"number-to-txt\""));
	ck_assert(sbd_log_has(&d, "reload failed, still serving the previous "
	    "configuration"));
	cl_send(live, "2\n");
	cl_expect(live, "two");
	/* libconfig 1.5 would exit() on this; the daemon refuses it first. */
	sbd_reload(&d, "@include \"/etc\"\n");
	ck_assert(sbd_log_has(&d, "switchboard.conf:1: @include is not "
	    "supported"));
	ck_assert_int_eq(sbd_wait_exit(&d, 0), -1);
	fresh = cl_tcp(port);
	cl_send(fresh, "3\n");
	cl_expect(fresh, "three");
	/* Fixed again, the next reload goes through. */
	sbd_reload(&d, conf_two);
	ck_assert(sbd_log_has(&d, "reloaded: 2 services"));
	cl_send(live, "4\n");
	cl_expect(live, "four");
	cl_close(live);
	cl_close(fresh);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_add_remove_replace)
{
	struct sbd	 d;
	struct client	*num, *up, *chat, *x;
	int		 pnum, pup, pchat;

	sbd_start(&d, conf_two);
	pnum = sbd_port(&d, "numbers");
	pup = sbd_port(&d, "upper");
	num = cl_tcp(pnum);
	up = cl_tcp(pup);
	cl_send(up, "a\n");
	cl_expect(up, "A");
	/* upper goes, lobby comes, numbers stays. */
	sbd_reload(&d, "services = (\n" SVC("numbers", "number-to-text", "") ","
	    SVC("lobby", "chat-relay", "") ");\n");
	cl_expect(up, "error: service removed by reload");
	ck_assert(cl_eof(up, T_WAIT_MS));
	ck_assert(!port_open(pup));
	cl_send(num, "5\n");			/* untouched */
	cl_expect(num, "five");
	ck_assert_int_eq(sbd_port(&d, "numbers"), pnum);
	pchat = sbd_port(&d, "lobby");
	chat = cl_tcp(pchat);
	ck_assert_ptr_nonnull(strstr(cl_line(chat, T_WAIT_MS), "welcome to "
	    "lobby"));
	/* lobby becomes an uppercase-echo service on the same socket. */
	sbd_reload(&d, "services = (\n" SVC("numbers", "number-to-text", "") ","
	    SVC("lobby", "uppercase-echo", "") ");\n");
	cl_expect(chat, "* service removed by reload");
	ck_assert(cl_eof(chat, T_WAIT_MS));
	ck_assert_int_eq(sbd_port(&d, "lobby"), pchat);
	x = cl_tcp(pchat);
	cl_send(x, "now upper\n");
	cl_expect(x, "NOW UPPER");
	ck_assert(sbd_log_has(&d, "upper: stopped"));
	cl_close(num);
	cl_close(up);
	cl_close(chat);
	cl_close(x);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_listen_changes)
{
	struct sbd	 d;
	struct client	*c, *u;
	char		 conf[1024], path[128];
	int		 port;

	sbd_start(&d, conf_two);
	port = sbd_port(&d, "numbers");
	c = cl_tcp(port);
	snprintf(path, sizeof(path), "%s/numbers.sock", d.dir);
	/* Add a unix socket: the TCP socket is kept. */
	snprintf(conf, sizeof(conf), "services = ( { name = \"numbers\"; "
	    "handler = \"number-to-text\"; listen = [ \"127.0.0.1:0\", "
	    "\"unix:%s\" ]; } );\n", path);
	sbd_reload(&d, conf);
	ck_assert_int_eq(sbd_port(&d, "numbers"), port);
	u = cl_unix(path);
	cl_send(u, "6\n");
	cl_expect(u, "six");
	/* Drop the TCP address: new clients are refused, live ones stay. */
	snprintf(conf, sizeof(conf), "services = ( { name = \"numbers\"; "
	    "handler = \"number-to-text\"; listen = [ \"unix:%s\" ]; } );\n",
	    path);
	sbd_reload(&d, conf);
	ck_assert(!port_open(port));
	cl_send(c, "7\n");
	cl_expect(c, "seven");
	cl_send(u, "8\n");
	cl_expect(u, "eight");
	cl_close(c);
	cl_close(u);
	ck_assert_int_eq(sbd_stop(&d), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_limits_apply_to_new_connections)
{
	struct sbd	 d;
	struct client	*old, *new;
	char		 conf[512];

	sbd_start(&d, conf_two);
	old = cl_tcp(sbd_port(&d, "upper"));
	snprintf(conf, sizeof(conf), "max_line = 16;\nservices = (\n"
	    SVC("numbers", "number-to-text", "") "," SVC("upper", "uppercase-echo",
	    "") ");\n");
	sbd_reload(&d, conf);
	new = cl_tcp(sbd_port(&d, "upper"));
	cl_send(old, "a line of forty bytes, more than sixteen\n");
	cl_expect(old, "A LINE OF FORTY BYTES, MORE THAN SIXTEEN");
	cl_send(new, "a line of forty bytes, more than sixteen\n");
	cl_expect(new, "error: line too long (max 16 bytes)");
	cl_close(old);
	cl_close(new);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_chat_room_survives_reload)
{
	struct sbd	 d;
	struct client	*a, *b;
	const char	*chat = "services = (\n"
	    SVC("lobby", "chat-relay", "history = 5;") ");\n";

	sbd_start(&d, chat);
	a = cl_tcp(sbd_port(&d, "lobby"));
	ck_assert_ptr_nonnull(cl_line(a, T_WAIT_MS));
	cl_send(a, "/nick alice\nbefore\n/who\n");
	cl_expect(a, "* you are now known as alice");
	cl_expect(a, "* online (1): alice");	/* "before" was handled */
	sbd_reload(&d, "services = (\n"
	    SVC("lobby", "chat-relay", "history = 1;") ");\n");
	b = cl_tcp(sbd_port(&d, "lobby"));
	ck_assert_ptr_nonnull(strstr(cl_line(b, T_WAIT_MS), "online (2): "
	    "alice, guest2"));
	cl_expect(b, "* last 1 messages:");	/* history kept, now 1 */
	ck_assert_ptr_nonnull(strstr(cl_line(b, T_WAIT_MS), "] <alice> before"));
	cl_expect(b, "* end of history");
	cl_send(a, "after\n");
	cl_expect(b, "<alice> after");
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A reload that raises a room's history takes effect at once (the
 * handler's reconfigure hook): what is said after it, before anyone new
 * joins, is kept up to the new size, not the old one.
 */
START_TEST(test_chat_history_grows_at_reload)
{
	struct sbd	 d;
	struct client	*a, *b;

	sbd_start(&d, "services = (\n"
	    SVC("lobby", "chat-relay", "history = 1;") ");\n");
	a = cl_tcp(sbd_port(&d, "lobby"));
	ck_assert_ptr_nonnull(cl_line(a, T_WAIT_MS));
	sbd_reload(&d, "services = (\n"
	    SVC("lobby", "chat-relay", "history = 3;") ");\n");
	cl_send(a, "one\ntwo\nthree\n/who\n");
	cl_expect(a, "* online (1): guest1");	/* all three were said */
	b = cl_tcp(sbd_port(&d, "lobby"));
	ck_assert_ptr_nonnull(cl_line(b, T_WAIT_MS));
	cl_expect(b, "* last 3 messages:");
	ck_assert_ptr_nonnull(strstr(cl_line(b, T_WAIT_MS), "] <guest1> one"));
	ck_assert_ptr_nonnull(strstr(cl_line(b, T_WAIT_MS), "] <guest1> two"));
	ck_assert_ptr_nonnull(strstr(cl_line(b, T_WAIT_MS),
	    "] <guest1> three"));
	cl_expect(b, "* end of history");
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* A client hammering a service sees no error while SIGHUP keeps coming. */
START_TEST(test_reload_under_traffic)
{
	struct sbd	 d;
	struct client	*c, *live;
	char		 req[32];
	int		 i, port, hups = 0;

	sbd_start(&d, conf_two);
	port = sbd_port(&d, "numbers");
	live = cl_tcp(port);
	for (i = 0; i < 400; i++) {
		if (i % 10 == 0) {
			ck_assert_int_eq(kill(d.pid, SIGHUP), 0);
			hups++;
		}
		/* Read notifications as systemd would: sd_notify blocks. */
		sbd_count_notes(&d, "READY=1");
		c = cl_tcp(port);		/* a refused connect fails here */
		snprintf(req, sizeof(req), "%d\n", i % 10);
		cl_send(c, req);
		ck_assert_ptr_nonnull(cl_line(c, T_WAIT_MS));
		ck_assert_msg(strncmp(c->line, "error", 5) != 0, "%s", c->line);
		cl_close(c);
		cl_send(live, "1\n");
		cl_expect(live, "one");
	}
	ck_assert(sbd_wait_notify(&d, "READY=1", T_WAIT_MS));
	ck_assert_int_ge(sbd_count_notes(&d, "RELOADING=1"), hups / 2);
	ck_assert(!sbd_log_has(&d, "reload failed"));
	cl_close(live);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_reload");
	TCase	*tc = tcase_create("reload");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_notify_sequence);
	tcase_add_test(tc, test_exact_notify_sequence);
	tcase_add_test(tc, test_bad_config_keeps_serving);
	tcase_add_test(tc, test_add_remove_replace);
	tcase_add_test(tc, test_listen_changes);
	tcase_add_test(tc, test_limits_apply_to_new_connections);
	tcase_add_test(tc, test_chat_room_survives_reload);
	tcase_add_test(tc, test_chat_history_grows_at_reload);
	tcase_add_test(tc, test_reload_under_traffic);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_reload"));
}
