/*
 * fault.c: the text form of a simulator fault, both directions.
 *
 * A fault is a small value (struct sim_fault), not behaviour: the server
 * looks at it on every request, so replacing the whole table at run time
 * (the control file) is a plain copy between two requests.  Parsing merges
 * one word at a time so that "--fault X:garbage --fault X:slow=200" and a
 * control file line per fault read the same; conflicting words are refused
 * rather than resolved by order, because a test that asks for two reply
 * modes at once has a mistake in it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "sim/fault.h"

#define EXCEPTION_MAX 11            /* gateway target failed to respond */

static int
parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int
set_mode(struct sim_fault *f, enum fault_mode mode)
{
	if (f->mode != FAULT_NONE && f->mode != mode)
		return -2;
	f->mode = mode;
	return 0;
}

/* slow=MS or late=MS into *slot, unless the other delay is already set. */
static int
set_delay(const char *ms, int *slot, int other)
{
	int v;

	if (parse_int(ms, 0, FAULT_DELAY_MAX_MS, &v) != 0)
		return -1;
	if (other != 0)
		return -2;
	*slot = v;
	return 0;
}

int
fault_parse(const char *text, struct sim_fault *f)
{
	static const struct {
		const char *name;
		enum fault_mode mode;
	} modes[] = {
		{ "garbage", FAULT_GARBAGE },
		{ "close", FAULT_CLOSE },
		{ "drop", FAULT_DROP },
		{ "mismatch", FAULT_MISMATCH },
	};
	int code;

	if (strcmp(text, "refuse") == 0) {
		f->refuse = 1;
		return 0;
	}
	for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++)
		if (strcmp(text, modes[k].name) == 0)
			return set_mode(f, modes[k].mode);
	if (strncmp(text, "slow=", 5) == 0)
		return set_delay(text + 5, &f->slow_ms, f->late_ms);
	if (strncmp(text, "late=", 5) == 0)
		return set_delay(text + 5, &f->late_ms, f->slow_ms);
	if (strncmp(text, "exception=", 10) == 0) {
		if (parse_int(text + 10, 1, EXCEPTION_MAX, &code) != 0)
			return -1;
		if (f->mode == FAULT_EXCEPTION && f->exception != code)
			return -2;
		if (set_mode(f, FAULT_EXCEPTION) != 0)
			return -2;
		f->exception = code;
		return 0;
	}
	return -1;
}

int
fault_is_set(const struct sim_fault *f)
{
	return f->refuse || f->mode != FAULT_NONE || f->slow_ms > 0 ||
	    f->late_ms > 0;
}

static void
append(char *buf, size_t len, size_t *used, const char *part)
{
	int n = snprintf(buf + *used, len - *used, "%s%s",
	    *used > 0 ? "+" : "", part);

	if (n > 0)
		*used = *used + (size_t)n < len ? *used + (size_t)n : len - 1;
}

void
fault_format(const struct sim_fault *f, char *buf, size_t len)
{
	static const char *const names[] = {
		[FAULT_NONE] = NULL, [FAULT_GARBAGE] = "garbage",
		[FAULT_CLOSE] = "close", [FAULT_EXCEPTION] = NULL,
		[FAULT_DROP] = "drop", [FAULT_MISMATCH] = "mismatch",
	};
	char part[32];
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (f->refuse)
		append(buf, len, &used, "refuse");
	if (f->mode == FAULT_EXCEPTION) {
		snprintf(part, sizeof part, "exception=%d", f->exception);
		append(buf, len, &used, part);
	} else if (names[f->mode] != NULL)
		append(buf, len, &used, names[f->mode]);
	if (f->slow_ms > 0) {
		snprintf(part, sizeof part, "slow=%d", f->slow_ms);
		append(buf, len, &used, part);
	}
	if (f->late_ms > 0) {
		snprintf(part, sizeof part, "late=%d", f->late_ms);
		append(buf, len, &used, part);
	}
	if (used == 0)
		str_copy(buf, "none", len);
}
