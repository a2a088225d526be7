/*
 * switchboard fuzzing: config loading. Any text either loads (and every
 * service then has a name, a handler and a listen address) or gives at
 * least one error of the form "name:line: ...".
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	struct conf		*conf;
	char			*text;
	size_t			 i;

	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	conf = conf_load_text("fuzz.conf", text, &errs);
	if (conf != NULL) {
		assert(errs.n == 0 && conf->nservices > 0);
		for (i = 0; i < conf->nservices; i++)
			assert(conf->services[i].handler != NULL &&
			    conf->services[i].nlisten > 0);
		conf_free(conf);
	} else {
		assert(errs.n > 0);
		for (i = 0; i < errs.n; i++)
			assert(strncmp(errs.msgs[i], "fuzz.conf:", 10) == 0);
	}
	conf_errors_free(&errs);
	free(text);
	return (0);
}
