/*
 * switchboard: the registry of handlers. Adding a built-in handler means
 * one line in SB_BUILTINS (and its folder under src/handlers/).
 */
#include <string.h>

#include "handlers.h"

#define SB_BUILTINS(X)							\
	X(number_text_handler)						\
	X(upper_echo_handler)						\
	X(chat_relay_handler)

#define SB_DECLARE(h)	extern const struct sb_handler h;
#define SB_ENTRY(h)	&h,
SB_BUILTINS(SB_DECLARE)

static const struct sb_handler *const handlers[] = {
	SB_BUILTINS(SB_ENTRY)
	NULL
};

/* Look a handler up by its name; NULL if there is none. */
const struct sb_handler *
handlers_find(const char *name)
{
	size_t	i;

	for (i = 0; handlers[i] != NULL; i++) {
		if (strcmp(handlers[i]->name, name) == 0)
			return (handlers[i]);
	}
	return (NULL);
}

/* The names of all handlers, for "known: ..." hints. */
const char *
handlers_names(void)
{
	static char	names[256];
	size_t		i;

	if (names[0] != '\0')
		return (names);
	for (i = 0; handlers[i] != NULL; i++) {
		if (i > 0)
			strncat(names, ", ", sizeof(names) - strlen(names) - 1);
		strncat(names, handlers[i]->name,
		    sizeof(names) - strlen(names) - 1);
	}
	return (names);
}
