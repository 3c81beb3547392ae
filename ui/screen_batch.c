/*
 * screen_batch.c: the batch (F4).
 *
 * The engine's batch manager publishes the batch view with every snapshot
 * (core/batch_view.h): the batch in progress with its progress as of
 * publishing, the commands its state allows now, why a start would be
 * refused (a maintenance window), the id a start would take, and the
 * recent batches.  This screen shows it as published and never works a
 * state out for itself; the recipe's key points it looks up in the
 * snapshot's model (model.recipes[].points) and their values in the
 * snapshot's points.  The body is, top to bottom:
 *
 *	current batch   line 1: id, recipe and version, state
 *	(5 lines)       line 2: started by and at, holds
 *	                line 3: the batch's progress bar, elapsed of expected
 *	                line 4: elapsed, remaining and held time
 *	                line 5: the run and its progress; while stopping
 *	                "completes at the end of run N (mm:ss)"
 *	                With no batch: "No batch running", the id and the
 *	                recipe a start would take, and why a start is refused
 *	                (the engine's words, in the warning colour)
 *	key points      the recipe's points: id, name, value with unit,
 *	                quality, age; a stale one is dim and says so
 *	recent batches  newest first (the current one too): id,
 *	                recipe@version, state, started, ended, duration,
 *	                samples, errors, alarms
 *
 * The two tables share the lines left: the recent batches get three rows
 * at least (as many as there are, when fewer), the key points the rest.
 * Columns take the width their content needs; the flexible one (the
 * point's name, the recipe) takes what is left, and when the terminal is
 * narrow the columns of least use go first, in the drop_* order below,
 * so at 80 columns a batch's end, start and duration give way to its
 * counts (the current batch's times are in the block above).  Widths are display columns (text.h) throughout.
 *
 * A state has a colour and is always spelled out too:
 *
 *	running ROLE_GOOD, held ROLE_WARN, stopping ROLE_ALARM,
 *	aborted ROLE_BAD, complete ROLE_NORMAL
 *
 * A point is stale when it has no value, or its sample is older than
 * STALE_FACTOR times the shortest period of the events that read it
 * (STALE_MIN_US at least; STALE_LONE_US when no event reads it).
 *
 * Keys (the app handles quit, help, screen switching and resize first,
 * F10 included, which quits here as everywhere).  Every command is on a
 * function key and on a letter, since SSH terminals lose function keys:
 *
 *	F8, s           start a batch (none running): the app asks which
 *	                recipe when there are several, then the signatures
 *	F9, h           hold the running batch
 *	F9, u           resume the held batch
 *	F11, t          stop gracefully: the current run finishes first
 *	F12, x          abort: the batch ends at once
 *	m               announce a maintenance window (the app's form, then
 *	                two signatures by default)
 *
 * A command asks the app for the e-signature dialogs (ACTION_BATCH) only
 * when the view's allowed bits have it; otherwise the bar says why, and a
 * start a maintenance window refuses shows the engine's reason at once
 * rather than after two people typed their passwords.  screen->keys tells
 * the function-key bar the same, so it lists only the commands that work.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/batch_view.h"
#include "core/i18n.h"
#include "core/util.h"
#include "store/spool.h"
#include "ui/draw.h"
#include "ui/pointval.h"
#include "ui/screen.h"
#include "ui/staterole.h"
#include "ui/text.h"
#include "ui/theme.h"

#define BLOCK_LINES 5           /* the current batch */
#define RECENT_MIN 3            /* rows of recent batches kept at least */
#define FLEX_MIN 10             /* columns of the flexible column, at least */
#define COLS_MAX 9
#define STALE_FACTOR 3          /* periods late: stale */
#define STALE_MIN_US (5 * 1000000LL)
#define STALE_LONE_US (60 * 1000000LL)  /* no event reads the point */
#define PERCENT_W 5             /* " 100%" after a bar */

/* The key points' columns, left to right. */
enum { KC_ID, KC_NAME, KC_VALUE, KC_QUALITY, KC_AGE, KC_COUNT };
/* The recent batches' columns. */
enum { RC_ID, RC_RECIPE, RC_STATE, RC_STARTED, RC_ENDED, RC_DURATION,
	RC_SAMPLES, RC_ERRORS, RC_ALARMS, RC_COUNT };

