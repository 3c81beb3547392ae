/*
 * dialog_maint.h: the form that announces a maintenance window (m on the
 * batch screen).
 *
 * Three fields: the start in UTC as "YYYY-MM-DD HH:MM" (prefilled with the
 * next full hour), the duration in hours (prefilled 4; 0.25 to 744, the
 * engine's MAINT_MAX_DURATION_US) and the reason (required, printable
 * UTF-8, at most MAINT_REASON_MAX - 1 bytes).  Enter checks the whole form
 * and either says what is wrong inside it, with the focus on that field,
 * or closes it with the window in start_us / end_us: the app then opens
 * the e-signature dialogs of CMD_MAINT_ANNOUNCE (dialog_sign.h), which
 * show the window again before anyone signs.  Esc closes it and nothing
 * is audited: no signature was asked for yet.
 *
 *	key                     what
 *	Tab, Down               next field (Tab goes round)
 *	Shift-Tab, Up           previous field
 *	Backspace, Ctrl-U       erase a character, the whole field
 *	Enter                   check; DONE, or the reason in the form
 *	Esc (Ctrl-C)            CANCEL
 *
 * The start field takes digits, '-', ':' and blanks, the duration digits
 * and '.', the reason any printable character (UTF-8 arrives a byte at a
 * time and is kept whole or not at all).  A start a few minutes in the
 * past (MAINT_FORM_PAST_US) is accepted, so that "now" typed to the minute
 * still works when the minute turns while the reason is being typed.  The
 * checks need no terminal (maint_form_check, maint_form_parse_start), so
 * they can be unit-tested; only maint_form_draw calls curses.
 */
#ifndef JOPE_UI_DIALOG_MAINT_H
#define JOPE_UI_DIALOG_MAINT_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

#include "plant/maintenance.h"
#include "ui/layout.h"

#define MAINT_FORM_START_LEN 16         /* "YYYY-MM-DD HH:MM" */
#define MAINT_FORM_HOURS_LEN 8
#define MAINT_FORM_HOURS_DEFAULT "4"
#define MAINT_FORM_HOURS_MIN 0.25
#define MAINT_FORM_HOURS_MAX 744.0      /* 31 days */
#define MAINT_FORM_PAST_US (5 * 60 * MAINT_US_PER_S)

enum maint_form_field { MAINT_FIELD_START, MAINT_FIELD_HOURS,
	MAINT_FIELD_REASON, MAINT_FIELDS };

enum maint_form_result {
	MAINT_FORM_OPEN,        /* still open */
	MAINT_FORM_DONE,        /* valid: start_us, end_us, reason; closed */
	MAINT_FORM_CANCEL       /* Esc; closed */
};

struct maint_form {
	bool open;
	enum maint_form_field focus;
	char start[MAINT_FORM_START_LEN + 1];
	char hours[MAINT_FORM_HOURS_LEN + 1];
	char reason[MAINT_REASON_MAX];
	bool reason_skip;       /* a character did not fit: drop its tail */
	char error[256];        /* why Enter was refused, "" none */
	/* MAINT_FORM_DONE: the window, real time µs UTC */
	int64_t start_us, end_us;
};

/* Open the form, prefilled for now (real time µs). */
void maint_form_open(struct maint_form *f, int64_t now_us);
void maint_form_close(struct maint_form *f);
enum maint_form_result maint_form_key(struct maint_form *f, int key,
    int64_t now_us);
/* now_us: for the line that shows the current time in UTC. */
void maint_form_draw(const struct maint_form *f, WINDOW *win,
    const struct rect *screen, int64_t now_us);

/* "YYYY-MM-DD HH:MM" (UTC) to µs; -1 when it is not such a time. */
int maint_form_parse_start(const char *text, int64_t *us);
/*
 * Check every field as of now_us: 0 with start_us and end_us set, or -1
 * with the reason (translated) in f->error and the focus on that field.
 */
int maint_form_check(struct maint_form *f, int64_t now_us);

#endif
