/*
 * screen_trends.c: the inference link at a glance (F6).
 *
 * The inference client publishes the latest Raman spectrum and the recent
 * predictions of every model output (core/infer_view.h); this screen only
 * shows them, from the snapshot, at every draw.  The body is
 *
 *	line 1          the spectrum: id, local time, predicted or why not;
 *	                the model and its version on the right
 *	about half      the spectrum as a braille line chart (ui/chart.h):
 *	                counts up, pixel index across
 *	then            one row per model output: name, latest value with
 *	                unit, its age, a sparkline of its recent values (as
 *	                many as the row has room for, newest on the right)
 *	                and their minimum / maximum
 *	last 2 lines    the link: state, p50/p95/p99 round trips against the
 *	                target, the last heartbeat; the problem counters and
 *	                the last error
 *
 * An output whose last value is older than STALE_FACTOR times its usual
 * interval (the median of its recent intervals), or any output while the
 * link is down, is stale: its row is dim and its age says so in words.
 * Without an endpoint in app.json the screen says how to configure one.
 *
 * Keys (the app handles quit, help, screen switching and resize first):
 *
 *	p       re-predict the latest spectrum now (CMD_REPREDICT); the
 *	        engine's answer shows in the function-key bar
 *
 * All the arithmetic of the chart and the sparklines is chart.c's, tested
 * without a terminal; here are only the rectangles and the colours.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/i18n.h"
#include "core/util.h"
#include "ui/chart.h"
#include "ui/draw.h"
#include "ui/screen.h"
#include "ui/staterole.h"
#include "ui/text.h"
#include "ui/theme.h"

#define LINK_LINES 2            /* at the bottom of the body */
#define CHART_MIN_LINES 3       /* two of plot and the x axis */
#define NAME_MIN 8              /* columns of an output's name, at least */
#define SPARK_MIN 8             /* columns of a sparkline worth showing */
#define STALE_FACTOR 3          /* intervals late: stale */
#define STALE_MIN_US (2 * 1000000LL)
#define STALE_LONE_US (60 * 1000000LL)  /* one value: no interval yet */
#define INTERVALS_MAX 16        /* recent intervals for the usual one */
#define ITEMS_MAX 8

struct trends_screen {
	struct screen base;     /* first: the vtable */
	double *pixels;         /* the spectrum as doubles, for chart.c */
	size_t cap;
};

/* Where the parts of the body go (rows from its top; h 0: not shown). */
struct trends_rows {
	int chart_y, chart_h;
	int table_y, table_h;   /* the head and the output rows */
	int link_y, link_h;
};

/* One output row's texts. */
struct series_text {
	char value[64], age[64], range[96];
	char spark[CHART_CELL_MAX * INFER_VIEW_HISTORY + 1];
	bool stale;
};

/* Columns of the output table: name, value, age, trend, range. */
enum { TC_NAME, TC_VALUE, TC_AGE, TC_TREND, TC_RANGE, TC_COUNT };

struct series_cols {
	int x[TC_COUNT], w[TC_COUNT];   /* w 0: not shown */
};

/* Items of a link line, fitted by layout_status like the status bar. */
struct items {
	char text[ITEMS_MAX][2][160];   /* long, short */
	struct status_item item[ITEMS_MAX];
	enum theme_role role[ITEMS_MAX];
	size_t n;
};

static bool
configured(const struct view *v)
{
	return v->model != NULL && v->model->app.inference_endpoint[0] != '\0';
}

static const struct infer_view *
view_of(const struct view *v)
{
	return v->snap != NULL ? v->snap->infer_view : NULL;
}

static void
rows_compute(struct trends_rows *r, int h)
{
	int rest;

	memset(r, 0, sizeof *r);
	r->link_h = h >= 6 ? LINK_LINES : h >= 3 ? 1 : 0;
	r->link_y = h - r->link_h;
	rest = h - 1 - r->link_h;       /* below the title */
	r->chart_y = 1;
	r->chart_h = rest / 2 >= CHART_MIN_LINES ? rest / 2 : 0;
	r->table_y = r->chart_y + r->chart_h;
	r->table_h = rest - r->chart_h;
	if (r->table_h < 0)
		r->table_h = 0;
}

