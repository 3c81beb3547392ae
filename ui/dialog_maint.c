/*
 * dialog_maint.c: the form that announces a maintenance window (see
 * dialog_maint.h for its fields and keys).
 *
 * The form is drawn like the e-signature dialog (dialog_sign.c), labels
 * on the left and one field a line, the focused one highlighted, with the
 * end of a long text and a cursor shown; under the fields the current
 * time in UTC and the end the window would have (the operator types UTC
 * while the header's clock is local), then why Enter was refused.
 *
 * Times are UTC throughout: the start is checked and converted by
 * maint_time_from_civil (maintenance.h: pure integer arithmetic, no timegm,
 * no time zone), the times shown are formatted with gmtime_r.  The duration goes through
 * pointval_parse (the C locale's number syntax whatever LC_NUMERIC says)
 * and is rounded to whole seconds.  The checks here are the operator's
 * help; the engine checks the window again (maint_window_check) before
 * anyone's signature counts.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/i18n.h"
#include "core/util.h"
#include "ui/dialog.h"
#include "ui/dialog_maint.h"
#include "ui/draw.h"
#include "ui/field.h"
#include "ui/pointval.h"
#include "ui/text.h"
#include "ui/theme.h"

#define FORM_TEXT_COLS 60       /* inner width when the screen allows */

int
maint_form_parse_start(const char *text, int64_t *us)
{
	int y, mo, d, h, mi;

	while (*text == ' ')
		text++;
	if (strlen(text) < MAINT_FORM_START_LEN)
		return -1;
	for (size_t i = MAINT_FORM_START_LEN; text[i] != '\0'; i++)
		if (text[i] != ' ')
			return -1;
	if (text[4] != '-' || text[7] != '-' || text[10] != ' ' ||
	    text[13] != ':')
		return -1;
	y = parse_digits(text, 4);
	mo = parse_digits(text + 5, 2);
	d = parse_digits(text + 8, 2);
	h = parse_digits(text + 11, 2);
	mi = parse_digits(text + 14, 2);
	return maint_time_from_civil(y, mo, d, h, mi, 0, us);
}

/* "2026-11-21 14:00" in UTC. */
static void
format_utc(char *buf, size_t len, int64_t us)
{
	time_t secs = (time_t)(us / MAINT_US_PER_S);
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "?");
}

void
maint_form_open(struct maint_form *f, int64_t now_us)
{
	int64_t hour = MAINT_US_PER_H;

	memset(f, 0, sizeof *f);
	f->open = true;
	f->focus = MAINT_FIELD_REASON;  /* the one field with no default */
	format_utc(f->start, sizeof f->start, (now_us / hour + 1) * hour);
	str_copy(f->hours, MAINT_FORM_HOURS_DEFAULT, sizeof f->hours);
}

void
maint_form_close(struct maint_form *f)
{
	memset(f, 0, sizeof *f);
}

/* Well-formed UTF-8 with no control character (C0, DEL or C1). */
static bool
printable_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned cp;
		int n;

		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				return false;
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			cp = *p & 0x1f;
			n = 1;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			cp = *p & 0x0f;
			n = 2;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			cp = *p & 0x07;
			n = 3;
		} else
			return false;
		for (int i = 1; i <= n; i++) {
			if (!utf8_cont(p[i]))
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return false;
		p += n + 1;
	}
	return true;
}

static bool
blank(const char *s)
{
	while (*s == ' ')
		s++;
	return *s == '\0';
}

static int
refuse(struct maint_form *f, enum maint_form_field at, const char *why)
{
	str_copy(f->error, why, sizeof f->error);
	f->focus = at;
	return -1;
}

