/*
 * screen_alarms.c: the alarm list (F5).
 *
 * The engine's alarm board publishes every alarm that is not normal, in
 * display order (priority, unacknowledged first, active first, newest
 * first), as an immutable list in the snapshot (core/alarm_view.h); this
 * screen shows it as published and never sorts it again.  The body is
 *
 *	line 1          the list: how many alarms, unacknowledged, active
 *	line 2          the filter, and how many alarms it shows
 *	line 3          the table head
 *	the rest        one alarm a line: priority, state, time activated,
 *	                source, level, name, value / limit, acknowledged by
 *
 * Colours follow the state, and the state is always spelled out too:
 *
 *	state                   row                     state cell
 *	unack active            ROLE_ALARM | A_BOLD     | A_BLINK
 *	ack active              ROLE_ALARM              as the row
 *	unack cleared           ROLE_WARN               as the row
 *
 * and a flapping alarm says so in its state cell.  Columns take the width
 * their content needs; when the terminal is narrow, the short state and
 * level labels are used, value / limit is cut to VALUE_MIN, then
 * acknowledged by, value / limit, level, time and source are left out in
 * that order, and the name takes what is left (NAME_MIN at least).
 *
 * Keys (the app handles quit, help, screen switching and resize first,
 * except while the filter is being typed, when every key comes here):
 *
 *	Up / k, Down / j        move the selection one alarm
 *	PgUp, PgDn, Home, End   by a page, to the first or the last
 *	a, Enter                acknowledge the selected alarm: the app opens
 *	                        the e-signature dialog (CMD_ALARM_ACK, object
 *	                        = the alarm's key); an acknowledged one says
 *	                        so in the bar instead
 *	A                       acknowledge every unacknowledged alarm shown:
 *	                        one signature for all (object "", review = the
 *	                        filter); none shown says so in the bar
 *	/                       type a filter; Enter applies, Esc leaves it
 *	Esc                     clear the filter
 *
 * The filter is one text, matched case-insensitively (ASCII) against the
 * key, the source and the name of each alarm.  The source is the start of
 * the key ("PT-303/H"), so this is exactly the engine's rule for
 * CMD_ALARM_ACK with object "" ("key or name contains review"): A
 * acknowledges what the list shows.  For the same reason the filter is at
 * most COMMAND_REVIEW_MAX - 1 bytes.  The selection follows its alarm (by
 * key) when the list changes, and stays at its place when the alarm
 * leaves the list or is acknowledged (it then moves down the list): the
 * next alarm comes under the selection, so a, a, a goes down the list.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alarm_view.h"
#include "core/i18n.h"
#include "core/util.h"
#include "plant/alarm.h"
#include "ui/draw.h"
#include "ui/field.h"
#include "ui/screen.h"
#include "ui/text.h"
#include "ui/theme.h"

#define FILTER_MAX COMMAND_REVIEW_MAX   /* A sends the filter as review */
#define NAME_MIN 12             /* columns of the name, at least */
#define VALUE_MIN 14            /* value / limit cut to this before it goes */
#define DATED_COLS 120          /* from here, an old alarm shows its date */

/* Columns, left to right. */
enum { AC_PRI, AC_STATE, AC_TIME, AC_SOURCE, AC_LEVEL, AC_NAME, AC_VALUE,
	AC_ACKED, AC_COUNT };

/* Left out first when the terminal is narrow (the name never is). */
static const int drop_order[] = { AC_ACKED, AC_VALUE, AC_LEVEL, AC_TIME,
	AC_SOURCE };

/* The widest a column grows for its content (with its two blanks). */
static const int col_max[AC_COUNT] = {
	[AC_PRI] = 8, [AC_STATE] = 40, [AC_TIME] = 16, [AC_SOURCE] = 20,
	[AC_LEVEL] = 16, [AC_NAME] = 0, [AC_VALUE] = 28, [AC_ACKED] = 16,
};

/* Short state labels for narrow terminals, indexed by enum alarm_state. */
static const char *const state_short[ALARM_STATE_COUNT_] = {
	/* TRANSLATORS: short alarm states of the alarm list's State
	 * column on a narrow terminal; "cleared" is a cleared alarm
	 * still unacknowledged (an acknowledged one leaves the list). */
	[ALARM_NORMAL] = N_("normal"),
	[ALARM_UNACK_ACTIVE] = N_("unack"),
	[ALARM_ACK_ACTIVE] = N_("acked"),
	[ALARM_UNACK_CLEARED] = N_("cleared"),
};

