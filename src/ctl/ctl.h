/*
 * switchboardctl: the operator's client for switchboardd's control
 * socket. An answer is read into lines of "kind key=value ..." fields
 * (values unescaped), then shown as tables or as JSON.
 */
#ifndef SB_CTL_H
#define SB_CTL_H

#include <stddef.h>

struct ctl_field {
	char		*key;
	char		*value;		/* unescaped, NUL-terminated */
};

struct ctl_line {
	char		*kind;		/* the first word */
	char		*text;		/* the line as sent */
	struct ctl_field *f;
	size_t		 nf;
};

struct ctl_answer {
	struct ctl_line	*lines;
	size_t		 n;
	const char	*error;		/* the "error: ..." line, or NULL */
};

void	ctl_parse(char *, struct ctl_answer *);
void	ctl_answer_free(struct ctl_answer *);
const char *ctl_get(const struct ctl_line *, const char *);
void	ctl_show_table(const char *, const struct ctl_answer *);
void	ctl_show_json(const char *, const struct ctl_answer *);
void	*ctl_alloc(size_t, size_t);

#endif
