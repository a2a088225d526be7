/*
 * switchboard: splitting a datagram into lines and fitting the answer
 * into the bounds a reply has (udp_max_reply, udp_max_amplification).
 */
#include <string.h>

#include "dgram.h"

/*
 * The next line of the request buf (len bytes, with room for one more)
 * from *off on: true with *line and *linelen set, or false when none is
 * left. A line ends at LF; a CR before the LF is not part of it, and sets
 * *crlf. What follows the last LF, if anything, is a last line (*crlf
 * false). Each line is NUL-terminated in place, as the line hook wants
 * (the LF, the CR or the byte after the datagram becomes the NUL).
 */
bool
dgram_next(char *buf, size_t len, size_t *off, char **line, size_t *linelen,
    bool *crlf)
{
	char	*start, *lf;
	size_t	 n;

	if (*off >= len)
		return (false);
	start = buf + *off;
	n = len - *off;
	if ((lf = memchr(start, '\n', n)) == NULL) {
		start[n] = '\0';
		*off = len;
		*line = start;
		*linelen = n;
		*crlf = false;
		return (true);
	}
	n = (size_t)(lf - start);
	*off += n + 1;
	*crlf = n > 0 && start[n - 1] == '\r';
	if (*crlf)
		n--;
	start[n] = '\0';
	*line = start;
	*linelen = n;
	return (true);
}

/*
 * The most a reply to a request of reqlen bytes may have: max_reply, and
 * no more than amp times the request.
 */
size_t
dgram_cap(size_t reqlen, size_t max_reply, size_t amp)
{
	if (reqlen > max_reply / amp)
		return (max_reply);
	return (reqlen * amp);
}

/*
 * How much of the answer out (len bytes of whole lines, each ending with
 * LF) to send within cap bytes: len if it all fits. Otherwise the longest
 * run of whole lines that leaves room for a trailer of tlen bytes after
 * it (possibly none: 0), or DGRAM_NOTHING if the trailer alone is over
 * cap.
 */
size_t
dgram_cut(const char *out, size_t len, size_t cap, size_t tlen)
{
	const char	*p;
	size_t		 room;

	if (len <= cap)
		return (len);
	if (tlen > cap)
		return (DGRAM_NOTHING);
	room = cap - tlen;
	for (p = out + room; p > out; p--) {
		if (p[-1] == '\n')
			return ((size_t)(p - out));
	}
	return (0);
}