static void
format_clock(int64_t us, char *buf, size_t len)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;

	if (us <= 0 || localtime_r(&secs, &tm) == NULL ||
	    strftime(buf, len, "%H:%M:%S", &tm) == 0)
		snprintf(buf, len, "?");
}

static int64_t
age_of(int64_t now_us, int64_t then_us)
{
	if (then_us <= 0)
		return -1;
	return now_us > then_us ? now_us - then_us : 0;
}

/* --- title line ----------------------------------------------------- */

static void
draw_title(WINDOW *win, const struct rect *a, const struct view *v)
{
	const struct infer_view *iv = view_of(v);
	const struct infer_status *st = &v->snap->infer;
	char left[512], right[192], when[32];
	enum theme_role role = ROLE_NORMAL;
	int rw = 0, lw = a->w - 2;

	if (st->model[0] != '\0' && st->model_version[0] != '\0')
		/* TRANSLATORS: model id, model version. */
		snprintf(right, sizeof right, _("Model %s %s"), st->model,
		    st->model_version);
	else if (st->model[0] != '\0')
		snprintf(right, sizeof right, _("Model %s"), st->model);
	else
		right[0] = '\0';
	if (iv == NULL || iv->spectrum_id[0] == '\0') {
		snprintf(left, sizeof left, "%s", _("No spectrum yet"));
		role = ROLE_DIM;
	} else {
		format_clock(iv->spectrum_ts_us, when, sizeof when);
		if (iv->predicted)
			/* TRANSLATORS: spectrum id, its local time. */
			snprintf(left, sizeof left, _("Spectrum %s at %s: "
			    "predicted"), iv->spectrum_id, when);
		else {
			/* TRANSLATORS: spectrum id, local time, reason. */
			snprintf(left, sizeof left, _("Spectrum %s at %s: not "
			    "predicted: %s"), iv->spectrum_id, when,
			    iv->spectrum_error[0] != '\0' ?
			    iv->spectrum_error : _("no reply yet"));
			role = ROLE_WARN;
		}
	}
	/* The model on the right, unless it would cut why a spectrum was
	 * not predicted, or leave the spectrum's line too little room. */
	rw = text_width(right);
	if (rw + 2 + 20 > lw || (role == ROLE_WARN &&
	    text_width(left) + 2 + rw > lw))
		rw = 0;
	if (rw > 0) {
		lw -= rw + 2;
		draw_text(win, a->y, a->x + a->w - 1 - rw, rw,
		    theme_attr(ROLE_DIM), ALIGN_LEFT, right);
	}
	draw_text_cut(win, a->y, a->x + 1, lw, theme_attr(role), ALIGN_LEFT,
	    left);
}

/* --- spectrum chart --------------------------------------------------- */

static const double *
spectrum_pixels(struct trends_screen *ts, const struct infer_view *iv)
{
	if (iv->npixels > ts->cap) {
		free(ts->pixels);
		ts->pixels = xcalloc(iv->npixels, sizeof *ts->pixels);
		ts->cap = iv->npixels;
	}
	for (size_t i = 0; i < iv->npixels; i++)
		ts->pixels[i] = iv->pixels[i];
	return ts->pixels;
}

static void
draw_chart(struct trends_screen *ts, WINDOW *win, const struct rect *r,
    const struct infer_view *iv)
{
	struct chart c;
	char *line;
	size_t len;

	if (r->h <= 0 || r->w <= 0)
		return;
	if (iv == NULL || iv->spectrum_id[0] == '\0' || iv->npixels == 0) {
		draw_text(win, r->y + r->h / 2, r->x, r->w,
		    theme_attr(ROLE_DIM), ALIGN_CENTER,
		    _("Waiting for the first spectrum..."));
		return;
	}
	if (chart_plot(&c, spectrum_pixels(ts, iv), iv->npixels, r->w, r->h,
	    text_utf8()) == 0) {
		len = (size_t)r->w * CHART_CELL_MAX + 1;
		line = xmalloc(len);
		for (int row = 0; row < r->h; row++) {
			chart_line(&c, row, line, len);
			draw_text(win, r->y + row, r->x, r->w,
			    theme_attr(ROLE_NORMAL), ALIGN_LEFT, line);
		}
		free(line);
	}
	chart_free(&c);
}

