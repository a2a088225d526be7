/*
 * switchboard fuzzing: chat command parsing and the cleaning of relayed
 * text. Parsed pieces must lie inside the line; cleaned text must be
 * valid UTF-8 without control characters and no longer than the input.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <unistr.h>

#include "chat_proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
inside(const char *line, size_t len, const char *p, size_t n)
{
	if (p != NULL)
		assert(p >= line && p + n <= line + len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*line = (const char *)data;
	struct chat_cmd	 cmd;
	char		*clean;
	size_t		 n, i;

	chat_parse(line, size, &cmd);
	inside(line, size, cmd.arg, cmd.arg_len);
	inside(line, size, cmd.target, cmd.target_len);
	if (cmd.kind == CHAT_CMD_NICK && chat_nick_valid(cmd.arg, cmd.arg_len))
		assert(cmd.arg_len >= 1 && cmd.arg_len <= CHAT_NICK_MAX);
	clean = malloc(size + 1);
	n = chat_sanitize(line, size, clean);
	assert(n <= size);
	assert(u8_check((const uint8_t *)clean, n) == NULL);
	for (i = 0; i < n; i++)
		assert((unsigned char)clean[i] >= 0x20 && clean[i] != 0x7f);
	free(clean);
	return (0);
}