/* Short level labels, indexed by enum alarm_level. */
static const char *const level_short[ALARM_LEVEL_COUNT_] = {
	/* TRANSLATORS: short alarm levels of the alarm list on a narrow
	 * terminal (communication failure, HardError, the console). */
	[ALARM_HH] = N_("HH"), [ALARM_H] = N_("H"), [ALARM_L] = N_("L"),
	[ALARM_LL] = N_("LL"), [ALARM_COMM] = N_("COMM"),
	[ALARM_HARD_ERROR] = N_("HARD"), [ALARM_SYSTEM] = N_("SYS"),
};

struct alarms_screen {
	struct screen base;     /* first: the vtable */
	size_t sel, top;        /* in the filtered list */
	char sel_key[ALARM_KEY_MAX];    /* the selected alarm, "" none yet */
	bool sel_unacked;       /* it was unacknowledged */
	int page;
	char filter[FILTER_MAX];
	bool editing;
	char edit[FILTER_MAX];
	bool edit_skip;         /* a character did not fit: drop its tail */
};

/* The alarms of a list the filter keeps, as indices (malloc'ed). */
struct shown {
	const struct alarm_view *l;
	size_t *idx, n;
	size_t unacked;         /* of the n */
};

static bool
row_matches(const struct alarm_row *r, const char *filter)
{
	return filter[0] == '\0' || text_contains_ci(r->key, filter) ||
	    text_contains_ci(r->source, filter) || text_contains_ci(r->name, filter);
}

static bool
row_unacked(const struct alarm_row *r)
{
	return r->state == ALARM_UNACK_ACTIVE ||
	    r->state == ALARM_UNACK_CLEARED;
}

static void
shown_build(struct shown *sh, const struct view *v, const char *filter)
{
	const struct alarm_view *l = v->snap != NULL ? v->snap->alarms : NULL;

	memset(sh, 0, sizeof *sh);
	sh->l = l;
	sh->idx = xcalloc(l != NULL ? l->n + 1 : 1, sizeof *sh->idx);
	for (size_t i = 0; l != NULL && i < l->n; i++) {
		if (!row_matches(&l->rows[i], filter))
			continue;
		sh->idx[sh->n++] = i;
		if (row_unacked(&l->rows[i]))
			sh->unacked++;
	}
}

static void
shown_free(struct shown *sh)
{
	free(sh->idx);
	sh->idx = NULL;
}

static const struct alarm_row *
shown_row(const struct shown *sh, size_t k)
{
	return k < sh->n ? &sh->l->rows[sh->idx[k]] : NULL;
}

/* Keep the selection on its alarm, in range, and visible. */
static void
sync_selection(struct alarms_screen *as, const struct shown *sh)
{
	size_t page = as->page > 0 ? (size_t)as->page : 1;

	/* An alarm just acknowledged moves down: stay, on the next one. */
	for (size_t k = 0; as->sel_key[0] != '\0' && k < sh->n; k++)
		if (strcmp(shown_row(sh, k)->key, as->sel_key) == 0) {
			if (!as->sel_unacked || row_unacked(shown_row(sh, k)))
				as->sel = k;
			break;
		}
	if (sh->n == 0) {
		as->sel = as->top = 0;
		as->sel_key[0] = '\0';
		return;
	}
	if (as->sel >= sh->n)
		as->sel = sh->n - 1;
	str_copy(as->sel_key, shown_row(sh, as->sel)->key,
	    sizeof as->sel_key);
	as->sel_unacked = row_unacked(shown_row(sh, as->sel));
	if (as->sel < as->top)
		as->top = as->sel;
	if (as->sel >= as->top + page)
		as->top = as->sel - page + 1;
	if (sh->n <= page)
		as->top = 0;
	else if (as->top > sh->n - page)
		as->top = sh->n - page;
}

static const char *
state_text(int s, bool wide)
{
	if (s < 0 || s >= ALARM_STATE_COUNT_)
		return "?";
	return wide ? alarm_state_label((enum alarm_state)s) :
	    _(state_short[s]);
}

static const char *
level_text(int l, bool wide)
{
	if (l < 0 || l >= ALARM_LEVEL_COUNT_)
		return "?";
	return wide ? alarm_level_label((enum alarm_level)l) :
	    _(level_short[l]);
}

