/*
 * devstate.h: a device's state as the console shows it, on every screen.
 *
 * The snapshot carries each device's executor state (idle, waiting,
 * connecting, connected, HardError) and the rules' timers the operator
 * asks about, published by the engine as real time: the end of the
 * device's HardError period (rule 7) and of its line's guard interval
 * (rule 5).  A device waiting while no device of its line is connecting
 * or connected is shown in guard, with the time left.
 *
 * Every state has a letter, for a monochrome terminal and for readers who
 * do not tell the colours apart, and a theme role that means the same in
 * every theme:
 *
 *	letter  state           role
 *	C       connected       ROLE_GOOD (normal)
 *	O       connecting      ROLE_WARN
 *	W       waiting         ROLE_WARN
 *	G       guard           ROLE_WARN
 *	I       idle            ROLE_DIM (stale: nothing going on)
 *	E       HardError       ROLE_BAD
 *	?       not known yet   ROLE_DIM
 *
 * and when the last attempt failed (the snapshot's last_error) the role is
 * ROLE_BAD whatever the state, and the letter is followed by "!".
 * Nothing here calls curses.
 */
#ifndef JOPE_UI_DEVSTATE_H
#define JOPE_UI_DEVSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/state.h"
#include "ui/theme.h"

enum dev_shown {
	DEV_UNKNOWN,
	DEV_IDLE,
	DEV_WAITING,
	DEV_GUARD,
	DEV_CONNECTING,
	DEV_CONNECTED,
	DEV_HARD_ERROR,
	DEV_SHOWN_COUNT
};

struct devstate {
	enum dev_shown shown;
	bool failed;            /* the last attempt failed */
	enum theme_role role;
	char glyph[4];          /* "C", "G!" */
	int64_t left_us;        /* guard or HardError time left, -1 none */
};

/* Device d of the snapshot's model as shown at now_us. */
void devstate_get(const struct snapshot *s, size_t d, int64_t now_us,
    struct devstate *out);
/* Translated name of a state: "Connected", "Guard", "HardError". */
const char *devstate_name(enum dev_shown shown);
/* Its letter. */
const char *devstate_letter(enum dev_shown shown);
/* The name with the time left, if any: "HardError 4:31", "Guard 12 s". */
void devstate_format(const struct devstate *ds, char *buf, size_t len);
/* Just the time left ("4:31", "12 s"), "" when there is none. */
void devstate_format_left(const struct devstate *ds, char *buf, size_t len);

#endif
