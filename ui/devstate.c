/*
 * devstate.c: the states of devices as shown (see devstate.h).
 *
 * A device waiting on a line none of whose devices is connecting or
 * connected is in its line's guard interval (rule 5).  The time left of a
 * guard or a HardError comes from the engine, which publishes the
 * executor's timers as real time every second (state.h device_state).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/util.h"
#include "ui/devstate.h"

/* Indexed by enum dev_shown. */
static const char *const shown_names[DEV_SHOWN_COUNT] = {
	[DEV_UNKNOWN] = N_("Unknown"),
	[DEV_IDLE] = N_("Idle"),
	[DEV_WAITING] = N_("Waiting"),
	/* TRANSLATORS: a device waits for its line's guard interval. */
	[DEV_GUARD] = N_("Guard"),
	[DEV_CONNECTING] = N_("Connecting"),
	[DEV_CONNECTED] = N_("Connected"),
	[DEV_HARD_ERROR] = N_("HardError"),
};

/* Not translated: the legend says what each means, in every language. */
static const char *const shown_letters[DEV_SHOWN_COUNT] = {
	[DEV_UNKNOWN] = "?", [DEV_IDLE] = "I", [DEV_WAITING] = "W",
	[DEV_GUARD] = "G", [DEV_CONNECTING] = "O", [DEV_CONNECTED] = "C",
	[DEV_HARD_ERROR] = "E",
};

static bool
conn_busy(enum device_conn_state c)
{
	return c == DEVICE_CONNECTING || c == DEVICE_CONNECTED;
}

/* Is a device of line k connecting or connected in s? */
static bool
line_busy(const struct snapshot *s, size_t k)
{
	const struct model *m = s->model;

	for (size_t d = 0; d < s->ndevices && d < m->ndevices; d++)
		if (m->devices[d].connector == k && conn_busy(s->devices[d].conn))
			return true;
	return false;
}

/* Time left until until_us (real µs, 0: no timer), -1 none. */
static int64_t
left_of(int64_t until_us, int64_t now_us)
{
	if (until_us <= 0)
		return -1;
	return until_us > now_us ? until_us - now_us : 0;
}

static enum dev_shown
shown_of(enum device_conn_state c, bool line_idle)
{
	switch (c) {
	case DEVICE_IDLE:
		return DEV_IDLE;
	case DEVICE_WAITING:
		return line_idle ? DEV_GUARD : DEV_WAITING;
	case DEVICE_CONNECTING:
		return DEV_CONNECTING;
	case DEVICE_CONNECTED:
		return DEV_CONNECTED;
	case DEVICE_HARD_ERROR:
		return DEV_HARD_ERROR;
	default:
		return DEV_UNKNOWN;
	}
}

static enum theme_role
role_of(enum dev_shown shown)
{
	switch (shown) {
	case DEV_CONNECTED:
		return ROLE_GOOD;
	case DEV_WAITING:
	case DEV_GUARD:
	case DEV_CONNECTING:
		return ROLE_WARN;
	case DEV_HARD_ERROR:
		return ROLE_BAD;
	default:
		return ROLE_DIM;
	}
}

void
devstate_get(const struct snapshot *s, size_t d, int64_t now_us,
    struct devstate *out)
{
	const struct model *m = s != NULL ? s->model : NULL;
	const struct device_state *st;
	size_t k;

	memset(out, 0, sizeof *out);
	out->left_us = -1;
	if (m == NULL || d >= s->ndevices || d >= m->ndevices) {
		out->shown = DEV_UNKNOWN;
		out->role = ROLE_DIM;
		snprintf(out->glyph, sizeof out->glyph, "%s",
		    shown_letters[DEV_UNKNOWN]);
		return;
	}
	st = &s->devices[d];
	k = m->devices[d].connector;
	out->shown = shown_of(st->conn, !line_busy(s, k));
	out->failed = st->last_error[0] != '\0';
	out->role = out->failed ? ROLE_BAD : role_of(out->shown);
	if (out->shown == DEV_HARD_ERROR)
		out->left_us = left_of(st->hard_error_until_us, now_us);
	else if (out->shown == DEV_GUARD)
		out->left_us = left_of(st->guard_until_us, now_us);
	snprintf(out->glyph, sizeof out->glyph, "%s%s",
	    shown_letters[out->shown], out->failed &&
	    out->shown != DEV_HARD_ERROR ? "!" : "");
}

const char *
devstate_name(enum dev_shown shown)
{
	if ((int)shown < 0 || shown >= DEV_SHOWN_COUNT)
		return "?";
	return _(shown_names[shown]);
}

const char *
devstate_letter(enum dev_shown shown)
{
	if ((int)shown < 0 || shown >= DEV_SHOWN_COUNT)
		return "?";
	return shown_letters[shown];
}

void
devstate_format_left(const struct devstate *ds, char *buf, size_t len)
{
	long long s;

	if (ds->left_us < 0) {
		snprintf(buf, len, "%s", "");
		return;
	}
	s = (long long)((ds->left_us + 999999) / 1000000);     /* up */
	if (s < 60)
		snprintf(buf, len, "%lld s", s);
	else if (s < 3600)
		snprintf(buf, len, "%lld:%02lld", s / 60, s % 60);
	else
		snprintf(buf, len, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60,
		    s % 60);
}

void
devstate_format(const struct devstate *ds, char *buf, size_t len)
{
	char left[32];

	devstate_format_left(ds, left, sizeof left);
	if (left[0] == '\0')
		snprintf(buf, len, "%s", devstate_name(ds->shown));
	else
		/* TRANSLATORS: device state, time left ("HardError 4:31"). */
		snprintf(buf, len, _("%s %s"), devstate_name(ds->shown), left);
}