/* --- output table ----------------------------------------------------- */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median of the series' recent intervals; 0 with fewer than 2 values. */
static int64_t
usual_interval(const struct infer_series *s)
{
	int64_t d[INTERVALS_MAX];
	size_t n = 0;

	for (size_t i = s->n; i-- > 1 && n < INTERVALS_MAX;)
		d[n++] = s->ts_us[i] - s->ts_us[i - 1];
	if (n == 0)
		return 0;
	qsort(d, n, sizeof d[0], cmp_i64);
	return d[n / 2];
}

static bool
series_stale(const struct infer_series *s, const struct view *v)
{
	int64_t limit = STALE_LONE_US, iv;

	if (v->snap->inference == LINK_DOWN || s->n == 0)
		return true;
	if ((iv = usual_interval(s)) > 0)
		limit = STALE_FACTOR * iv;
	if (limit < STALE_MIN_US)
		limit = STALE_MIN_US;
	return age_of(v->now_us, s->ts_us[s->n - 1]) > limit;
}

/* Value, age and stale of one output (the trend and range come later). */
static void
series_texts(struct series_text *t, const struct infer_series *s,
    const struct view *v)
{
	char age[32];

	memset(t, 0, sizeof *t);
	t->stale = series_stale(s, v);
	if (s->n == 0) {
		format_age(t->value, sizeof t->value, -1);
		format_age(t->age, sizeof t->age, -1);
		return;
	}
	format_number(t->value, sizeof t->value, s->value[s->n - 1], -1,
	    s->unit);
	format_age(age, sizeof age, age_of(v->now_us, s->ts_us[s->n - 1]));
	if (t->stale)
		/* TRANSLATORS: the age ("5 min") of a value that is no
		 * longer current. */
		snprintf(t->age, sizeof t->age, _("%s, stale"), age);
	else
		snprintf(t->age, sizeof t->age, "%s", age);
}

/* The sparkline of trend_w columns and the minimum / maximum it spans. */
static void
series_trend(struct series_text *t, const struct infer_series *s,
    int trend_w)
{
	char lo[32], hi[32];
	double mn, mx;

	chart_sparkline(t->spark, sizeof t->spark, s->value, s->n, trend_w,
	    text_utf8(), &mn, &mx);
	if (isnan(mn)) {
		format_age(t->range, sizeof t->range, -1);
		return;
	}
	format_number(lo, sizeof lo, mn, -1, "");
	format_number(hi, sizeof hi, mx, -1, "");
	snprintf(t->range, sizeof t->range, "%s / %s", lo, hi);
}

static int
widest(int w, const char *text)
{
	int tw = text_width(text);

	return tw > w ? tw : w;
}

/*
 * Columns for width: name, value, age and range as wide as their widest
 * text (a blank each side), the trend the rest; the range, then the age
 * go when the trend would be narrower than SPARK_MIN.
 */
