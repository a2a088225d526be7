/*
 * switchboard: applying declared option tables (struct sb_option) to
 * libconfig groups, and collecting "file:line: message" errors.
 */
#ifndef SB_CONF_OPTION_H
#define SB_CONF_OPTION_H

#include <stddef.h>

#include <libconfig.h>

#include <switchboard/handler.h>

/*
 * A key the core reads with its own code (listen, allow, services...):
 * declared so it is known, skipped when tables are applied. Not a kind
 * handlers can declare.
 */
#define CONF_OPT_CUSTOM	((enum sb_opt_type)0x100)

struct conf_errors {
	char	**msgs;
	int	 *lines;	/* line of each message, for sorting */
	size_t	  n;
};

/* Where errors go while one file is read. */
struct conf_report {
	const char		*file;
	struct conf_errors	*errs;
};

void	conf_report(struct conf_report *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	conf_errors_sort(struct conf_errors *, size_t);
void	conf_errors_free(struct conf_errors *);

const struct sb_option *conf_option_find(const struct sb_option *,
	    const char *);
char	*conf_option_names(const struct sb_option *const *, size_t);
void	 conf_option_defaults(const struct sb_option *, void *);
void	 conf_option_apply(const struct sb_option *, void *,
	    const config_setting_t *, struct conf_report *);
void	 conf_option_free(const struct sb_option *, void *);

#endif
