/*
 * switchboard integration tests: socket activation, driven by systemd's
 * own systemd-socket-activate (which binds the sockets, waits for the
 * first client, then runs the daemon with LISTEN_FDS and LISTEN_FDNAMES),
 * and a start that fails after taking a passed socket over.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

/*
 * Connect to a unix socket as soon as something listens on it (the file
 * appears at bind, a moment before listen).
 */
static struct client *
connect_when_there(const char *path)
{
	struct sockaddr_un	 sun;
	struct client		*c;
	int			 i;

	c = calloc(1, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	for (i = 0; i < 500; i++) {
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return (c);
		close(c->fd);
		usleep(10000);
	}
	ck_abort_msg("nothing listens on %s", path);
	return (NULL);
}

/* The backlog of a listening unix socket. */
static int
unix_backlog(const char *path)
{
	char	filter[256];

	snprintf(filter, sizeof(filter), "-x src '%s'", path);
	return (listen_backlog_of(filter));
}

START_TEST(test_passed_sockets_adopted)
{
	struct sbd	 d;
	struct client	*a, *b;
	char		 conf[512], main_sock[128], extra[128], names[64];
	const char	*wrap[10];
	int		 backlog;

	memset(&d, 0, sizeof(d));
	sbd_write_conf(&d, "");
	snprintf(main_sock, sizeof(main_sock), "%s/lobby.sock", d.dir);
	snprintf(extra, sizeof(extra), "%s/extra.sock", d.dir);
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"lobby\"; handler = \"chat-relay\"; listen = "
	    "[ \"unix:%s\" ]; },\n"
	    "  { name = \"numbers\"; handler = \"number-to-text\"; listen = "
	    "[ \"127.0.0.1:0\" ]; }\n);\n", main_sock);
	snprintf(names, sizeof(names), "--fdname=lobby:lobby");
	wrap[0] = "systemd-socket-activate";
	wrap[1] = "-l";
	wrap[2] = main_sock;
	wrap[3] = "-l";
	wrap[4] = extra;
	wrap[5] = names;
	wrap[6] = "-E";
	wrap[7] = "NOTIFY_SOCKET";
	wrap[8] = NULL;
	sbd_spawn_wrapped(&d, conf, wrap);
	a = connect_when_there(main_sock);	/* this starts the daemon */
	ck_assert_ptr_nonnull(strstr(cl_line(a, T_WAIT_MS), "you are guest1"));
	ck_assert(sbd_wait_notify(&d, "READY=1", T_WAIT_MS));
	ck_assert(sbd_log_has(&d, "socket activation: 2 sockets passed"));
	b = cl_unix(extra);			/* the unlisted one serves too */
	ck_assert_ptr_nonnull(strstr(cl_line(b, T_WAIT_MS), "you are guest2"));
	cl_expect(a, "* guest2 has joined");
	/* Services without passed sockets bind their own. */
	ck_assert_int_gt(sbd_port(&d, "numbers"), 0);
	/* A reload keeps the passed sockets, their backlog and the room. */
	backlog = unix_backlog(main_sock);
	ck_assert_int_ne(backlog, 511);		/* systemd's, not ours */
	cl_close(b);
	cl_expect(a, "* guest2 has left (client closed the connection)");
	sbd_reload(&d, NULL);
	ck_assert_int_eq(unix_backlog(main_sock), backlog);
	b = cl_unix(extra);
	ck_assert_ptr_nonnull(strstr(cl_line(b, T_WAIT_MS), "you are guest3"));
	cl_expect(a, "* guest3 has joined");
	cl_close(b);
	cl_expect(a, "* guest3 has left (client closed the connection)");
	b = cl_unix(main_sock);
	ck_assert_ptr_nonnull(strstr(cl_line(b, T_WAIT_MS), "you are guest4"));
	cl_expect(a, "* guest4 has joined");
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
	ck_assert_int_eq(access(main_sock, F_OK), 0);	/* not ours to remove */
	unlink(main_sock);
	unlink(extra);
}
END_TEST

START_TEST(test_unknown_name_is_an_error)
{
	struct sbd	 d;
	struct client	*a;
	char		 conf[256], path[128];
	const char	*wrap[8];

	memset(&d, 0, sizeof(d));
	sbd_write_conf(&d, "");
	snprintf(path, sizeof(path), "%s/x.sock", d.dir);
	snprintf(conf, sizeof(conf), "services = ( { name = \"lobby\"; "
	    "handler = \"chat-relay\"; listen = [ \"127.0.0.1:0\" ]; } );\n");
	wrap[0] = "systemd-socket-activate";
	wrap[1] = "-l";
	wrap[2] = path;
	wrap[3] = "--fdname=lobbby";
	wrap[4] = "-E";
	wrap[5] = "NOTIFY_SOCKET";
	wrap[6] = NULL;
	sbd_spawn_wrapped(&d, conf, wrap);
	a = connect_when_there(path);
	ck_assert_int_eq(sbd_wait_exit(&d, T_WAIT_MS), 78);
	ck_assert(sbd_log_has(&d, "socket activation: a socket named "
	    "\"lobbby\" was passed, but no service has that name"));
	ck_assert(sbd_wait_notify(&d, "STATUS=socket activation: a socket "
	    "named \"lobbby\"", 0));
	cl_close(a);
	sbd_stop(&d);
	unlink(path);
}
END_TEST

/*
 * A start that took over a passed socket and then fails (a later service
 * cannot bind) rolls back: it exits 69 naming the service, and the
 * passed socket's file, which systemd made, is left where it is.
 */
START_TEST(test_failed_start_leaves_passed_file)
{
	struct sbd		 d;
	struct client		*a;
	char			 conf[512], path[128], want[128];
	const char		*wrap[8];
	int			 fd, port;

	fd = port_taken(&port);
	memset(&d, 0, sizeof(d));
	sbd_write_conf(&d, "");
	snprintf(path, sizeof(path), "%s/lobby.sock", d.dir);
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"lobby\"; handler = \"chat-relay\"; listen = "
	    "[ \"unix:%s\" ]; },\n"
	    "  { name = \"taken\"; handler = \"uppercase-echo\"; listen = "
	    "[ \"127.0.0.1:%d\" ]; }\n);\n", path, port);
	wrap[0] = "systemd-socket-activate";
	wrap[1] = "-l";
	wrap[2] = path;
	wrap[3] = "--fdname=lobby";
	wrap[4] = "-E";
	wrap[5] = "NOTIFY_SOCKET";
	wrap[6] = NULL;
	sbd_spawn_wrapped(&d, conf, wrap);
	a = connect_when_there(path);
	ck_assert_int_eq(sbd_wait_exit(&d, T_WAIT_MS), 69);
	ck_assert(sbd_log_has(&d, "lobby: listening on unix:"));
	snprintf(want, sizeof(want), "taken: cannot listen on 127.0.0.1:%d: "
	    "Address already in use", port);
	ck_assert(sbd_log_has(&d, want));
	ck_assert_int_eq(access(path, F_OK), 0);	/* not ours to remove */
	cl_close(a);
	sbd_stop(&d);
	unlink(path);
	close(fd);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_activation");
	TCase	*tc = tcase_create("activation");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_passed_sockets_adopted);
	tcase_add_test(tc, test_unknown_name_is_an_error);
	tcase_add_test(tc, test_failed_start_leaves_passed_file);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_activation"));
}