static void
series_cols(struct series_cols *c, int width, const struct infer_view *iv,
    const struct series_text *t, size_t n, const char *const head[])
{
	int want[TC_COUNT], x = 0, name_max = width / 4;

	for (int k = 0; k < TC_COUNT; k++)
		want[k] = text_width(head[k]);
	for (size_t i = 0; i < n; i++) {
		want[TC_NAME] = widest(want[TC_NAME], iv->series[i].name);
		want[TC_VALUE] = widest(want[TC_VALUE], t[i].value);
		want[TC_AGE] = widest(want[TC_AGE], t[i].age);
		want[TC_RANGE] = widest(want[TC_RANGE], t[i].range);
	}
	if (want[TC_NAME] > name_max)
		want[TC_NAME] = name_max < NAME_MIN ? NAME_MIN : name_max;
	for (int k = 0; k < TC_COUNT; k++)
		want[k] += 2;
	want[TC_TREND] = width - (want[TC_NAME] + want[TC_VALUE] +
	    want[TC_AGE] + want[TC_RANGE] + 4);
	if (want[TC_TREND] < SPARK_MIN + 2) {
		want[TC_TREND] += want[TC_RANGE] + 1;
		want[TC_RANGE] = 0;
	}
	if (want[TC_TREND] < SPARK_MIN + 2) {
		want[TC_TREND] += want[TC_AGE] + 1;
		want[TC_AGE] = 0;
	}
	if (want[TC_TREND] < SPARK_MIN + 2)
		want[TC_TREND] = 0;
	for (int k = 0; k < TC_COUNT; k++) {
		c->x[k] = x;
		c->w[k] = want[k];
		if (x + c->w[k] > width)
			c->w[k] = width - x > 0 ? width - x : 0;
		if (c->w[k] > 0)
			x += c->w[k] + 1;
	}
}

/* One table line: cells with a blank each side, separators between. */
static void
draw_cells(WINDOW *win, int y, int x0, const struct series_cols *c,
    const char *const text[], const enum theme_role role[], attr_t base)
{
	static const enum text_align align[TC_COUNT] = {
		ALIGN_LEFT, ALIGN_RIGHT, ALIGN_RIGHT, ALIGN_RIGHT, ALIGN_RIGHT
	};
	int last = -1;

	for (int k = 0; k < TC_COUNT; k++)
		if (c->w[k] > 0)
			last = k;
	for (int k = 0; k < TC_COUNT; k++) {
		int x = x0 + c->x[k], w = c->w[k];
		attr_t attr = role != NULL && role[k] != ROLE_NORMAL ?
		    theme_attr(role[k]) : base;

		if (w <= 0)
			continue;
		draw_text(win, y, x, w, base, ALIGN_LEFT, "");
		if (w > 2)
			draw_text_cut(win, y, x + 1, w - 2, attr, align[k],
			    text[k]);
		if (k < last)
			draw_text(win, y, x + w, 1, base, ALIGN_LEFT,
			    theme_vline());
	}
}

/* The time the widest sparkline spans, for the head: "Trend, 5 min". */
static void
trend_head(char *buf, size_t len, const struct infer_view *iv, int trend_w)
{
	int64_t span = 0;
	char age[32];

	for (size_t i = 0; i < iv->nseries && trend_w > 0; i++) {
		const struct infer_series *s = &iv->series[i];
		size_t k = s->n < (size_t)trend_w ? s->n : (size_t)trend_w;

		if (k >= 2 && s->ts_us[s->n - 1] - s->ts_us[s->n - k] > span)
			span = s->ts_us[s->n - 1] - s->ts_us[s->n - k];
	}
	if (span <= 0) {
		snprintf(buf, len, "%s", _("Trend"));
		return;
	}
	format_age(age, sizeof age, span);
	/* TRANSLATORS: how far back the sparklines go, "5 min". */
	snprintf(buf, len, _("Trend, last %s"), age);
}

static void
draw_series_row(WINDOW *win, int y, int x0, const struct series_cols *c,
    const struct infer_series *s, struct series_text *t)
{
	const char *cells[TC_COUNT];
	enum theme_role role[TC_COUNT] = { ROLE_NORMAL, ROLE_NORMAL,
	    ROLE_NORMAL, ROLE_POINT, ROLE_NORMAL };
	attr_t base = theme_attr(ROLE_NORMAL);

	series_trend(t, s, c->w[TC_TREND] - 2);
	cells[TC_NAME] = s->name;
	cells[TC_VALUE] = t->value;
	cells[TC_AGE] = t->age;
	cells[TC_TREND] = t->spark;
	cells[TC_RANGE] = t->range;
	if (t->stale) {
		for (int k = 0; k < TC_COUNT; k++)
			role[k] = ROLE_DIM;
		base = theme_attr(ROLE_DIM);
	}
	draw_cells(win, y, x0, c, cells, role, base);
}

