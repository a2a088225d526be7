/*
 * switchboard: switchboardd, the daemon's entry point. Reads the command
 * line and the config, then runs the server in the foreground.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>


#include "conf.h"
#include "log.h"
#include "notify.h"
#include "server.h"

/*
 * The default config file is $(sysconfdir)/switchboard/switchboard.conf,
 * set by Makefile.am so that it follows ./configure: /etc/switchboard/...
 * in the Debian package, /usr/local/etc/switchboard/... by default.
 */
#ifndef SB_DEFAULT_CONFIG
#error "SB_DEFAULT_CONFIG is not defined (Makefile.am defines it)"
#endif

static void	usage(int);
static struct conf *load_config(const char *);

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "test-config", no_argument, NULL, 't' },
	{ "log-level", required_argument, NULL, 'l' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Print the usage message (to stdout for -h, as an error otherwise). */
static void
usage(int error)
{
	static const char	text[] =
	    "usage: switchboardd [-thV] [-c file] [-l level]\n"
	    "  -c, --config FILE      config file (default "
	    SB_DEFAULT_CONFIG ")\n"
	    "  -t, --test-config      check the config file and exit\n"
	    "  -l, --log-level LEVEL  error, warning, notice, info or debug\n"
	    "  -V, --version          print the version and exit\n"
	    "  -h, --help             print this help and exit";

	if (error)
		log_msg(LOG_LEVEL_ERROR, "%s", text);
	else
		printf("%s\n", text);
}

/* Read the config, logging every error; NULL if there were any. */
static struct conf *
load_config(const char *path)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	struct conf		*conf;
	size_t			 i;

	conf = conf_load(path, &errs);
	for (i = 0; i < errs.n; i++)
		log_msg(LOG_LEVEL_ERROR, "%s", errs.msgs[i]);
	conf_errors_free(&errs);
	return (conf);
}

int
main(int argc, char **argv)
{
	const char	*path = SB_DEFAULT_CONFIG, *level = NULL;
	struct conf	*conf;
	struct server	 srv;
	sigset_t	 stop;
	enum log_level	 lv = LOG_LEVEL_INFO;
	int		 ch, test = 0, rc;

	log_init(LOG_STYLE_BARE);
	while ((ch = getopt_long(argc, argv, "c:tl:Vh", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'l':
			level = optarg;
			break;
		case 'V':
			printf("switchboardd %s\n", PACKAGE_VERSION);
			return (EX_OK);
		case 'h':
			usage(0);
			return (EX_OK);
		default:
			usage(1);
			return (EX_USAGE);
		}
	}
	if (optind != argc) {
		log_msg(LOG_LEVEL_ERROR, "switchboardd: unexpected argument "
		    "\"%s\"", argv[optind]);
		usage(1);
		return (EX_USAGE);
	}
	if (level != NULL && log_level_parse(level, &lv) == -1) {
		log_msg(LOG_LEVEL_ERROR, "unknown log level \"%s\" (use error, "
		    "warning, notice, info or debug)", level);
		return (EX_USAGE);
	}
	if (test) {
		if ((conf = load_config(path)) == NULL)
			return (EX_CONFIG);
		conf_free(conf);
		printf("%s: configuration OK\n", path);
		return (EX_OK);
	}

	log_init(LOG_STYLE_AUTO);
	/*
	 * Signals a package script may send for another daemon's sake must not
	 * stop this one while it starts either (the default action of HUP and
	 * the USR signals is to exit); the loop takes HUP, USR1 and USR2 over
	 * once it is set up. A HUP before then finds the file just read.
	 */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGWINCH, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	if ((conf = load_config(path)) == NULL) {
		log_msg(LOG_LEVEL_ERROR, "not starting: %s has errors", path);
		notify_failure("not starting: the configuration has errors "
		    "(see the log)", 0);
		return (EX_CONFIG);
	}
	log_setlevel(level != NULL ? lv : (enum log_level)conf->log_level);
	if (server_init(&srv, conf) == -1)
		fatalx("cannot set up the event loop");
	srv.log_fixed = level != NULL;
	log_info("switchboardd %s starting with %s", PACKAGE_VERSION, path);
	rc = server_start(&srv);
	if (rc == 0)
		rc = server_run(&srv) == 0 ? EX_OK : EX_SOFTWARE;
	/*
	 * Freeing the loop puts back the default signal actions; a late
	 * SIGTERM must not kill us mid-cleanup, so keep stop signals pending.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	server_free(&srv);
	log_info(rc == EX_OK ? "stopped" : "stopped with errors");
	return (rc);
}
