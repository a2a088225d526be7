/*
 * switchboard: the metrics page, in the Prometheus text exposition format
 * 0.0.4: per-service counters of the running services (not of removed ones
 * still finishing their clients), the reloads, and the standard process
 * metrics read from /proc.
 *
 * Every family has its # HELP and # TYPE even when it has no sample yet,
 * and every refusal reason and limit appears for every service, at 0 when
 * none fired, so a dashboard's rate() has a series from the start. The
 * only labels are service, reason, limit, result and version; never a
 * client's address or nick.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "conf.h"
#include "metrics.h"
#include "relay.h"
#include "server.h"
#include "service.h"

/* A per-service counter: its family and where struct service_counters
 * keeps it. */
struct metrics_counter {
	const char	*name;
	const char	*help;
	size_t		 offset;
};

/* A limit and the label value it is shown with. */

static const struct metrics_counter metrics_counters[] = {
	{ "switchboard_connections_accepted_total",
	  "Connections the service accepted.",
	  offsetof(struct service_counters, accepted) },
	{ "switchboard_lines_received_total",
	  "Lines the service's clients sent (too long ones too).",
	  offsetof(struct service_counters, lines_in) },
	{ "switchboard_lines_sent_total",
	  "Lines queued to the service's clients (a broadcast to N counts N).",
	  offsetof(struct service_counters, lines_out) },
	{ "switchboard_bytes_received_total",
	  "Bytes read from the service's clients.",
	  offsetof(struct service_counters, bytes_in) },
	{ "switchboard_bytes_sent_total",
	  "Bytes written to the service's clients.",
	  offsetof(struct service_counters, bytes_out) },
};

/* Why a connection was refused, as the reason label says it. */
static const enum service_limit metrics_refusals[] = {
	LIMIT_DENIED, LIMIT_MAX_CONNECTIONS, LIMIT_MAX_PER_IP,
	LIMIT_ACCEPT_RATE, LIMIT_MAX_CLIENTS
};

/* The other limits, named as the config keys are. */
static const enum service_limit metrics_limits[] = {
	LIMIT_LINE_TOO_LONG, LIMIT_SLOW_CONSUMER, LIMIT_IDLE_TIMEOUT,
	LIMIT_LINE_TIMEOUT, LIMIT_SEND_TIMEOUT, LIMIT_RATE,
	/* Datagrams dropped or answers cut (udp: entries). */
	LIMIT_UDP_MAX_REQUEST, LIMIT_UDP_MAX_REPLY,
	LIMIT_UDP_MAX_AMPLIFICATION, LIMIT_UDP_RATE, LIMIT_UDP_SOURCE_PORT
};

#define METRICS_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static void	metrics_family(struct evbuffer *, const char *, const char *,
		    const char *);
static void	metrics_label(struct evbuffer *, const char *);
static void	metrics_sample(struct evbuffer *, const char *, const char *,
		    const char *, const char *, unsigned long long);
static void	metrics_services(struct server *, struct evbuffer *);
static void	metrics_limit_family(struct server *, struct evbuffer *,
		    const char *, const char *, const char *,
		    const enum service_limit *, size_t);
static void	metrics_server(struct server *, struct evbuffer *);
static void	metrics_relays(struct server *, struct evbuffer *);
static void	metrics_process(struct evbuffer *);
static int	metrics_proc_stat(unsigned long long *, unsigned long long *,
		    unsigned long long *, long *);
static long long metrics_boot_time(void);
static long	metrics_open_fds(void);