static bool
same_day(int64_t a_us, int64_t b_us)
{
	time_t a = (time_t)(a_us / 1000000), b = (time_t)(b_us / 1000000);
	struct tm ta, tb;

	if (localtime_r(&a, &ta) == NULL || localtime_r(&b, &tb) == NULL)
		return true;
	return ta.tm_year == tb.tm_year && ta.tm_yday == tb.tm_yday;
}

/* The texts of one alarm's cells. */
struct cells {
	char text[AC_COUNT][256];
};

static void
cells_fill(struct cells *c, const struct alarm_row *r, bool wide,
    bool dated)
{
	const char *dash = text_utf8() ? "\xe2\x80\x94" : "-";
	time_t secs = (time_t)(r->activated_us / 1000000);
	struct tm tm;
	char v[64], lim[96];

	snprintf(c->text[AC_PRI], sizeof c->text[0], "%d", r->priority);
	if (r->flapping)
		/* TRANSLATORS: an alarm state, marked as flapping (the
		 * second: on a narrow terminal). */
		snprintf(c->text[AC_STATE], sizeof c->text[0], wide ?
		    _("%s, flapping") : _("%s, flap"), state_text(r->state,
		    wide));
	else
		snprintf(c->text[AC_STATE], sizeof c->text[0], "%s",
		    state_text(r->state, wide));
	if (r->activated_us <= 0 || localtime_r(&secs, &tm) == NULL ||
	    strftime(c->text[AC_TIME], sizeof c->text[0], dated ?
	    "%m-%d %H:%M:%S" : "%H:%M:%S", &tm) == 0)
		snprintf(c->text[AC_TIME], sizeof c->text[0], "%s", dash);
	snprintf(c->text[AC_SOURCE], sizeof c->text[0], "%s", r->source);
	snprintf(c->text[AC_LEVEL], sizeof c->text[0], "%s",
	    level_text(r->level, wide));
	/* System alarms' names are the engine's English, translated here;
	 * the filter matches the English, as the engine does. */
	snprintf(c->text[AC_NAME], sizeof c->text[0], "%s",
	    r->level == ALARM_SYSTEM ? _(r->name) : r->name);
	if (r->has_value) {
		format_number(v, sizeof v, r->value, -1, NULL);
		format_number(lim, sizeof lim, r->limit, -1, r->unit);
		snprintf(c->text[AC_VALUE], sizeof c->text[0], "%s / %s", v,
		    lim);
	} else
		snprintf(c->text[AC_VALUE], sizeof c->text[0], "%s", dash);
	snprintf(c->text[AC_ACKED], sizeof c->text[0], "%s", r->acked_by);
}

static const char *
head_text(int col)
{
	switch (col) {
	case AC_PRI:
		/* TRANSLATORS: column head of the alarm priority, short. */
		return _("Pri");
	case AC_STATE:
		return _("State");
	case AC_TIME:
		return _("Time");
	case AC_SOURCE:
		return _("Source");
	case AC_LEVEL:
		return _("Level");
	case AC_NAME:
		return _("Name");
	case AC_VALUE:
		return _("Value / limit");
	default:
		return _("Acked by");
	}
}

struct alarm_cols {
	int x[AC_COUNT], w[AC_COUNT];   /* w 0: not shown */
	bool wide, dated;
};

/* Each column as wide as its widest cell or head, plus a blank a side. */
static void
cols_want(int *want, const struct alarm_view *l, bool wide, bool dated)
{
	struct cells c;

	for (int i = 0; i < AC_COUNT; i++)
		want[i] = text_width(head_text(i));
	for (size_t k = 0; l != NULL && k < l->n; k++) {
		cells_fill(&c, &l->rows[k], wide, dated);
		for (int i = 0; i < AC_COUNT; i++) {
			int w = text_width(c.text[i]);

			if (w > want[i])
				want[i] = w;
		}
	}
	for (int i = 0; i < AC_COUNT; i++) {
		want[i] += 2;
		if (col_max[i] > 0 && want[i] > col_max[i])
			want[i] = col_max[i];
	}
}

/* Columns and separators of the shown columns, with the name at least. */
static int
cols_need(const int *want, const bool *on)
{
	int need = 0, n = 0;

	for (int i = 0; i < AC_COUNT; i++) {
		if (!on[i])
			continue;
		need += i == AC_NAME ? (want[i] < NAME_MIN ? want[i] : NAME_MIN) :
		    want[i];
		n++;
	}
	return need + (n > 1 ? n - 1 : 0);
}

