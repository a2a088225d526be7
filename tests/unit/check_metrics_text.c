/*
 * switchboard unit tests: the metrics page's text (src/ops/metrics.c) for
 * a server built by hand: label values escaped as the exposition format
 * says, every count where it belongs, removed services left out.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <check.h>

#include "../check_common.h"
#include "conf.h"
#include "metrics.h"
#include "server.h"
#include "service.h"

/* The page for srv, as a string. */
static char *
render(struct server *srv)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 len;
	char		*text;

	ck_assert_ptr_nonnull(b);
	metrics_render(srv, b);
	len = evbuffer_get_length(b);
	ck_assert_ptr_nonnull(text = malloc(len + 1));
	evbuffer_remove(b, text, len);
	text[len] = '\0';
	evbuffer_free(b);
	return (text);
}

/* The text must hold this whole line. */
static void
has_line(const char *text, const char *line)
{
	size_t	n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	}
	ck_abort_msg("no line \"%s\" in:\n%s", line, text);
}

START_TEST(test_escape_and_counts)
{
	struct server		 srv;
	struct sb_service	 svc, gone;
	struct conf_service	 cs, gcs;
	char			*text, *p;

	memset(&srv, 0, sizeof(srv));
	memset(&svc, 0, sizeof(svc));
	memset(&gone, 0, sizeof(gone));
	memset(&cs, 0, sizeof(cs));
	memset(&gcs, 0, sizeof(gcs));
	TAILQ_INIT(&srv.services);
	TAILQ_INIT(&srv.retired);
	cs.name = "a\"b\\c\nd";
	svc.conf = &cs;
	svc.nconns = 3;
	svc.count.accepted = 11;
	svc.count.lines_in = 7;
	svc.count.lines_out = 8;
	svc.count.bytes_in = 70;
	svc.count.bytes_out = 80;
	svc.count.limits[LIMIT_DENIED] = 2;
	svc.count.limits[LIMIT_MAX_CLIENTS] = 9;
	svc.count.limits[LIMIT_RATE] = 5;
	svc.count.limits[LIMIT_LINE_TOO_LONG] = 6;
	TAILQ_INSERT_TAIL(&srv.services, &svc, entry);
	gcs.name = "gone";
	gone.conf = &gcs;
	TAILQ_INSERT_TAIL(&srv.retired, &gone, entry);
	srv.reloads_ok = 4;
	srv.reloads_failed = 1;
	srv.reload_time = 1700000000;
	text = render(&srv);
#define S "{service=\"a\\\"b\\\\c\\nd\""
	has_line(text, "switchboard_connections" S "} 3");
	has_line(text, "switchboard_connections_accepted_total" S "} 11");
	has_line(text, "switchboard_lines_received_total" S "} 7");
	has_line(text, "switchboard_lines_sent_total" S "} 8");
	has_line(text, "switchboard_bytes_received_total" S "} 70");
	has_line(text, "switchboard_bytes_sent_total" S "} 80");
	has_line(text, "switchboard_connections_refused_total" S
	    ",reason=\"acl\"} 2");
	has_line(text, "switchboard_connections_refused_total" S
	    ",reason=\"max_clients\"} 9");
	has_line(text, "switchboard_connections_refused_total" S
	    ",reason=\"max_per_ip\"} 0");
	has_line(text, "switchboard_limit_events_total" S
	    ",limit=\"rate\"} 5");
	has_line(text, "switchboard_limit_events_total" S
	    ",limit=\"max_line\"} 6");
	has_line(text, "switchboard_limit_events_total" S
	    ",limit=\"idle_timeout\"} 0");
#undef S
	has_line(text, "switchboard_reloads_total{result=\"ok\"} 4");
	has_line(text, "switchboard_reloads_total{result=\"failed\"} 1");
	has_line(text, "switchboard_config_last_reload_success_timestamp_"
	    "seconds 1700000000");
	has_line(text, "# TYPE switchboard_connections gauge");
	ck_assert_ptr_null(strstr(text, "gone"));
	/* No refusal reason is also a limit label, and the reverse. */
	ck_assert_ptr_null(strstr(text, "limit=\"max_clients\""));
	ck_assert_ptr_null(strstr(text, "reason=\"rate\""));
	ck_assert_ptr_null(strstr(text, "allow/deny"));
	/* Every line is a comment or a sample: no raw newline in a label. */
	for (p = text; *p != '\0'; p = strchr(p, '\n') + 1) {
		ck_assert_msg(*p == '#' || strncmp(p, "switchboard_", 12) == 0 ||
		    strncmp(p, "process_", 8) == 0, "stray line: %.40s", p);
	}
	free(text);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("metrics_text");
	TCase	*tc = tcase_create("render");

	tcase_add_test(tc, test_escape_and_counts);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_metrics_text"));
}