/* # HELP and # TYPE of one family. */
static void
metrics_family(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/*
 * A label value, quoted and escaped as the format asks: backslash, double
 * quote and newline.
 */
static void
metrics_label(struct evbuffer *out, const char *value)
{
	size_t	n;

	evbuffer_add(out, "\"", 1);
	while (*value != '\0') {
		n = strcspn(value, "\\\"\n");
		evbuffer_add(out, value, n);
		value += n;
		if (*value == '\0')
			break;
		evbuffer_add(out, *value == '\n' ? "\\n" : *value == '\\' ?
		    "\\\\" : "\\\"", 2);
		value++;
	}
	evbuffer_add(out, "\"", 1);
}

/*
 * One sample with the service label and optionally one more (key2 =
 * value2), or with no label at all when service is NULL.
 */
static void
metrics_sample(struct evbuffer *out, const char *name, const char *service,
    const char *key2, const char *value2, unsigned long long v)
{
	evbuffer_add_printf(out, "%s", name);
	if (service != NULL) {
		evbuffer_add(out, "{service=", 9);
		metrics_label(out, service);
		if (key2 != NULL) {
			evbuffer_add_printf(out, ",%s=", key2);
			metrics_label(out, value2);
		}
		evbuffer_add(out, "}", 1);
	}
	evbuffer_add_printf(out, " %llu\n", v);
}

/* A family of per-service limit counters, one sample per limit. */
static void
metrics_limit_family(struct server *srv, struct evbuffer *out,
    const char *name, const char *help, const char *key,
    const enum service_limit *limits, size_t n)
{
	struct sb_service	*svc;
	size_t			 i;

	metrics_family(out, name, "counter", help);
	TAILQ_FOREACH(svc, &srv->services, entry) {
		for (i = 0; i < n; i++)
			metrics_sample(out, name, svc->conf->name, key,
			    service_limit_key(limits[i]),
			    (unsigned long long)svc->count.limits[limits[i]]);
	}
}

/* The per-service families. */
static void
metrics_services(struct server *srv, struct evbuffer *out)
{
	const struct metrics_counter	*m;
	struct sb_service		*svc;
	size_t				 i;
	uint64_t			 v;

	metrics_family(out, "switchboard_connections", "gauge",
	    "Clients connected to the service now.");
	TAILQ_FOREACH(svc, &srv->services, entry)
		metrics_sample(out, "switchboard_connections", svc->conf->name,
		    NULL, NULL, (unsigned long long)svc->nconns);
	for (i = 0; i < METRICS_NITEMS(metrics_counters); i++) {
		m = &metrics_counters[i];
		metrics_family(out, m->name, "counter", m->help);
		TAILQ_FOREACH(svc, &srv->services, entry) {
			memcpy(&v, (const char *)&svc->count + m->offset,
			    sizeof(v));
			metrics_sample(out, m->name, svc->conf->name, NULL,
			    NULL, (unsigned long long)v);
		}
		if (i == 0)
			metrics_limit_family(srv, out,
			    "switchboard_connections_refused_total",
			    "Connections refused, by reason.", "reason",
			    metrics_refusals, METRICS_NITEMS(metrics_refusals));
	}
	metrics_limit_family(srv, out, "switchboard_limit_events_total",
	    "Times a limit fired on a client, by limit.", "limit",
	    metrics_limits, METRICS_NITEMS(metrics_limits));
}

/*
 * The relay's families: samples only for services with a relay (a chat
 * room shared with other daemons through Redis).
 */
static void
metrics_relays(struct server *srv, struct evbuffer *out)
{
	const struct relay_stats	*st;
	struct sb_service		*svc;

	metrics_family(out, "switchboard_relay_up", "gauge",
	    "1 while the service's relay reads its room's Redis stream, "
	    "else 0.");
	TAILQ_FOREACH(svc, &srv->services, entry) {
		if ((st = relay_stats(svc)) != NULL)
			metrics_sample(out, "switchboard_relay_up",
			    svc->conf->name, NULL, NULL, st->state == RELAY_UP);
	}
	metrics_family(out, "switchboard_relay_lines_relayed_total",
	    "counter", "Lines the service appended to its room's stream.");
	TAILQ_FOREACH(svc, &srv->services, entry) {
		if ((st = relay_stats(svc)) != NULL)
			metrics_sample(out,
			    "switchboard_relay_lines_relayed_total",
			    svc->conf->name, NULL, NULL,
			    (unsigned long long)st->relayed);
	}
	metrics_family(out, "switchboard_relay_outages_total", "counter",
	    "Times the service's relay was lost.");
	TAILQ_FOREACH(svc, &srv->services, entry) {
		if ((st = relay_stats(svc)) != NULL)
			metrics_sample(out, "switchboard_relay_outages_total",
			    svc->conf->name, NULL, NULL,
			    (unsigned long long)st->outages);
	}
	metrics_family(out, "switchboard_relay_gaps_total", "counter",
	    "Outages after which the room was repaired from the stream, or "
	    "announced as possibly missing lines (with falls behind the "
	    "stream's trimming), by result.");
	TAILQ_FOREACH(svc, &srv->services, entry) {
		if ((st = relay_stats(svc)) == NULL)
			continue;
		metrics_sample(out, "switchboard_relay_gaps_total",
		    svc->conf->name, "result", "repaired",
		    (unsigned long long)st->gaps_repaired);
		metrics_sample(out, "switchboard_relay_gaps_total",
		    svc->conf->name, "result", "announced",
		    (unsigned long long)st->gaps_announced);
	}
	metrics_family(out, "switchboard_relay_queued_bytes", "gauge",
	    "Bytes of lines waiting for Redis to take them.");
	TAILQ_FOREACH(svc, &srv->services, entry) {
		if ((st = relay_stats(svc)) != NULL)
			metrics_sample(out, "switchboard_relay_queued_bytes",
			    svc->conf->name, NULL, NULL,
			    (unsigned long long)st->queued_bytes);
	}
}

/* Build and reload families. */
static void
metrics_server(struct server *srv, struct evbuffer *out)
{
	metrics_family(out, "switchboard_reloads_total", "counter",
	    "Configuration reloads, by result.");
	evbuffer_add_printf(out, "switchboard_reloads_total{result=\"ok\"} "
	    "%llu\nswitchboard_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)srv->reloads_ok,
	    (unsigned long long)srv->reloads_failed);
	metrics_family(out,
	    "switchboard_config_last_reload_success_timestamp_seconds",
	    "gauge", "When the running configuration was loaded, in seconds "
	    "since the epoch.");
	evbuffer_add_printf(out,
	    "switchboard_config_last_reload_success_timestamp_seconds %lld\n",
	    (long long)srv->reload_time);
}

/*
 * From /proc/self/stat: user and system CPU time and the start time in
 * clock ticks, and the resident set in pages. The command name (field 2)
 * may hold spaces and parentheses: the fields are counted from the last
 * ')'. Returns 0, or -1 if the file cannot be read.
 */
static int
metrics_proc_stat(unsigned long long *utime, unsigned long long *stime,
    unsigned long long *start, long *rss)
{
	char	 buf[1024], *p;
	FILE	*f;
	size_t	 n;

	if ((f = fopen("/proc/self/stat", "re")) == NULL)
		return (-1);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return (-1);
	/* Fields 3 to 13 are skipped; 14, 15 are utime, stime; 22 starttime,
	 * 24 rss. */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu %*d %*d %*d %*d %*d %*d %llu %*u %ld", utime, stime,
	    start, rss) != 4)
		return (-1);
	return (0);
}