static void
alarm_cols(struct alarm_cols *c, int width, const struct alarm_view *l,
    int64_t now_us)
{
	int want[AC_COUNT], x = 0, rest;
	bool on[AC_COUNT];

	memset(c, 0, sizeof *c);
	c->dated = false;
	if (width >= DATED_COLS)
		for (size_t k = 0; l != NULL && k < l->n && !c->dated; k++)
			c->dated = l->rows[k].activated_us > 0 &&
			    !same_day(l->rows[k].activated_us, now_us);
	for (int i = 0; i < AC_COUNT; i++)
		on[i] = true;
	/* The long labels when everything fits with them. */
	c->wide = true;
	cols_want(want, l, true, c->dated);
	if (cols_need(want, on) > width) {
		c->wide = false;
		cols_want(want, l, false, c->dated);
	}
	for (size_t d = 0; d < ARRAY_LEN(drop_order) &&
	    cols_need(want, on) > width; d++) {
		int over = cols_need(want, on) - width;

		/* Value / limit gives up some width (cut) before it goes. */
		if (drop_order[d] == AC_VALUE && want[AC_VALUE] > VALUE_MIN) {
			want[AC_VALUE] -= over < want[AC_VALUE] - VALUE_MIN ?
			    over : want[AC_VALUE] - VALUE_MIN;
			if (cols_need(want, on) <= width)
				break;
		}
		on[drop_order[d]] = false;
	}
	rest = width;
	for (int i = 0; i < AC_COUNT; i++)
		if (on[i] && i != AC_NAME)
			rest -= want[i] + 1;
	for (int i = 0; i < AC_COUNT; i++) {
		if (!on[i])
			continue;
		c->x[i] = x;
		c->w[i] = i == AC_NAME ? rest : want[i];
		if (c->w[i] < 0)
			c->w[i] = 0;
		if (x + c->w[i] > width)
			c->w[i] = width - x > 0 ? width - x : 0;
		x += c->w[i] + 1;
	}
}

/* The last shown column, which takes no separator after it. */
static int
cols_last(const struct alarm_cols *c)
{
	int last = -1;

	for (int i = 0; i < AC_COUNT; i++)
		if (c->w[i] > 0)
			last = i;
	return last;
}

static void
draw_row(WINDOW *win, int y, int x0, const struct alarm_cols *c,
    const struct cells *t, attr_t attr, attr_t state_attr)
{
	int last = cols_last(c);

	for (int i = 0; i < AC_COUNT; i++) {
		int w = c->w[i];

		if (w <= 0)
			continue;
		draw_text(win, y, x0 + c->x[i], w, attr, ALIGN_LEFT, "");
		if (w > 2)
			draw_text_cut(win, y, x0 + c->x[i] + 1, w - 2,
			    i == AC_STATE ? state_attr : attr,
			    i == AC_PRI || i == AC_VALUE ? ALIGN_RIGHT :
			    ALIGN_LEFT, t->text[i]);
		if (i != last)
			draw_text(win, y, x0 + c->x[i] + w, 1, attr,
			    ALIGN_LEFT, theme_vline());
	}
}

/* The colours of an alarm's row and of its state cell. */
static void
row_attrs(const struct alarm_row *r, attr_t *row, attr_t *state)
{
	switch (r->state) {
	case ALARM_UNACK_ACTIVE:
		*row = theme_attr(ROLE_ALARM) | A_BOLD;
		*state = *row | A_BLINK;
		return;
	case ALARM_ACK_ACTIVE:
		*row = *state = theme_attr(ROLE_ALARM);
		return;
	case ALARM_UNACK_CLEARED:
		*row = *state = theme_attr(ROLE_WARN);
		return;
	default:
		*row = *state = theme_attr(ROLE_NORMAL);
		return;
	}
}

/* Line 1: the whole list at a glance. */
static void
draw_summary(WINDOW *win, const struct rect *a, const struct alarm_view *l)
{
	size_t n = l != NULL ? l->n : 0, un = l != NULL ? l->unacked : 0;
	size_t act = l != NULL ? l->active : 0;
	char text[256];
	attr_t attr;

	/* TRANSLATORS: alarms listed, of which unacknowledged, active. */
	snprintf(text, sizeof text, ngettext("Alarm list: %zu alarm, %zu "
	    "unacknowledged, %zu active", "Alarm list: %zu alarms, %zu "
	    "unacknowledged, %zu active", (unsigned long)n), n, un, act);
	attr = un > 0 ? theme_attr(ROLE_ALARM) | A_BOLD : act > 0 ?
	    theme_attr(ROLE_ALARM) : theme_attr(ROLE_GOOD);
	draw_text_cut(win, a->y, a->x + 1, a->w - 1, attr, ALIGN_LEFT, text);
}

