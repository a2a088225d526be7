/*
 * switchboard: the registry. Adding a handler means one line here.
 */
#include <string.h>

#include "handlers.h"

static const struct sb_handler *const handlers[] = {
	&number_text_handler,
	&upper_echo_handler,
	&chat_relay_handler,
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