/* The boot time, in seconds since the epoch, from /proc/stat; -1 if not
 * known. */
static long long
metrics_boot_time(void)
{
	char		 line[256];
	FILE		*f;
	long long	 btime = -1;

	if ((f = fopen("/proc/stat", "re")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "btime %lld", &btime) == 1)
			break;
	}
	fclose(f);
	return (btime);
}

/* Descriptors open now (the one reading the directory not counted). */
static long
metrics_open_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	long		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			n++;
	}
	closedir(d);
	return (n);
}

/* The standard process families; a value that cannot be read is left
 * out (its family stays, empty). */
static void
metrics_process(struct evbuffer *out)
{
	unsigned long long	 utime, stime, start;
	struct rlimit		 rl;
	long long		 btime = metrics_boot_time();
	long			 rss, fds = metrics_open_fds();
	long			 hz = sysconf(_SC_CLK_TCK);
	int			 ok;

	ok = metrics_proc_stat(&utime, &stime, &start, &rss) == 0 && hz > 0;
	metrics_family(out, "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds.");
	if (ok)
		evbuffer_add_printf(out, "process_cpu_seconds_total %.3f\n",
		    (double)(utime + stime) / (double)hz);
	metrics_family(out, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.");
	if (ok)
		evbuffer_add_printf(out, "process_resident_memory_bytes %lld\n",
		    (long long)rss * (long long)sysconf(_SC_PAGESIZE));
	metrics_family(out, "process_open_fds", "gauge",
	    "Number of open file descriptors.");
	if (fds >= 0)
		evbuffer_add_printf(out, "process_open_fds %ld\n", fds);
	metrics_family(out, "process_max_fds", "gauge",
	    "Maximum number of open file descriptors.");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		evbuffer_add_printf(out, "process_max_fds %llu\n",
		    (unsigned long long)rl.rlim_cur);
	metrics_family(out, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.");
	if (ok && btime >= 0)
		evbuffer_add_printf(out, "process_start_time_seconds %.2f\n",
		    (double)btime + (double)start / (double)hz);
}

/* The whole page for srv, appended to out. */
void
metrics_render(struct server *srv, struct evbuffer *out)
{
	metrics_family(out, "switchboard_build_info", "gauge",
	    "Always 1; the version label says which switchboard runs.");
	evbuffer_add(out, "switchboard_build_info{version=", 31);
	metrics_label(out, PACKAGE_VERSION);
	evbuffer_add(out, "} 1\n", 4);
	metrics_services(srv, out);
	metrics_relays(srv, out);
	metrics_server(srv, out);
	metrics_process(out);
}
