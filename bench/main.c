/*
 * switchboard-bench: load generator for line-protocol servers on loopback.
 *
 *   switchboard-bench rr   [-c conns] [-P inflight] [-m line | --numbers] ...
 *   switchboard-bench chat [-c clients] [-s senders] [-r rate | -w window] ...
 *   switchboard-bench idle [-c conns] --pid PID
 *   switchboard-bench --version
 *
 * Every run is bounded in time (-d, at most 600 s) and only ever connects
 * to 127.0.0.0/8 or ::1.
 */
#include <sys/resource.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bench.h"

/* Print the version, as switchboardd -V does, and exit. */
static void
bench_version(void)
{
	printf("switchboard-bench %s\n", PACKAGE_VERSION);
	exit(0);
}

/* Print the usage message and exit with status. */
static void
usage(int status)
{
	printf("usage: switchboard-bench rr|chat|idle [options]\n"
	    "  -H, --host ADDR      target (127.0.0.1; loopback only)\n"
	    "  -p, --port PORT      target port (required); chat: give it\n"
	    "                       again to spread clients over daemons\n"
	    "  -c, --conns N        connections or chat clients (50)\n"
	    "  -d, --seconds S      load duration, at most 600 (10)\n"
	    "  -n, --requests N     stop after N requests (chat: lines sent)\n"
	    "  -P, --inflight N     rr: lines outstanding per connection (16)\n"
	    "  -m, --message LINE   rr: the request (\"hello\")\n"
	    "      --numbers        rr: rotating numbers (number-to-text)\n"
	    "      --tls            rr, chat, idle: connect over TLS (the\n"
	    "                       certificate is not checked)\n"
	    "  -e, --expect LINE    rr: the reply every request must get\n"
	    "      --check          rr: check replies (-e, or not \"error:\")\n"
	    "      --udp            rr: over UDP, one datagram per request,\n"
	    "                       -c sockets (a lost one is an error)\n"
	    "  -s, --senders N      chat: clients that send (4)\n"
	    "  -r, --rate R         chat: lines/s per sender (open loop)\n"
	    "  -w, --window W       chat: closed loop, lines in flight (8)\n"
	    "  -b, --size B         chat: bytes per line (64)\n"
	    "      --slow N         chat: clients that never read (0)\n"
	    "      --irc            chat: the server is an IRC server (channel\n"
	    "                       #bench; lines of at most 400 bytes)\n"
	    "      --pid PID        server process: CPU per unit, RSS; again\n"
	    "                       to sum the CPU of several\n"
	    "  -l, --label TEXT     name this run in the report\n"
	    "  -V, --version        print the version and exit\n"
	    "Prints a table and one JSON line; the first refused or closed\n"
	    "connection is explained on stderr.\n");
	exit(status);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "conns", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 'd' },
		{ "requests", required_argument, NULL, 'n' },
		{ "inflight", required_argument, NULL, 'P' },
		{ "message", required_argument, NULL, 'm' },
		{ "numbers", no_argument, NULL, 'N' },
		{ "expect", required_argument, NULL, 'e' },
		{ "check", no_argument, NULL, 'C' },
		{ "senders", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "window", required_argument, NULL, 'w' },
		{ "size", required_argument, NULL, 'b' },
		{ "slow", required_argument, NULL, 'S' },
		{ "irc", no_argument, NULL, 'I' },
		{ "udp", no_argument, NULL, 'U' },
		{ "tls", no_argument, NULL, 'T' },
		{ "pid", required_argument, NULL, 'i' },
		{ "label", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct bench_opts	 o = { "127.0.0.1", 0, 50, 16, 10, 0, "hello",
	    0, 0, NULL, 0, 4, 0, 8, 64, 0, NULL, 0, 0, 0, { 0 }, 0, { 0 }, 0 };
	struct bench_result	 r;
	struct event_base	*base;
	struct rlimit		 rl;
	const char		*mode;
	int			 ch, rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)
		usage(argc < 2 ? 64 : 0);
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)
		bench_version();
	mode = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "H:p:c:d:n:P:m:e:s:r:w:b:l:hV",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'H': o.host = optarg; break;
		case 'p':
			if (o.nports == BENCH_MAX_TARGETS)
				usage(64);
			o.ports[o.nports++] = atoi(optarg);
			o.port = o.ports[0];
			break;
		case 'c': o.conns = atoi(optarg); break;
		case 'd': o.seconds = atof(optarg); break;
		case 'n': o.max_requests = strtoull(optarg, NULL, 10); break;
		case 'P': o.inflight = atoi(optarg); break;
		case 'm': o.message = optarg; break;
		case 'N': o.numbers = 1; break;
		case 'e': o.expect = optarg; o.check = 1; break;
		case 'C': o.check = 1; break;
		case 's': o.senders = atoi(optarg); break;
		case 'r': o.rate = atof(optarg); break;
		case 'w': o.window = atoi(optarg); break;
		case 'b': o.size = atoi(optarg); break;
		case 'S': o.slow = atoi(optarg); break;
		case 'I': o.irc = 1; break;
		case 'U': o.udp = 1; break;
		case 'T': o.tls = 1; break;
		case 'i':
			if (o.npids == BENCH_MAX_TARGETS)
				usage(64);
			o.pids[o.npids++] = atoi(optarg);
			o.pid = o.pids[0];
			break;
		case 'l': o.label = optarg; break;
		case 'h': usage(0); break;
		case 'V': bench_version(); break;
		default: usage(64);
		}
	}
	for (ch = 1; ch < o.nports; ch++)
		if (o.ports[ch] <= 0 || o.ports[ch] > 65535 ||
		    strcmp(mode, "chat") != 0)
			o.port = 0;
	if (o.port <= 0 || o.port > 65535 || o.conns < 1 || o.inflight < 1 ||
	    o.seconds <= 0 || o.seconds > 600 || o.window < 1 ||
	    o.size < 32 || o.size > (o.irc ? 400 : 65536) || o.slow < 0 ||
	    (o.udp && o.tls) || (strcmp(mode, "chat") == 0 && (o.senders < 1 ||
	    o.senders > o.conns - o.slow))) {
		fprintf(stderr, "switchboard-bench: bad options (see --help)\n");
		return (64);
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((base = event_base_new()) == NULL)
		return (70);
	memset(&r, 0, sizeof(r));
	r.rss_kb_before = r.rss_kb_after = -1;
	if (strcmp(mode, "rr") == 0 && o.udp)
		rc = bench_rr_udp(base, &o, &r);
	else if (strcmp(mode, "rr") == 0)
		rc = bench_rr(base, &o, &r);
	else if (strcmp(mode, "chat") == 0)
		rc = bench_chat(base, &o, &r);
	else if (strcmp(mode, "idle") == 0)
		rc = bench_idle(base, &o, &r);
	else
		usage(64);
	event_base_free(base);
	if (rc == -1) {
		fprintf(stderr, "switchboard-bench: the run did not start\n");
		return (1);
	}
	bench_report(&o, &r);
	return (r.errors > 0 ? 1 : 0);
}