int
maint_form_check(struct maint_form *f, int64_t now_us)
{
	int64_t start, end;
	double hours;
	char when[64], text[256];

	if (maint_form_parse_start(f->start, &start) != 0)
		return refuse(f, MAINT_FIELD_START, _("Start: type the date and "
		    "time in UTC as YYYY-MM-DD HH:MM."));
	if (start < now_us - MAINT_FORM_PAST_US) {
		format_utc(when, sizeof when, start);
		/* TRANSLATORS: a date and time in UTC. */
		snprintf(text, sizeof text, _("Start: %s UTC is in the past; a "
		    "window starts now or later."), when);
		return refuse(f, MAINT_FIELD_START, text);
	}
	if (pointval_parse(f->hours, &hours) != POINTVAL_OK)
		return refuse(f, MAINT_FIELD_HOURS, _("Duration: type the hours "
		    "as a number, e.g. 4 or 0.5."));
	if (hours < MAINT_FORM_HOURS_MIN || hours > MAINT_FORM_HOURS_MAX)
		return refuse(f, MAINT_FIELD_HOURS, _("Duration: from 0.25 to "
		    "744 hours (31 days)."));
	end = start + (int64_t)llround(hours * 3600.0) * MAINT_US_PER_S;
	if (end > MAINT_TIME_MAX_US)
		return refuse(f, MAINT_FIELD_START, _("Start: the window must "
		    "end before the year 10000."));
	if (blank(f->reason))
		return refuse(f, MAINT_FIELD_REASON, _("Reason: required; it "
		    "is shown on every console."));
	if (!printable_utf8(f->reason))
		return refuse(f, MAINT_FIELD_REASON, _("Reason: printable text "
		    "only."));
	f->start_us = start;
	f->end_us = end;
	f->error[0] = '\0';
	return 0;
}

static void
ascii_key(char *buf, size_t size, int key, const char *allowed)
{
	size_t n = strlen(buf);

	if (key <= 0 || key > 0x7e || strchr(allowed, key) == NULL)
		return;
	if (n + 1 < size) {
		buf[n] = (char)key;
		buf[n + 1] = '\0';
	}
}

static void
field_erase(struct maint_form *f, bool all)
{
	char *s = f->focus == MAINT_FIELD_START ? f->start :
	    f->focus == MAINT_FIELD_HOURS ? f->hours : f->reason;

	if (all)
		s[0] = '\0';
	else
		utf8_erase_last(s);
	f->reason_skip = false;
}

static void
field_move(struct maint_form *f, int step, bool wrap)
{
	int to = (int)f->focus + step;

	if (wrap)
		to = (to + MAINT_FIELDS) % MAINT_FIELDS;
	else if (to < 0 || to >= MAINT_FIELDS)
		return;
	f->focus = (enum maint_form_field)to;
}

enum maint_form_result
maint_form_key(struct maint_form *f, int key, int64_t now_us)
{
	enum field_key what = field_key_of(key);

	if (!f->open)
		return MAINT_FORM_CANCEL;
	switch (what) {
	case FIELD_KEY_CANCEL:
		maint_form_close(f);
		return MAINT_FORM_CANCEL;
	case FIELD_KEY_ENTER:
		if (maint_form_check(f, now_us) != 0)
			return MAINT_FORM_OPEN;
		f->open = false;
		return MAINT_FORM_DONE;
	case FIELD_KEY_NEXT:
	case FIELD_KEY_PREV:
		field_move(f, what == FIELD_KEY_NEXT ? 1 : -1,
		    field_key_wraps(key));
		return MAINT_FORM_OPEN;
	case FIELD_KEY_ERASE:
	case FIELD_KEY_CLEAR:
		f->error[0] = '\0';
		field_erase(f, what == FIELD_KEY_CLEAR);
		return MAINT_FORM_OPEN;
	case FIELD_KEY_TYPE:
		break;
	default:                /* KEY_RESIZE, ERR, ... */
		return MAINT_FORM_OPEN;
	}
	f->error[0] = '\0';
	if (f->focus == MAINT_FIELD_START)
		ascii_key(f->start, sizeof f->start, key, "0123456789-: ");
	else if (f->focus == MAINT_FIELD_HOURS)
		ascii_key(f->hours, sizeof f->hours, key, "0123456789.");
	else
		field_type(f->reason, sizeof f->reason, &f->reason_skip, key);
	return MAINT_FORM_OPEN;
}