/* Line 2: the filter being typed, the filter applied, or how to. */
static void
draw_filter(const struct alarms_screen *as, WINDOW *win,
    const struct rect *a, const struct shown *sh)
{
	char text[512];
	enum theme_role role;

	if (as->editing) {
		snprintf(text, sizeof text, _("Filter: %s_"), as->edit);
		role = ROLE_FIELD;
	} else if (as->filter[0] != '\0') {
		/* TRANSLATORS: filter, shown, all, unacknowledged shown. */
		snprintf(text, sizeof text, ngettext("Filter: %s — %zu of %zu "
		    "alarm, %zu unacknowledged", "Filter: %s — %zu of %zu "
		    "alarms, %zu unacknowledged", (unsigned long)(sh->l !=
		    NULL ? sh->l->n : 0)), as->filter, sh->n, sh->l != NULL ?
		    sh->l->n : 0, sh->unacked);
		role = ROLE_WARN;
	} else {
		snprintf(text, sizeof text, "%s", _("By priority, "
		    "unacknowledged first (/ filters by key, source or name)"));
		role = ROLE_DIM;
	}
	draw_text_cut(win, a->y + 1, a->x + 1, a->w - 1, theme_attr(role),
	    ALIGN_LEFT, text);
}

static void
alarms_draw(struct screen *s, WINDOW *win, const struct view *v)
{
	struct alarms_screen *as = (struct alarms_screen *)s;
	const struct rect *a = &v->area;
	const struct alarm_view *l = v->snap != NULL ? v->snap->alarms : NULL;
	struct alarm_cols c;
	struct cells t;
	struct shown sh;

	if (a->h <= 0 || a->w <= 0)
		return;
	draw_summary(win, a, l);
	shown_build(&sh, v, as->filter);
	if (a->h > 1)
		draw_filter(as, win, a, &sh);
	if (a->h <= 2) {
		shown_free(&sh);
		return;
	}
	alarm_cols(&c, a->w, l, v->now_us);
	for (int i = 0; i < AC_COUNT; i++)
		snprintf(t.text[i], sizeof t.text[0], "%s", head_text(i));
	draw_text(win, a->y + 2, a->x, a->w, theme_attr(ROLE_TABLE_HEAD),
	    ALIGN_LEFT, "");
	draw_row(win, a->y + 2, a->x, &c, &t, theme_attr(ROLE_TABLE_HEAD),
	    theme_attr(ROLE_TABLE_HEAD));
	as->page = a->h - 3;
	sync_selection(as, &sh);
	if (sh.n == 0 && a->h > 4)
		draw_text(win, a->y + 4, a->x, a->w, theme_attr(ROLE_DIM),
		    ALIGN_CENTER, l == NULL || l->n == 0 ? _("No alarms") :
		    _("No alarm matches the filter."));
	for (int i = 0; i < as->page && as->top + (size_t)i < sh.n; i++) {
		size_t k = as->top + (size_t)i;
		const struct alarm_row *r = shown_row(&sh, k);
		attr_t row, state;

		cells_fill(&t, r, c.wide, c.dated);
		row_attrs(r, &row, &state);
		if (k == as->sel)
			row = state = theme_attr(ROLE_SELECTED);
		draw_row(win, a->y + 3 + i, a->x, &c, &t, row, state);
	}
	shown_free(&sh);
}

/* The filter as applied: without blanks at either end. */
static void
filter_apply(struct alarms_screen *as)
{
	const char *p = as->edit;
	size_t n;

	while (*p == ' ')
		p++;
	str_copy(as->filter, p, sizeof as->filter);
	n = strlen(as->filter);
	while (n > 0 && as->filter[n - 1] == ' ')
		as->filter[--n] = '\0';
}

static bool
edit_key(struct alarms_screen *as, int key)
{
	switch (field_key_of(key)) {
	case FIELD_KEY_CANCEL:
		as->editing = false;
		return true;
	case FIELD_KEY_ENTER:
		filter_apply(as);
		as->editing = false;
		as->sel = as->top = 0;
		as->sel_key[0] = '\0';
		return true;
	default:
		field_edit(as->edit, sizeof as->edit, &as->edit_skip, key);
		return true;
	}
}

