/*
 * switchboard: the registry of handlers. Adding a built-in handler means
 * one line in SB_BUILTINS (and its folder under src/handlers/); handlers
 * of loaded plugins (plugin.c) are found after the built-ins.
 */
#include <string.h>

#include "handlers.h"
#include "plugin.h"

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

/* Look a built-in handler up by its name; NULL if there is none. */
const struct sb_handler *
handlers_builtin(const char *name)
{
	size_t	i;

	for (i = 0; handlers[i] != NULL; i++) {
		if (strcmp(handlers[i]->name, name) == 0)
			return (handlers[i]);
	}
	return (NULL);
}

/* Look a handler, built-in or of a loaded plugin, up by its name. */
const struct sb_handler *
handlers_find(const char *name)
{
	const struct sb_handler	*h;

	if ((h = handlers_builtin(name)) != NULL)
		return (h);
	return (plugin_find_handler(name, NULL));
}

/* The names of all handlers, for "known: ..." hints. */
const char *
handlers_names(void)
{
	static char	names[512];
	size_t		i;

	names[0] = '\0';
	for (i = 0; handlers[i] != NULL; i++) {
		if (i > 0)
			strncat(names, ", ", sizeof(names) - strlen(names) - 1);
		strncat(names, handlers[i]->name,
		    sizeof(names) - strlen(names) - 1);
	}
	plugin_handler_names(names, sizeof(names));
	return (names);
}