static void
draw_table(WINDOW *win, const struct rect *r, const struct view *v)
{
	const struct infer_view *iv = view_of(v);
	struct series_text t[INFER_VIEW_OUTPUTS];
	struct series_cols c;
	const char *head[TC_COUNT];
	char trend[128], more[128];
	size_t n, shown;

	if (r->h <= 0)
		return;
	n = iv != NULL ? iv->nseries : 0;
	if (n > INFER_VIEW_OUTPUTS)
		n = INFER_VIEW_OUTPUTS;
	/* The range of the whole history sizes its column; the row shows
	 * the range of the values its sparkline has room for. */
	for (size_t i = 0; i < n; i++) {
		series_texts(&t[i], &iv->series[i], v);
		series_trend(&t[i], &iv->series[i], INFER_VIEW_HISTORY);
	}
	head[TC_NAME] = _("Output");
	head[TC_VALUE] = _("Latest");
	head[TC_AGE] = _("Age");
	head[TC_TREND] = _("Trend");
	head[TC_RANGE] = _("Min / max");
	series_cols(&c, r->w, iv, t, n, head);
	if (iv != NULL)
		trend_head(trend, sizeof trend, iv, c.w[TC_TREND] - 2);
	else
		snprintf(trend, sizeof trend, "%s", _("Trend"));
	head[TC_TREND] = trend;
	draw_text(win, r->y, r->x, r->w, theme_attr(ROLE_TABLE_HEAD),
	    ALIGN_LEFT, "");
	draw_cells(win, r->y, r->x, &c, head, NULL,
	    theme_attr(ROLE_TABLE_HEAD));
	if (n == 0 && r->h > 1) {
		draw_text(win, r->y + 1, r->x, r->w, theme_attr(ROLE_DIM),
		    ALIGN_CENTER, _("No predictions yet."));
		return;
	}
	shown = (size_t)(r->h - 1) < n ? (size_t)(r->h - 1) : n;
	if (shown < n && shown > 0)
		shown--;        /* the last line says how many are left out */
	for (size_t i = 0; i < shown; i++)
		draw_series_row(win, r->y + 1 + (int)i, r->x, &c,
		    &iv->series[i], &t[i]);
	if (shown < n && r->h > 1) {
		snprintf(more, sizeof more, ngettext("%zu more output (a taller "
		    "terminal shows it)", "%zu more outputs (a taller terminal "
		    "shows them)", (unsigned long)(n - shown)), n - shown);
		draw_text_cut(win, r->y + 1 + (int)shown, r->x + 1, r->w - 1,
		    theme_attr(ROLE_DIM), ALIGN_LEFT, more);
	}
}

/* --- link lines ------------------------------------------------------- */

static void
item_add(struct items *it, int priority, enum theme_role role,
    const char *long_text, const char *short_text)
{
	if (it->n >= ITEMS_MAX)
		return;
	snprintf(it->text[it->n][0], sizeof it->text[0][0], "%s", long_text);
	snprintf(it->text[it->n][1], sizeof it->text[0][1], "%s",
	    short_text != NULL ? short_text : long_text);
	it->item[it->n].long_w = text_width(it->text[it->n][0]);
	it->item[it->n].short_w = text_width(it->text[it->n][1]);
	it->item[it->n].priority = priority;
	it->role[it->n] = role;
	it->n++;
}

/* Draw the items that fit in w from x; returns the column after them. */
static int
items_draw(WINDOW *win, struct items *it, int y, int x, int w)
{
	const int sep = 2;
	int end = x + w;

	layout_status(it->item, it->n, w, sep);
	for (size_t i = 0; i < it->n; i++) {
		const char *t;
		int tw;

		if (it->item[i].fit == STATUS_HIDDEN)
			continue;
		t = it->text[i][it->item[i].fit == STATUS_LONG ? 0 : 1];
		tw = text_width(t);
		if (tw > end - x)
			tw = end - x;
		draw_text(win, y, x, tw, theme_attr(it->role[i]), ALIGN_LEFT,
		    t);
		x += tw + sep;
	}
	return x;
}