static void
move_by(struct alarms_screen *as, long delta, size_t n)
{
	if (n == 0)
		return;
	as->sel = selection_moved(as->sel, delta, n);
	as->sel_key[0] = '\0';  /* follow the index; the draw takes its key */
}

static void
ack_one(struct alarms_screen *as, const struct shown *sh,
    struct key_result *out)
{
	const struct alarm_row *r = shown_row(sh, as->sel);

	if (r == NULL) {
		snprintf(out->message, sizeof out->message, "%s",
		    _("No alarm to acknowledge."));
		out->bad = true;
		return;
	}
	if (!row_unacked(r)) {
		snprintf(out->message, sizeof out->message,
		    _("%s is already acknowledged."), r->key);
		out->bad = true;
		return;
	}
	out->action = ACTION_ALARM_ACK;
	str_copy(out->alarm, r->key, sizeof out->alarm);
	out->filter[0] = '\0';
	out->count = 1;
}

static void
ack_all(struct alarms_screen *as, const struct shown *sh,
    struct key_result *out)
{
	if (sh->unacked == 0) {
		snprintf(out->message, sizeof out->message, "%s",
		    _("Nothing to acknowledge: no unacknowledged alarm is "
		    "shown."));
		out->bad = true;
		return;
	}
	out->action = ACTION_ALARM_ACK;
	out->alarm[0] = '\0';
	str_copy(out->filter, as->filter, sizeof out->filter);
	out->count = sh->unacked;
}

static bool
list_key(struct alarms_screen *as, int key, const struct shown *sh,
    struct key_result *out)
{
	long page = as->page > 1 ? as->page - 1 : 1;

	switch (key) {
	case KEY_UP:
	case 'k':
		move_by(as, -1, sh->n);
		return true;
	case KEY_DOWN:
	case 'j':
		move_by(as, 1, sh->n);
		return true;
	case KEY_PPAGE:
		move_by(as, -page, sh->n);
		return true;
	case KEY_NPAGE:
	case ' ':
		move_by(as, page, sh->n);
		return true;
	case KEY_HOME:
	case 'g':
		move_by(as, -(long)sh->n, sh->n);
		return true;
	case KEY_END:
	case 'G':
		move_by(as, (long)sh->n, sh->n);
		return true;
	case 'a':
	case '\n':
	case '\r':
	case KEY_ENTER:
		ack_one(as, sh, out);
		return true;
	case 'A':
		ack_all(as, sh, out);
		return true;
	case '/':
		as->editing = true;
		as->edit_skip = false;
		str_copy(as->edit, as->filter, sizeof as->edit);
		return true;
	case 27:
		if (as->filter[0] == '\0')
			return false;
		as->filter[0] = '\0';
		as->sel_key[0] = '\0';
		return true;
	default:
		return false;
	}
}

static bool
alarms_key(struct screen *s, int key, const struct view *v,
    struct key_result *out)
{
	struct alarms_screen *as = (struct alarms_screen *)s;
	struct shown sh;
	bool used;

	if (as->editing)
		return edit_key(as, key);
	shown_build(&sh, v, as->filter);
	/* The selection as the last draw left it, on the list of now. */
	sync_selection(as, &sh);
	used = list_key(as, key, &sh, out);
	shown_free(&sh);
	return used;
}

static unsigned
alarms_keys(struct screen *s, const struct view *v)
{
	struct alarms_screen *as = (struct alarms_screen *)s;
	unsigned keys = SCREEN_KEY_FILTER;
	const struct alarm_row *r;
	struct shown sh;

	shown_build(&sh, v, as->filter);
	sync_selection(as, &sh);
	if ((r = shown_row(&sh, as->sel)) != NULL && row_unacked(r))
		keys |= SCREEN_KEY_ACK;
	if (sh.unacked > 0)
		keys |= SCREEN_KEY_ACK_ALL;
	if (as->filter[0] != '\0')
		keys |= SCREEN_KEY_CLEAR;
	shown_free(&sh);
	return keys;
}

static bool
alarms_grabs_keys(struct screen *s)
{
	return ((struct alarms_screen *)s)->editing;
}

static void
alarms_free(struct screen *s)
{
	free(s);
}

struct screen *
screen_alarms_new(void)
{
	struct alarms_screen *as = xcalloc(1, sizeof *as);

	as->base.draw = alarms_draw;
	as->base.key = alarms_key;
	as->base.keys = alarms_keys;
	as->base.grabs_keys = alarms_grabs_keys;
	as->base.free = alarms_free;
	as->page = 1;
	return &as->base;
}