/* One field: its label (highlighted when focused) and its box. */
static void
draw_field(WINDOW *win, const struct rect *r, int row, int lw,
    const char *label, const char *text, bool focused)
{
	int x = r->x + 2 + lw + 1, fw = r->w - 4 - lw - 1;
	char shown[MAINT_REASON_MAX + 8];

	if (row >= r->h - 1 || fw <= 0)
		return;
	draw_text(win, r->y + row, r->x + 2, lw, theme_attr(focused ?
	    ROLE_DIALOG_TITLE : ROLE_DIALOG), ALIGN_LEFT, label);
	snprintf(shown, sizeof shown, "%s%s", field_tail(text, focused ?
	    fw - 1 : fw), focused ? "_" : "");
	draw_text(win, r->y + row, x, fw, theme_attr(focused ?
	    ROLE_BUTTON_FOCUS : ROLE_FIELD), ALIGN_LEFT, shown);
}

static void
draw_line(WINDOW *win, const struct rect *r, int row, const char *text,
    enum theme_role role)
{
	if (row < r->h - 1)
		draw_text_cut(win, r->y + row, r->x + 2, r->w - 4,
		    theme_attr(role), ALIGN_LEFT, text);
}

/* What the window would be, as typed so far, or how to type it. */
static void
window_line(const struct maint_form *f, char *buf, size_t len)
{
	int64_t start;
	double hours;
	char a[64], b[64];

	if (maint_form_parse_start(f->start, &start) != 0 ||
	    pointval_parse(f->hours, &hours) != POINTVAL_OK ||
	    hours < MAINT_FORM_HOURS_MIN || hours > MAINT_FORM_HOURS_MAX) {
		snprintf(buf, len, "%s", _("No new batch may start in the "
		    "window."));
		return;
	}
	format_utc(a, sizeof a, start);
	format_utc(b, sizeof b, start + (int64_t)llround(hours * 3600.0) *
	    MAINT_US_PER_S);
	/* TRANSLATORS: start and end of the window, in UTC. */
	snprintf(buf, len, _("Window: %s to %s UTC."), a, b);
}

void
maint_form_draw(const struct maint_form *f, WINDOW *win,
    const struct rect *screen, int64_t now_us)
{
	const char *labels[] = { _("Start (UTC):"), _("Duration (h):"),
	    _("Reason:") };
	const char *title = _("Announce a maintenance window");
	const char *footer = _("Enter goes on to the signatures, Esc cancels, "
	    "Tab moves.");
	char now[64], line[256], window[256];
	const char *p;
	struct rect r;
	int lw = 0, iw = FORM_TEXT_COLS, row;

	if (!f->open)
		return;
	for (size_t i = 0; i < ARRAY_LEN(labels); i++)
		if (text_width(labels[i]) > lw)
			lw = text_width(labels[i]);
	format_utc(now, sizeof now, now_us);
	/* TRANSLATORS: the current date and time in UTC. */
	snprintf(line, sizeof line, _("Now: %s UTC."), now);
	window_line(f, window, sizeof window);
	if (text_width(footer) > iw)
		iw = text_width(footer);
	if (text_width(window) > iw)
		iw = text_width(window);
	if (iw > screen->w - 4)
		iw = screen->w - 4;
	if (iw < 1)
		iw = 1;
	r = dialog_box(win, screen, 9, iw, title);
	draw_line(win, &r, 1, line, ROLE_DIALOG);
	row = 3;
	draw_field(win, &r, row++, lw, labels[0], f->start,
	    f->focus == MAINT_FIELD_START);
	draw_field(win, &r, row++, lw, labels[1], f->hours,
	    f->focus == MAINT_FIELD_HOURS);
	draw_field(win, &r, row++, lw, labels[2], f->reason,
	    f->focus == MAINT_FIELD_REASON);
	draw_line(win, &r, row++, window, ROLE_DIALOG);
	/* Two lines for why Enter was refused: wrapped, the rest cut. */
	p = f->error;
	for (int k = 0; k < 2 && *p != '\0'; k++) {
		char piece[sizeof f->error];
		size_t len = k == 1 ? strlen(p) : text_wrap(p, r.w - 4);

		memcpy(piece, p, len);
		piece[len] = '\0';
		draw_line(win, &r, row + k, piece, ROLE_DIALOG_ERROR);
		p += len;
		while (*p == ' ')
			p++;
	}
	row += 2;
	draw_line(win, &r, row, footer, ROLE_DIALOG);
}