/* Indexed by enum link_state (as the status bar's). */
static const char *
link_name(enum link_state s)
{
	static const char *const names[] = {
		N_("not configured"), N_("unknown"), N_("up"), N_("degraded"),
		N_("down")
	};

	if ((size_t)s >= ARRAY_LEN(names))
		return "?";
	return _(names[s]);
}

/* State, round trips against the target, the last heartbeat. */
static void
link_items(struct items *it, const struct view *v)
{
	const struct infer_status *st = &v->snap->infer;
	double target = st->target_p95_ms > 0 ? st->target_p95_ms :
	    v->model->app.inference.target_p95_ms;
	char t1[160], t2[160], age[32];

	snprintf(t1, sizeof t1, _("Link: %s"), link_name(v->snap->inference));
	item_add(it, 9, link_state_role(v->snap->inference), t1, NULL);
	if (st->latency_n > 0) {
		/* TRANSLATORS: round trip percentiles in milliseconds. */
		snprintf(t1, sizeof t1, _("p50/p95/p99 %.1f/%.1f/%.1f ms"),
		    st->p50_ms, st->p95_ms, st->p99_ms);
		snprintf(t2, sizeof t2, _("p95 %.1f ms"), st->p95_ms);
		item_add(it, 8, target > 0 && st->p95_ms > target ? ROLE_WARN :
		    ROLE_NORMAL, t1, t2);
	} else
		item_add(it, 8, ROLE_DIM, _("no round trips yet"), NULL);
	if (target > 0) {
		snprintf(t1, sizeof t1, _("target p95 %g ms"), target);
		item_add(it, 5, ROLE_DIM, t1, NULL);
	}
	if (st->last_heartbeat_us > 0) {
		format_age(age, sizeof age, age_of(v->now_us,
		    st->last_heartbeat_us));
		snprintf(t1, sizeof t1, _("heartbeat %s ago"), age);
		item_add(it, 7, ROLE_NORMAL, t1, NULL);
	} else
		item_add(it, 7, ROLE_DIM, _("no heartbeat yet"), NULL);
}

/* A problem counter; those still at zero give way first. */
static void
counter_add(struct items *it, int priority, const char *fmt, uint64_t n)
{
	char t[160];

	snprintf(t, sizeof t, fmt, (unsigned long long)n);
	item_add(it, n > 0 ? priority + 10 : priority, n > 0 ? ROLE_WARN :
	    ROLE_NORMAL, t, NULL);
}

/* The counters, then the last error in what is left (half at least). */
static void
draw_problems(WINDOW *win, int y, int x, int w, const struct view *v)
{
	const struct infer_status *st = &v->snap->infer;
	struct items it;
	char t[512], age[32];
	int end = x + w, room = 0;

	if (st->last_error[0] != '\0') {
		format_age(age, sizeof age, age_of(v->now_us,
		    st->last_error_us));
		/* TRANSLATORS: age of the error ("5 min"), the error. */
		snprintf(t, sizeof t, _("last error %s ago: %s"), age,
		    st->last_error);
		room = text_width(t) + 2;
		if (room > w / 2)
			room = w / 2;
	}
	memset(&it, 0, sizeof it);
	counter_add(&it, 6, _("timeouts %llu"), st->timeouts);
	counter_add(&it, 5, _("late %llu"), st->late_replies);
	counter_add(&it, 4, _("rejected %llu"), st->rejected);
	counter_add(&it, 3, _("server errors %llu"), st->server_errors);
	counter_add(&it, 2, _("rebuilds %llu"), st->rebuilds);
	counter_add(&it, 1, _("queue dropped %llu"), st->queue_dropped);
	x = items_draw(win, &it, y, x, w - room);
	if (room > 0 && end - x >= 8)
		draw_text_cut(win, y, x, end - x, theme_attr(ROLE_BAD),
		    ALIGN_LEFT, t);
}