/* Left out first when the terminal is narrow (the flexible one never). */
static const int drop_points[] = { KC_QUALITY, KC_AGE };
static const int drop_recent[] = { RC_ENDED, RC_STARTED, RC_DURATION,
	RC_ALARMS, RC_ERRORS, RC_SAMPLES, RC_STATE };

/* Indexed by enum batch_state. */
static const char *const state_names[BATCH_STATE_COUNT_] = {
	/* TRANSLATORS: batch states, as the batch screen shows them. */
	[BATCH_IDLE] = N_("idle"),
	[BATCH_RUNNING] = N_("running"),
	[BATCH_HELD] = N_("held"),
	[BATCH_STOPPING] = N_("stopping"),
	[BATCH_COMPLETE] = N_("complete"),
	[BATCH_ABORTED] = N_("aborted"),
};

/* Indexed by enum quality. */
static const char *const quality_names[] = {
	N_("Good"), N_("Uncertain"), N_("Bad")
};

struct batch_screen {
	struct screen base;     /* first: the vtable */
};

/* Columns of one table as fitted to a width. */
struct table {
	int n;                  /* columns */
	int flex;               /* the one that takes what is left */
	int want[COLS_MAX];     /* content width and a blank each side */
	bool right[COLS_MAX];   /* numbers: aligned right */
	int x[COLS_MAX], w[COLS_MAX];   /* w 0: not shown */
};

/* The texts of one row's cells. */
struct cells {
	char text[COLS_MAX][256];
};

static const char *
state_label(enum batch_state s)
{
	if ((int)s < 0 || s >= BATCH_STATE_COUNT_)
		return "?";
	return _(state_names[s]);
}

static int64_t
age_of(int64_t now_us, int64_t then_us)
{
	if (then_us <= 0)
		return -1;
	return now_us > then_us ? now_us - then_us : 0;
}

/*
 * A duration: "1:02:03", or "02:03" under an hour; negative: a dash.  Up:
 * whole seconds rounded up (what is left), else down (what has passed),
 * so that elapsed and remaining add up to the whole.
 */