static void
draw_link(WINDOW *win, const struct rect *r, const struct view *v)
{
	struct items it;
	int x, end = r->x + r->w - 1;

	if (r->h <= 0)
		return;
	memset(&it, 0, sizeof it);
	link_items(&it, v);
	x = items_draw(win, &it, r->y, r->x + 1, r->w - 2);
	/* Where the link goes, when there is room for it. */
	if (text_width(v->model->app.inference_endpoint) <= end - x)
		draw_text(win, r->y, x, end - x, theme_attr(ROLE_DIM),
		    ALIGN_LEFT, v->model->app.inference_endpoint);
	if (r->h >= 2)
		draw_problems(win, r->y + 1, r->x + 1, r->w - 2, v);
}

/* --- not configured --------------------------------------------------- */

static void
draw_not_configured(WINDOW *win, const struct rect *a)
{
	const char *how = _("Set \"inference\": {\"endpoint\": "
	    "\"tcp://HOST:5555\"} in app.json, then apply the configuration "
	    "with R.  The spectra and the model's predictions will show here.");
	char line[512];
	int y = a->y + (a->h > 6 ? a->h / 3 : 0), w = a->w - 4;
	const char *p = how;

	draw_text(win, y++, a->x, a->w, theme_attr(ROLE_WARN), ALIGN_CENTER,
	    _("Inference is not configured."));
	y++;
	while (*p != '\0' && y < a->y + a->h && w > 0) {
		size_t len = text_wrap(p, w);

		if (len >= sizeof line)
			len = sizeof line - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		draw_text(win, y++, a->x + 2, w, theme_attr(ROLE_NORMAL),
		    ALIGN_LEFT, line);
		p += len;
		while (*p == ' ' || *p == '\n')
			p++;
	}
}

static void
trends_draw(struct screen *s, WINDOW *win, const struct view *v)
{
	struct trends_screen *ts = (struct trends_screen *)s;
	const struct rect *a = &v->area;
	struct trends_rows rows;
	struct rect r;

	if (a->h <= 0 || a->w <= 0 || v->snap == NULL)
		return;
	if (!configured(v)) {
		draw_not_configured(win, a);
		return;
	}
	rows_compute(&rows, a->h);
	draw_title(win, a, v);
	r = (struct rect){ a->y + rows.chart_y, a->x, rows.chart_h, a->w };
	draw_chart(ts, win, &r, view_of(v));
	r = (struct rect){ a->y + rows.table_y, a->x, rows.table_h, a->w };
	draw_table(win, &r, v);
	r = (struct rect){ a->y + rows.link_y, a->x, rows.link_h, a->w };
	draw_link(win, &r, v);
}

static void
request_repredict(const struct view *v, struct key_result *out)
{
	struct command cmd;

	out->bad = true;
	if (!configured(v)) {
		snprintf(out->message, sizeof out->message, "%s",
		    _("Inference is not configured."));
		return;
	}
	memset(&cmd, 0, sizeof cmd);
	cmd.kind = CMD_REPREDICT;
	cmd.config_gen = v->snap != NULL ? v->snap->config_generation : 0;
	if (v->cmdq == NULL || !cmdq_push(v->cmdq, &cmd)) {
		snprintf(out->message, sizeof out->message, "%s",
		    _("Command queue full, try again."));
		return;
	}
	out->bad = false;
	snprintf(out->message, sizeof out->message, "%s",
	    _("Re-predict of the latest spectrum requested"));
}

static bool
trends_key(struct screen *s, int key, const struct view *v,
    struct key_result *out)
{
	(void)s;
	if (key != 'p')
		return false;
	request_repredict(v, out);
	return true;
}

static unsigned
trends_keys(struct screen *s, const struct view *v)
{
	(void)s;
	return configured(v) ? SCREEN_KEY_REPREDICT : 0;
}

static void
trends_free(struct screen *s)
{
	struct trends_screen *ts = (struct trends_screen *)s;

	free(ts->pixels);
	free(ts);
}

struct screen *
screen_trends_new(void)
{
	struct trends_screen *ts = xcalloc(1, sizeof *ts);

	ts->base.draw = trends_draw;
	ts->base.key = trends_key;
	ts->base.keys = trends_keys;
	ts->base.free = trends_free;
	return &ts->base;
}