static void
format_hms(char *buf, size_t len, int64_t ms, bool up)
{
	long long s;

	if (ms < 0) {
		snprintf(buf, len, "%s", text_utf8() ? "\xe2\x80\x94" : "-");
		return;
	}
	s = (long long)((ms + (up ? 999 : 0)) / 1000);
	if (s >= 3600)
		snprintf(buf, len, "%lld:%02lld:%02lld", s / 3600,
		    s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%02lld:%02lld", s / 60, s % 60);
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

/* A time of today as "10:02", of another day as "11-20 10:02". */
static void
format_when(char *buf, size_t len, int64_t us, int64_t now_us)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;

	if (us <= 0 || localtime_r(&secs, &tm) == NULL ||
	    strftime(buf, len, same_day(us, now_us) ? "%H:%M" :
	    "%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "%s", text_utf8() ? "\xe2\x80\x94" : "-");
}

/* Recipe i of the model, or NULL. */
static const struct recipe *
recipe_at(const struct model *m, long i)
{
	if (m == NULL || i < 0 || (size_t)i >= m->nrecipes)
		return NULL;
	return &m->recipes[i];
}

/*
 * The recipe a start would begin with: the last batch's, while the model
 * still has it, else the first.  -1 when the model has none.
 */
static long
start_recipe(const struct view *v)
{
	const struct batch_view *b = &v->snap->batch;
	long i;

	if (v->model == NULL || v->model->nrecipes == 0)
		return -1;
	if (b->nrecent > 0 && (i = model_find_recipe(v->model,
	    b->recent[0].recipe_id)) >= 0)
		return i;
	return 0;
}

/* The recipe whose key points are shown: the batch's, or a start's. */
static long
shown_recipe(const struct view *v)
{
	const struct batch_view *b = &v->snap->batch;

	if (b->has_current)
		return recipe_at(v->model, b->recipe) != NULL ? b->recipe : -1;
	return start_recipe(v);
}

/* --- tables ------------------------------------------------------------ */

static void
table_fit(struct table *t, int width, const int *drop, size_t ndrop)
{
	bool on[COLS_MAX];
	int need, shown, x = 0, rest;

	for (int i = 0; i < t->n; i++)
		on[i] = true;
	for (size_t d = 0;; d++) {
		need = shown = 0;
		for (int i = 0; i < t->n; i++)
			if (on[i]) {
				need += i == t->flex && t->want[i] > FLEX_MIN ?
				    FLEX_MIN : t->want[i];
				shown++;
			}
		need += shown > 1 ? shown - 1 : 0;
		if (need <= width || d >= ndrop)
			break;
		on[drop[d]] = false;
	}
	rest = width;
	for (int i = 0; i < t->n; i++)
		if (on[i] && i != t->flex)
			rest -= t->want[i] + 1;
	for (int i = 0; i < t->n; i++) {
		t->x[i] = x;
		t->w[i] = 0;
		if (!on[i])
			continue;
		t->w[i] = i == t->flex ? rest : t->want[i];
		if (t->w[i] < 0)
			t->w[i] = 0;
		if (x + t->w[i] > width)
			t->w[i] = width - x > 0 ? width - x : 0;
		x += t->w[i] + 1;
	}
}

/* Widen the columns for one row's texts. */
static void
table_want(struct table *t, const struct cells *c)
{
	for (int i = 0; i < t->n; i++) {
		int w = text_width(c->text[i]) + 2;

		if (w > t->want[i])
			t->want[i] = w;
	}
}

static void
table_row(WINDOW *win, int y, int x0, const struct table *t,
    const struct cells *c, attr_t attr, int special, attr_t special_attr)
{
	int last = -1;

	for (int i = 0; i < t->n; i++)
		if (t->w[i] > 0)
			last = i;
	for (int i = 0; i < t->n; i++) {
		int w = t->w[i];

		if (w <= 0)
			continue;
		draw_text(win, y, x0 + t->x[i], w, attr, ALIGN_LEFT, "");
		if (w > 2)
			draw_text_cut(win, y, x0 + t->x[i] + 1, w - 2,
			    i == special ? special_attr : attr, t->right[i] ?
			    ALIGN_RIGHT : ALIGN_LEFT, c->text[i]);
		if (i != last)
			draw_text(win, y, x0 + t->x[i] + w, 1, attr,
			    ALIGN_LEFT, theme_vline());
	}
}

/* --- the current batch ------------------------------------------------- */

/* A bar of w cells, fraction full (clamped), then " 42%". */
static void
draw_bar(WINDOW *win, int y, int x, int w, double fraction, attr_t full)
{
	const char *on = text_utf8() ? "\xe2\x96\x88" : "#";
	const char *off = text_utf8() ? "\xe2\x96\x91" : "-";
	char buf[1024], pct[16];
	int bw = w - PERCENT_W, n;

	if (bw < 4)
		return;
	if (bw > 200)
		bw = 200;
	n = fraction <= 0 ? 0 : fraction >= 1 ? bw : (int)(fraction * bw + 0.5);
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		strcat(buf, on);
	draw_text(win, y, x, n, full, ALIGN_LEFT, buf);
	buf[0] = '\0';
	for (int i = n; i < bw; i++)
		strcat(buf, off);
	draw_text(win, y, x + n, bw - n, theme_attr(ROLE_DIM), ALIGN_LEFT,
	    buf);
	snprintf(pct, sizeof pct, "%d%%", fraction < 0 ? 0 :
	    fraction > 9.99 ? 999 : (int)(fraction * 100));
	draw_text(win, y, x + bw, PERCENT_W, full, ALIGN_RIGHT, pct);
}

/* Text, then two blanks and more text in another colour; the end x. */
static int
draw_pair(WINDOW *win, int y, int x, int end, attr_t a1, const char *t1,
    attr_t a2, const char *t2)
{
	int w1 = text_width(t1), w2 = text_width(t2);

	if (w1 > end - x)
		w1 = end - x;
	if (w1 > 0)
		draw_text_cut(win, y, x, w1, a1, ALIGN_LEFT, t1);
	x += w1 + 2;
	if (w2 > end - x)
		w2 = end - x;
	if (w2 > 0)
		draw_text_cut(win, y, x, w2, a2, ALIGN_LEFT, t2);
	return x + (w2 > 0 ? w2 : 0);
}

static void
draw_current(WINDOW *win, const struct rect *a, const struct view *v)
{
	const struct batch_view *b = &v->snap->batch;
	const struct batch_brief *c = &b->current;
	const struct batch_progress *p = &b->progress;
	attr_t role = theme_attr(batch_state_role(c->state));
	int x = a->x + 1, end = a->x + a->w - 1, w = end - x;
	char t1[512], el[32], rem[32], held[32], when[64];
	time_t secs = (time_t)(c->started_us / 1000000);
	struct tm tm;

	/* TRANSLATORS: batch id, recipe name, recipe version. */
	snprintf(t1, sizeof t1, _("Batch %s: %s v%s"), c->id,
	    c->recipe_name, c->recipe_version);
	draw_pair(win, a->y, x, end, theme_attr(ROLE_NORMAL) | A_BOLD, t1,
	    role | A_BOLD, state_label(c->state));
	if (a->h < 2)
		return;
	if (c->started_us <= 0 || localtime_r(&secs, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof when, "?");
	if (b->holds > 0)
		/* TRANSLATORS: user, date and time, times held. */
		snprintf(t1, sizeof t1, ngettext("Started by %s at %s, held "
		    "%u time", "Started by %s at %s, held %u times", b->holds),
		    c->started_by, when, b->holds);
	else
		/* TRANSLATORS: user, date and time. */
		snprintf(t1, sizeof t1, _("Started by %s at %s"),
		    c->started_by, when);
	draw_text_cut(win, a->y + 1, x, w, theme_attr(ROLE_NORMAL),
	    ALIGN_LEFT, t1);
	if (a->h < 3)
		return;
	draw_bar(win, a->y + 2, x, w, p->fraction, role);
	if (a->h < 4)
		return;
	format_hms(el, sizeof el, p->elapsed_ms, false);
	format_hms(rem, sizeof rem, p->remaining_ms, true);
	format_hms(held, sizeof held, p->held_ms, false);
	/* TRANSLATORS: durations as h:mm:ss or mm:ss. */
	snprintf(t1, sizeof t1, _("Elapsed %s   Remaining %s   Held %s"), el,
	    rem, held);
	draw_text_cut(win, a->y + 3, x, w, theme_attr(ROLE_NORMAL),
	    ALIGN_LEFT, t1);
	if (a->h < 5)
		return;
	format_hms(rem, sizeof rem, p->run_remaining_ms, true);
	if (c->state == BATCH_STOPPING) {
		/* TRANSLATORS: the run that ends the batch, time until then. */
		snprintf(t1, sizeof t1, _("Stopping: completes at the end of "
		    "run %lld (%s)"), (long long)b->stop_run, rem);
		draw_text_cut(win, a->y + 4, x, w, role | A_BOLD, ALIGN_LEFT,
		    t1);
		return;
	}
	if (c->state == BATCH_HELD)
		/* TRANSLATORS: the run in progress, time until it ends. */
		snprintf(t1, sizeof t1, _("Run %lld (paused, %s left)"),
		    (long long)p->run, rem);
	else
		/* TRANSLATORS: the run in progress, time until it ends. */
		snprintf(t1, sizeof t1, _("Run %lld (%s left)"),
		    (long long)p->run, rem);
	x = draw_pair(win, a->y + 4, x, end, theme_attr(ROLE_NORMAL), t1,
	    theme_attr(ROLE_NORMAL), "");
	if (end - x > PERCENT_W + 4)
		draw_bar(win, a->y + 4, x, end - x > 40 ? 40 : end - x,
		    p->run_fraction, role);
}

static void
draw_idle(WINDOW *win, const struct rect *a, const struct view *v)
{
	const struct batch_view *b = &v->snap->batch;
	const struct recipe *r = recipe_at(v->model, start_recipe(v));
	int x = a->x + 1, w = a->w - 2;
	char t1[512], t2[512];
	const char *p;

	draw_text_cut(win, a->y, x, w, theme_attr(ROLE_NORMAL) | A_BOLD,
	    ALIGN_LEFT, _("No batch running"));
	if (a->h < 2)
		return;
	if (b->next_id[0] != '\0')
		/* TRANSLATORS: the id the engine proposes for a start. */
		snprintf(t1, sizeof t1, _("Next batch: %s"), b->next_id);
	else
		snprintf(t1, sizeof t1, "%s", _("Next batch: no id proposed "
		    "yet"));
	draw_text_cut(win, a->y + 1, x, w, theme_attr(ROLE_NORMAL),
	    ALIGN_LEFT, t1);
	if (a->h < 3)
		return;
	if (r == NULL)
		snprintf(t1, sizeof t1, "%s", _("No recipe is configured: a "
		    "batch cannot start."));
	else
		/* TRANSLATORS: recipe name, version, id. */
		snprintf(t1, sizeof t1, _("Recipe: %s v%s (%s)"), r->name,
		    r->version, r->id);
	if (r != NULL && v->model->nrecipes > 1) {
		/* TRANSLATORS: appended to the recipe: how many recipes s
		 * offers. */
		snprintf(t2, sizeof t2, ngettext("%s; s chooses among %zu "
		    "recipe", "%s; s chooses among %zu recipes",
		    (unsigned long)v->model->nrecipes), t1,
		    v->model->nrecipes);
		str_copy(t1, t2, sizeof t1);
	}
	draw_text_cut(win, a->y + 2, x, w, theme_attr(r != NULL ?
	    ROLE_NORMAL : ROLE_WARN), ALIGN_LEFT, t1);
	if (b->start_refusal[0] == '\0') {
		if (a->h > 3 && r != NULL && b->next_id[0] != '\0')
			draw_text_cut(win, a->y + 3, x, w, theme_attr(ROLE_DIM),
			    ALIGN_LEFT, _("F8 or s starts it (signed)."));
		return;
	}
	/* Why a start is refused: wrapped on the lines left of the block. */
	p = b->start_refusal;
	for (int row = 3; row < BLOCK_LINES && row < a->h && *p != '\0';
	    row++) {
		size_t len = row + 1 < BLOCK_LINES ? text_wrap(p, w) :
		    strlen(p);

		if (len >= sizeof t1)
			len = sizeof t1 - 1;
		memcpy(t1, p, len);
		t1[len] = '\0';
		draw_text_cut(win, a->y + row, x, w, theme_attr(ROLE_WARN) |
		    A_BOLD, ALIGN_LEFT, t1);
		p += len;
		while (*p == ' ')
			p++;
	}
}

/* --- key points -------------------------------------------------------- */

/* The shortest period of the events that read point p, 0 none. */
static int64_t
point_period_us(const struct model *m, size_t p)
{
	int64_t best = 0;

	for (size_t e = 0; e < m->nevents; e++)
		for (size_t k = 0; k < m->events[e].npoints; k++)
			if (m->events[e].points[k] == p && (best == 0 ||
			    m->events[e].period_ms * 1000 < best))
				best = m->events[e].period_ms * 1000;
	return best;
}

static bool
point_stale(const struct view *v, size_t p, const struct point_state *ps)
{
	int64_t period = point_period_us(v->model, p), limit;

	if (ps == NULL || !ps->has_value)
		return true;
	limit = period > 0 ? STALE_FACTOR * period : STALE_LONE_US;
	if (limit < STALE_MIN_US)
		limit = STALE_MIN_US;
	return age_of(v->now_us, ps->ts_us) > limit;
}

static void
point_head(struct cells *c)
{
	/* TRANSLATORS: column heads of the batch screen's key points. */
	snprintf(c->text[KC_ID], sizeof c->text[0], "%s", _("Key point"));
	snprintf(c->text[KC_NAME], sizeof c->text[0], "%s", _("Name"));
	snprintf(c->text[KC_VALUE], sizeof c->text[0], "%s", _("Value"));
	snprintf(c->text[KC_QUALITY], sizeof c->text[0], "%s", _("Quality"));
	snprintf(c->text[KC_AGE], sizeof c->text[0], "%s", _("Age"));
}

/* The cells of point p; role: of the quality, ROLE_DIM when stale. */
static void
point_cells(struct cells *c, const struct view *v, size_t p,
    enum theme_role *role, bool *stale)
{
	const struct point *pt = &v->model->points[p];
	const struct point_state *ps = p < v->snap->npoints ?
	    &v->snap->points[p] : NULL;
	char age[64];
	int q;

	memset(c, 0, sizeof *c);
	*stale = point_stale(v, p, ps);
	*role = ROLE_DIM;
	snprintf(c->text[KC_ID], sizeof c->text[0], "%s", pt->id);
	snprintf(c->text[KC_NAME], sizeof c->text[0], "%s",
	    strcmp(pt->name, pt->id) != 0 ? pt->name : "");
	if (ps == NULL || !ps->has_value) {
		format_age(c->text[KC_VALUE], sizeof c->text[0], -1);
		format_age(c->text[KC_AGE], sizeof c->text[0], -1);
		return;
	}
	pointval_format(c->text[KC_VALUE], sizeof c->text[0], pt, ps->value);
	q = ps->quality;
	*role = q == QUALITY_GOOD ? ROLE_GOOD : q == QUALITY_UNCERTAIN ?
	    ROLE_WARN : ROLE_BAD;
	snprintf(c->text[KC_QUALITY], sizeof c->text[0], "%s", q >= 0 &&
	    (size_t)q < ARRAY_LEN(quality_names) ? _(quality_names[q]) : "?");
	format_age(age, sizeof age, age_of(v->now_us, ps->ts_us));
	if (*stale)
		/* TRANSLATORS: the age ("5 min") of a value that is no
		 * longer current. */
		snprintf(c->text[KC_AGE], sizeof c->text[0], _("%s, stale"),
		    age);
	else
		snprintf(c->text[KC_AGE], sizeof c->text[0], "%s", age);
}

static void
draw_points(WINDOW *win, int y, int rows, const struct rect *a,
    const struct view *v, const struct recipe *r)
{
	struct table t = { .n = KC_COUNT, .flex = KC_NAME };
	struct cells c;
	enum theme_role role;
	bool stale;

	t.right[KC_VALUE] = t.right[KC_AGE] = true;
	point_head(&c);
	table_want(&t, &c);
	for (size_t k = 0; k < r->npoints; k++)
		if (r->points[k] < v->model->npoints) {
			point_cells(&c, v, r->points[k], &role, &stale);
			table_want(&t, &c);
		}
	table_fit(&t, a->w, drop_points, ARRAY_LEN(drop_points));
	point_head(&c);
	draw_text(win, y, a->x, a->w, theme_attr(ROLE_TABLE_HEAD), ALIGN_LEFT,
	    "");
	table_row(win, y, a->x, &t, &c, theme_attr(ROLE_TABLE_HEAD), -1, 0);
	if (r->npoints == 0 && rows > 0)
		draw_text(win, y + 1, a->x, a->w, theme_attr(ROLE_DIM),
		    ALIGN_CENTER, _("The recipe names no key points."));
	for (size_t k = 0, row = 0; k < r->npoints && (int)row < rows; k++) {
		if (r->points[k] >= v->model->npoints)
			continue;
		point_cells(&c, v, r->points[k], &role, &stale);
		table_row(win, y + 1 + (int)row++, a->x, &t, &c,
		    theme_attr(stale ? ROLE_DIM : ROLE_NORMAL), stale ? -1 :
		    KC_QUALITY, theme_attr(role));
	}
}

/* --- recent batches ---------------------------------------------------- */

static void
recent_head(struct cells *c)
{
	/* TRANSLATORS: column heads of the batch screen's recent batches. */
	snprintf(c->text[RC_ID], sizeof c->text[0], "%s", _("Batch"));
	snprintf(c->text[RC_RECIPE], sizeof c->text[0], "%s", _("Recipe"));
	snprintf(c->text[RC_STATE], sizeof c->text[0], "%s", _("State"));
	snprintf(c->text[RC_STARTED], sizeof c->text[0], "%s", _("Started"));
	snprintf(c->text[RC_ENDED], sizeof c->text[0], "%s", _("Ended"));
	snprintf(c->text[RC_DURATION], sizeof c->text[0], "%s",
	    _("Duration"));
	snprintf(c->text[RC_SAMPLES], sizeof c->text[0], "%s", _("Samples"));
	snprintf(c->text[RC_ERRORS], sizeof c->text[0], "%s", _("Errors"));
	snprintf(c->text[RC_ALARMS], sizeof c->text[0], "%s", _("Alarms"));
}

static void
recent_cells(struct cells *c, const struct view *v,
    const struct batch_brief *r)
{
	const struct batch_view *b = &v->snap->batch;
	int64_t ms = -1;

	memset(c, 0, sizeof *c);
	snprintf(c->text[RC_ID], sizeof c->text[0], "%s", r->id);
	snprintf(c->text[RC_RECIPE], sizeof c->text[0], "%s@%s",
	    r->recipe_id, r->recipe_version);
	snprintf(c->text[RC_STATE], sizeof c->text[0], "%s",
	    state_label(r->state));
	format_when(c->text[RC_STARTED], sizeof c->text[0], r->started_us,
	    v->now_us);
	format_when(c->text[RC_ENDED], sizeof c->text[0], r->ended_us,
	    v->now_us);
	if (r->ended_us > 0 && r->started_us > 0)
		ms = (r->ended_us - r->started_us) / 1000;
	else if (b->has_current && strcmp(r->id, b->current.id) == 0)
		ms = b->progress.elapsed_ms + b->progress.held_ms;
	format_hms(c->text[RC_DURATION], sizeof c->text[0], ms, false);
	snprintf(c->text[RC_SAMPLES], sizeof c->text[0], "%llu",
	    (unsigned long long)r->samples);
	snprintf(c->text[RC_ERRORS], sizeof c->text[0], "%llu",
	    (unsigned long long)r->errors);
	snprintf(c->text[RC_ALARMS], sizeof c->text[0], "%llu",
	    (unsigned long long)r->alarms);
}

static void
draw_recent(WINDOW *win, int y, int rows, const struct rect *a,
    const struct view *v)
{
	const struct batch_view *b = &v->snap->batch;
	struct table t = { .n = RC_COUNT, .flex = RC_RECIPE };
	size_t n = b->nrecent < BATCH_RECENT_MAX ? b->nrecent :
	    BATCH_RECENT_MAX;
	struct cells c;

	t.right[RC_DURATION] = t.right[RC_SAMPLES] = t.right[RC_ERRORS] =
	    t.right[RC_ALARMS] = true;
	recent_head(&c);
	table_want(&t, &c);
	for (size_t i = 0; i < n; i++) {
		recent_cells(&c, v, &b->recent[i]);
		table_want(&t, &c);
	}
	table_fit(&t, a->w, drop_recent, ARRAY_LEN(drop_recent));
	recent_head(&c);
	draw_text(win, y, a->x, a->w, theme_attr(ROLE_TABLE_HEAD), ALIGN_LEFT,
	    "");
	table_row(win, y, a->x, &t, &c, theme_attr(ROLE_TABLE_HEAD), -1, 0);
	if (n == 0 && rows > 0)
		draw_text(win, y + 1, a->x, a->w, theme_attr(ROLE_DIM),
		    ALIGN_CENTER, _("No batch yet"));
	for (size_t i = 0; i < n && (int)i < rows; i++) {
		const struct batch_brief *r = &b->recent[i];

		recent_cells(&c, v, r);
		table_row(win, y + 1 + (int)i, a->x, &t, &c,
		    theme_attr(r->state == BATCH_COMPLETE ? ROLE_NORMAL :
		    batch_state_role(r->state)), RC_STATE,
		    theme_attr(batch_state_role(r->state)) | A_BOLD);
	}
}

static void
batch_draw(struct screen *s, WINDOW *win, const struct view *v)
{
	const struct rect *a = &v->area;
	const struct batch_view *b = &v->snap->batch;
	const struct recipe *r = recipe_at(v->model, shown_recipe(v));
	int rest, npts = 0, nrec, prow, rrow, y;

	(void)s;
	if (a->h <= 0 || a->w <= 0)
		return;
	if (b->has_current)
		draw_current(win, a, v);
	else
		draw_idle(win, a, v);
	rest = a->h - BLOCK_LINES - 1;
	if (rest < 2)
		return;
	for (size_t k = 0; r != NULL && k < r->npoints; k++)
		if (r->points[k] < v->model->npoints)
			npts++;
	if (r != NULL && npts == 0)
		npts = 1;               /* the line that says so */
	nrec = b->nrecent > 0 ? (int)b->nrecent : 1;
	/* Heads, and a blank between the tables when there are points. */
	rrow = nrec < RECENT_MIN ? nrec : RECENT_MIN;
	prow = r != NULL ? rest - 3 - rrow : 0;
	if (prow > npts)
		prow = npts;
	if (prow < 0)
		prow = 0;
	y = a->y + BLOCK_LINES + 1;
	if (r != NULL && prow > 0) {
		draw_points(win, y, prow, a, v, r);
		y += prow + 2;
	}
	rrow = a->y + a->h - y - 1;
	if (rrow >= 0)
		draw_recent(win, y, rrow, a, v);
}

/* --- keys -------------------------------------------------------------- */

static bool
start_possible(const struct view *v)
{
	const struct batch_view *b = &v->snap->batch;

	return (b->allowed & BATCH_EV_BIT(BATCH_EV_START)) != 0 &&
	    !b->has_current && b->start_refusal[0] == '\0' &&
	    b->next_id[0] != '\0' && start_recipe(v) >= 0;
}

/* Why ev cannot be asked for now, into out. */
static void
say_why_not(const struct view *v, enum batch_event ev,
    struct key_result *out)
{
	const struct batch_view *b = &v->snap->batch;

	out->bad = true;
	if (ev == BATCH_EV_START && b->start_refusal[0] != '\0')
		str_copy(out->message, b->start_refusal, sizeof out->message);
	else if (ev == BATCH_EV_START && b->has_current)
		/* TRANSLATORS: batch id, its state. */
		snprintf(out->message, sizeof out->message, _("Batch %s is "
		    "%s: one batch runs at a time."), b->current.id,
		    state_label(b->current.state));
	else if (ev == BATCH_EV_START && start_recipe(v) < 0)
		snprintf(out->message, sizeof out->message, "%s",
		    _("No recipe is configured: a batch cannot start."));
	else if (ev == BATCH_EV_START)
		snprintf(out->message, sizeof out->message, "%s",
		    _("The engine has not proposed a batch id yet; try again "
		    "in a moment."));
	else if (!b->has_current)
		snprintf(out->message, sizeof out->message, "%s",
		    _("No batch is running."));
	else
		/* TRANSLATORS: what cannot be done ("hold a batch"), the
		 * batch id, its state. */
		snprintf(out->message, sizeof out->message, _("Cannot %s now: "
		    "batch %s is %s."), ev == BATCH_EV_HOLD ? _("hold it") :
		    ev == BATCH_EV_RESUME ? _("resume it") : ev == BATCH_EV_STOP ?
		    _("stop it") : _("abort it"), b->current.id,
		    state_label(b->current.state));
}

static bool
ask(const struct view *v, enum batch_event ev, struct key_result *out)
{
	const struct batch_view *b = &v->snap->batch;
	bool ok = ev == BATCH_EV_START ? start_possible(v) :
	    b->has_current && (b->allowed & BATCH_EV_BIT(ev)) != 0;

	if (!ok) {
		say_why_not(v, ev, out);
		return true;
	}
	out->action = ACTION_BATCH;
	out->batch_event = (int)ev;
	if (ev == BATCH_EV_START)
		out->recipe = (size_t)start_recipe(v);
	return true;
}

static bool
batch_key(struct screen *s, int key, const struct view *v,
    struct key_result *out)
{
	const struct batch_view *b = &v->snap->batch;

	(void)s;
	switch (key) {
	case KEY_F(8):
	case 's':
		return ask(v, BATCH_EV_START, out);
	case KEY_F(9):
		return ask(v, b->has_current && (b->allowed &
		    BATCH_EV_BIT(BATCH_EV_RESUME)) ? BATCH_EV_RESUME :
		    BATCH_EV_HOLD, out);
	case 'h':
		return ask(v, BATCH_EV_HOLD, out);
	case 'u':
		return ask(v, BATCH_EV_RESUME, out);
	case KEY_F(11):
	case 't':
		return ask(v, BATCH_EV_STOP, out);
	case KEY_F(12):
	case 'x':
		return ask(v, BATCH_EV_ABORT, out);
	case 'm':
		out->action = ACTION_MAINT;
		return true;
	default:
		return false;
	}
}

static unsigned
batch_keys(struct screen *s, const struct view *v)
{
	const struct batch_view *b = &v->snap->batch;
	unsigned keys = SCREEN_KEY_MAINT;

	(void)s;
	if (start_possible(v))
		keys |= SCREEN_KEY_BATCH_START;
	if (!b->has_current)
		return keys;
	if (b->allowed & BATCH_EV_BIT(BATCH_EV_HOLD))
		keys |= SCREEN_KEY_BATCH_HOLD;
	if (b->allowed & BATCH_EV_BIT(BATCH_EV_RESUME))
		keys |= SCREEN_KEY_BATCH_RESUME;
	if (b->allowed & BATCH_EV_BIT(BATCH_EV_STOP))
		keys |= SCREEN_KEY_BATCH_STOP;
	if (b->allowed & BATCH_EV_BIT(BATCH_EV_ABORT))
		keys |= SCREEN_KEY_BATCH_ABORT;
	return keys;
}

static void
batch_free(struct screen *s)
{
	free(s);
}

struct screen *
screen_batch_new(void)
{
	struct batch_screen *bs = xcalloc(1, sizeof *bs);

	bs->base.draw = batch_draw;
	bs->base.key = batch_key;
	bs->base.keys = batch_keys;
	bs->base.grabs_keys = NULL;
	bs->base.free = batch_free;
	return &bs->base;
}
