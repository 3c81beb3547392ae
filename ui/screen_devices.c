/*
 * screen_devices.c: the live device table (F3), drilled into from the
 * overview (F2).
 *
 * One row per device (line, connection state, age of the last poll, last
 * error), followed by one row per point of that device (value with unit,
 * age of the sample, quality).  Rows are a flat list built from the
 * immutable model and the filter; the values come from the state snapshot
 * at every draw, so the screen never holds a stale copy of anything but
 * the selection.
 *
 * The state is the executor's as devstate.h shows it, in its colour (red
 * when the last attempt failed): "Guard" while the line waits out its
 * guard interval, and for a guard or a HardError the time left leads the
 * last column, "4:31 left: Connection refused".
 *
 * Keys (the app handles quit, help and resize first):
 *
 *	Up / k, Down / j        move the selection one row
 *	PgUp, PgDn              move by a page
 *	Home / g, End / G       first / last row
 *	r                       read the selected device (or point) now
 *	                        (F5 is the app's: the alarm list)
 *	p                       the read plan of the device (of a point's too)
 *	c                       set the device's clock (device rows, when the
 *	                        device has one)
 *	w                       write a setpoint (writable point rows)
 *	/                       type a filter; Enter applies, Esc leaves it
 *	Esc                     clear the filter
 *
 * The filter is one text, matched case-insensitively (ASCII) against the
 * line (connector) id, the device's id and name, and the points' ids and
 * names: a device is listed when it or one of its points matches, with
 * every point when the device matches, else with the points that match.
 * While a filter is typed or applied, the last line of the body says so
 * (the table head stays on the first).  The overview's Enter selects a
 * device (screen_devices_select), clearing a filter that hides it.
 *
 * p, c and w only check that the action applies to the selection and ask
 * the app for the dialog (key_result.action); the app owns dialogs and
 * pushes the command after the operator confirms.  screen->keys tells the
 * function-key bar which of these keys the selected row takes.
 *
 * The table scrolls to keep the selection visible; the columns come from
 * layout_table, so a resize only changes the numbers it is drawn with.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collect/driver.h"
#include "core/i18n.h"
#include "core/util.h"
#include "store/spool.h"
#include "ui/devstate.h"
#include "ui/draw.h"
#include "ui/pointval.h"
#include "ui/screen.h"
#include "ui/theme.h"

#define FILTER_MAX 64            /* bytes of the filter */

struct row {
	bool is_point;
	size_t index;           /* into model.devices or model.points */
};

struct devices_screen {
	struct screen base;     /* first: the vtable */
	const struct model *model;
	struct row *rows;       /* the rows the filter keeps */
	size_t nrows;
	size_t sel, top;
	int page;               /* data rows visible at the last draw */
	char filter[FILTER_MAX];
	bool editing;
	char edit[FILTER_MAX];
	bool edit_skip;         /* a character did not fit: drop its tail */
};

/* Indexed by enum quality. */
static const char *const quality_names[] = {
	N_("Good"), N_("Uncertain"), N_("Bad")
};

static const char *
quality_label(int q, enum theme_role *role)
{
	*role = q == QUALITY_GOOD ? ROLE_GOOD :
	    q == QUALITY_UNCERTAIN ? ROLE_WARN : ROLE_BAD;
	if (q < 0 || (size_t)q >= ARRAY_LEN(quality_names))
		return "?";
	return _(quality_names[q]);
}

static bool
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return true;
	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static bool
device_matches(const struct model *m, size_t d, const char *filter)
{
	const struct device *dev = &m->devices[d];

	return filter[0] == '\0' || contains_ci(dev->id, filter) ||
	    contains_ci(dev->name, filter) ||
	    (dev->connector < m->nconnectors &&
	    contains_ci(m->connectors[dev->connector].id, filter));
}

static bool
point_matches(const struct model *m, size_t p, const char *filter)
{
	return contains_ci(m->points[p].id, filter) ||
	    contains_ci(m->points[p].name, filter);
}

static void
rows_build(struct devices_screen *ds)
{
	const struct model *m = ds->model;
	size_t n = 0;

	ds->rows = xcalloc(m->ndevices + m->npoints + 1, sizeof *ds->rows);
	for (size_t d = 0; d < m->ndevices; d++) {
		bool all = device_matches(m, d, ds->filter);
		size_t at = n;

		ds->rows[n].is_point = false;
		ds->rows[n++].index = d;
		for (size_t p = 0; p < m->npoints; p++) {
			if (m->points[p].device != d ||
			    (!all && !point_matches(m, p, ds->filter)))
				continue;
			ds->rows[n].is_point = true;
			ds->rows[n++].index = p;
		}
		if (!all && n == at + 1)
			n = at;         /* neither it nor a point matches */
	}
	ds->nrows = n;
}

/* The rows again (a new filter), keeping the selected row when it stays. */
static void
rows_rebuild(struct devices_screen *ds)
{
	struct row keep = { false, 0 };
	bool had = ds->nrows > 0;

	if (had)
		keep = ds->rows[ds->sel];
	free(ds->rows);
	rows_build(ds);
	ds->sel = ds->top = 0;
	for (size_t i = 0; had && i < ds->nrows; i++)
		if (ds->rows[i].is_point == keep.is_point &&
		    ds->rows[i].index == keep.index)
			ds->sel = i;
}

/* The texts and colours of one row, cell by cell. */
struct cells {
	char text[COL_COUNT][256];
	enum theme_role role[COL_COUNT];
};

static int64_t
age_of(int64_t now_us, int64_t then_us)
{
	if (then_us <= 0)
		return -1;
	return now_us > then_us ? now_us - then_us : 0;
}

/*
 * The last error in the operator's language, from its code and detail:
 * the English text stays what the records hold (the log and `jope-smb
 * status` show it whole); the table says what it means.
 */
static void
describe_error(char *buf, size_t len, const struct device_state *st)
{
	static const char *const names[] = {
		[COLLECT_CONNECT_REFUSED] = N_("Connection refused"),
		[COLLECT_TIMEOUT] = N_("No reply in time"),
		[COLLECT_CRC] = N_("CRC error"),
		[COLLECT_MALFORMED] = N_("Malformed reply"),
		[COLLECT_IO] = N_("Connection lost"),
		[COLLECT_BAD_VALUE] = N_("Value is not a number"),
		[COLLECT_CANCELLED] = N_("Task cancelled"),
		[COLLECT_HARD_ERROR] = N_("Device in HardError"),
	};

	if (st->last_error[0] == '\0') {
		buf[0] = '\0';
		return;
	}
	if (st->last_code == COLLECT_EXCEPTION) {
		snprintf(buf, len, _("Modbus exception %02d"), st->last_detail);
		return;
	}
	if (st->last_code > 0 && (size_t)st->last_code < ARRAY_LEN(names) &&
	    names[st->last_code] != NULL) {
		snprintf(buf, len, "%s", _(names[st->last_code]));
		return;
	}
	snprintf(buf, len, "%s", st->last_error);
}

static void
cells_device(struct cells *c, const struct view *v, size_t d)
{
	const struct device *dev = &v->model->devices[d];
	const struct device_state *st = NULL;
	const char *line = "";
	struct devstate ds;
	char error[256], left[32];

	if (v->snap != NULL && d < v->snap->ndevices)
		st = &v->snap->devices[d];
	if (dev->connector < v->model->nconnectors)
		line = v->model->connectors[dev->connector].id;
	if (dev->name[0] != '\0' && strcmp(dev->name, dev->id) != 0)
		snprintf(c->text[COL_NAME], sizeof c->text[0], "%s %s",
		    dev->id, dev->name);
	else
		snprintf(c->text[COL_NAME], sizeof c->text[0], "%s", dev->id);
	snprintf(c->text[COL_LINE], sizeof c->text[0], "%s", line);
	if (st == NULL) {
		format_age(c->text[COL_AGE], sizeof c->text[0], -1);
		return;
	}
	devstate_get(v->snap, d, v->now_us, &ds);
	snprintf(c->text[COL_STATE], sizeof c->text[0], "%s",
	    devstate_name(ds.shown));
	c->role[COL_STATE] = ds.role;
	format_age(c->text[COL_AGE], sizeof c->text[0],
	    age_of(v->now_us, st->last_poll_us));
	snprintf(c->text[COL_POLLS], sizeof c->text[0], "%llu/%llu",
	    (unsigned long long)st->polls, (unsigned long long)st->errors);
	describe_error(error, sizeof error, st);
	devstate_format_left(&ds, left, sizeof left);
	if (left[0] != '\0' && error[0] != '\0')
		/* TRANSLATORS: guard or HardError time left, last error. */
		snprintf(c->text[COL_INFO], sizeof c->text[0], _("%s left: %s"),
		    left, error);
	else if (left[0] != '\0')
		/* TRANSLATORS: guard or HardError time left. */
		snprintf(c->text[COL_INFO], sizeof c->text[0], _("%s left"),
		    left);
	else
		snprintf(c->text[COL_INFO], sizeof c->text[0], "%s", error);
	c->role[COL_INFO] = error[0] != '\0' ? ROLE_BAD : ROLE_WARN;
	if (st->errors > 0)
		c->role[COL_POLLS] = ROLE_WARN;
}

static void
cells_point(struct cells *c, const struct view *v, size_t p)
{
	const struct point *pt = &v->model->points[p];
	const struct point_state *ps = NULL;

	if (v->snap != NULL && p < v->snap->npoints)
		ps = &v->snap->points[p];
	if (pt->name[0] != '\0' && strcmp(pt->name, pt->id) != 0)
		snprintf(c->text[COL_NAME], sizeof c->text[0], "  %s %s",
		    pt->id, pt->name);
	else
		snprintf(c->text[COL_NAME], sizeof c->text[0], "  %s", pt->id);
	c->role[COL_NAME] = ROLE_POINT;
	if (ps == NULL || !ps->has_value) {
		format_age(c->text[COL_VALUE], sizeof c->text[0], -1);
		format_age(c->text[COL_AGE], sizeof c->text[0], -1);
		c->role[COL_VALUE] = ROLE_DIM;
		return;
	}
	pointval_format(c->text[COL_VALUE], sizeof c->text[0], pt, ps->value);
	format_age(c->text[COL_AGE], sizeof c->text[0],
	    age_of(v->now_us, ps->ts_us));
	snprintf(c->text[COL_INFO], sizeof c->text[0], "%s",
	    quality_label(ps->quality, &c->role[COL_INFO]));
}

static enum text_align
col_align(enum table_col id)
{
	return id == COL_VALUE || id == COL_AGE || id == COL_POLLS ?
	    ALIGN_RIGHT : ALIGN_LEFT;
}

/*
 * One table line: cells padded by a space each side, separators between.
 * With span set, the value cell (empty on a device row) and the info cell
 * after it become one, so a device's last error gets both widths.
 */
static void
draw_cells(WINDOW *win, int y, int x0, const struct table_layout *t,
    const struct cells *c, attr_t base, bool uniform, bool span)
{
	for (int i = 0; i < t->ncols; i++) {
		enum table_col id = t->col[i].id;
		int x = x0 + t->col[i].x, w = t->col[i].w;
		attr_t attr = base;

		if (span && id == COL_VALUE && i + 1 < t->ncols &&
		    t->col[i + 1].id == COL_INFO) {
			id = COL_INFO;
			w += 1 + t->col[++i].w;
		}
		if (!uniform && c->role[id] != ROLE_NORMAL)
			attr = theme_attr(c->role[id]);
		draw_text(win, y, x, w, base, ALIGN_LEFT, "");
		draw_text_cut(win, y, x + 1, w - 2, attr, col_align(id),
		    c->text[id]);
		if (i + 1 < t->ncols)
			draw_text(win, y, x + w, 1, base, ALIGN_LEFT,
			    theme_vline());
	}
}

static void
draw_head(WINDOW *win, const struct rect *a, const struct table_layout *t,
    const struct devices_screen *ds)
{
	struct cells c;

	memset(&c, 0, sizeof c);
	snprintf(c.text[COL_NAME], sizeof c.text[0], "%s %zu/%zu",
	    _("Device / point"), ds->sel + 1, ds->nrows);
	/* The position only when the table scrolls and it fits whole. */
	if (ds->nrows <= (size_t)ds->page ||
	    text_width(c.text[COL_NAME]) > t->col[0].w - 2)
		snprintf(c.text[COL_NAME], sizeof c.text[0], "%s",
		    _("Device / point"));
	snprintf(c.text[COL_LINE], sizeof c.text[0], "%s", _("Line"));
	snprintf(c.text[COL_STATE], sizeof c.text[0], "%s", _("State"));
	snprintf(c.text[COL_VALUE], sizeof c.text[0], "%s", _("Value"));
	snprintf(c.text[COL_AGE], sizeof c.text[0], "%s", _("Age"));
	snprintf(c.text[COL_POLLS], sizeof c.text[0], "%s",
	    _("Polls/errors"));
	snprintf(c.text[COL_INFO], sizeof c.text[0], "%s",
	    _("Last error / quality"));
	draw_text(win, a->y, a->x, a->w, theme_attr(ROLE_TABLE_HEAD),
	    ALIGN_LEFT, "");
	draw_cells(win, a->y, a->x, t, &c, theme_attr(ROLE_TABLE_HEAD), true,
	    false);
}

static void
scroll_to_selection(struct devices_screen *ds)
{
	size_t page = ds->page > 0 ? (size_t)ds->page : 1;

	if (ds->nrows == 0) {
		ds->sel = ds->top = 0;
		return;
	}
	if (ds->sel >= ds->nrows)
		ds->sel = ds->nrows - 1;
	if (ds->sel < ds->top)
		ds->top = ds->sel;
	if (ds->sel >= ds->top + page)
		ds->top = ds->sel - page + 1;
	if (ds->nrows <= page)
		ds->top = 0;
	else if (ds->top > ds->nrows - page)
		ds->top = ds->nrows - page;
}

/*
 * A reloaded configuration arrives as a snapshot of another model: rebuild
 * the rows for it and keep the selection in range.
 */
static void
sync_model(struct devices_screen *ds, const struct model *m)
{
	if (m == NULL || m == ds->model)
		return;
	free(ds->rows);
	ds->model = m;
	rows_build(ds);
	scroll_to_selection(ds);
}

/* The last line of the body while a filter is typed or applied. */
static void
draw_filter(const struct devices_screen *ds, WINDOW *win,
    const struct rect *a)
{
	const struct model *m = ds->model;
	char text[512];
	size_t n = 0;

	for (size_t i = 0; i < ds->nrows; i++)
		if (!ds->rows[i].is_point)
			n++;
	if (ds->editing)
		snprintf(text, sizeof text, _("Filter: %s_"), ds->edit);
	else
		/* TRANSLATORS: filter, devices shown, all devices. */
		snprintf(text, sizeof text, ngettext("Filter: %s — %zu of %zu "
		    "device (Esc clears)", "Filter: %s — %zu of %zu devices "
		    "(Esc clears)", (unsigned long)m->ndevices), ds->filter, n,
		    m->ndevices);
	draw_text(win, a->y + a->h - 1, a->x, a->w, theme_attr(ROLE_NORMAL),
	    ALIGN_LEFT, "");
	draw_text_cut(win, a->y + a->h - 1, a->x + 1, a->w - 1,
	    theme_attr(ds->editing ? ROLE_FIELD : ROLE_WARN), ALIGN_LEFT, text);
}

static void
devices_draw(struct screen *s, WINDOW *win, const struct view *v)
{
	struct devices_screen *ds = (struct devices_screen *)s;
	const struct rect *a = &v->area;
	struct table_layout t;
	struct cells c;
	bool filtering;

	sync_model(ds, v->model);

	if (a->h <= 0 || a->w <= 0)
		return;
	filtering = (ds->editing || ds->filter[0] != '\0') && a->h > 2;
	layout_table(&t, a->w);
	ds->page = a->h - 1 - (filtering ? 1 : 0);
	scroll_to_selection(ds);
	draw_head(win, a, &t, ds);
	if (filtering)
		draw_filter(ds, win, a);
	if (ds->nrows == 0) {
		if (a->h > 3)
			draw_text(win, a->y + 2, a->x, a->w,
			    theme_attr(ROLE_DIM), ALIGN_CENTER,
			    ds->filter[0] != '\0' ?
			    _("No device or point matches the filter.") :
			    _("No devices configured."));
		return;
	}
	for (int i = 0; i < ds->page; i++) {
		size_t r = ds->top + (size_t)i;
		bool sel = r == ds->sel;

		if (r >= ds->nrows)
			break;
		memset(&c, 0, sizeof c);
		if (ds->rows[r].is_point)
			cells_point(&c, v, ds->rows[r].index);
		else
			cells_device(&c, v, ds->rows[r].index);
		draw_cells(win, a->y + 1 + i, a->x, &t, &c,
		    theme_attr(sel ? ROLE_SELECTED : ROLE_NORMAL), sel,
		    !ds->rows[r].is_point && c.text[COL_INFO][0] != '\0');
	}
}

static void
request_read(struct devices_screen *ds, const struct view *v,
    struct key_result *out)
{
	const struct row *r;
	struct command cmd;
	const char *what;

	if (ds->nrows == 0)
		return;
	r = &ds->rows[ds->sel];
	memset(&cmd, 0, sizeof cmd);
	if (r->is_point) {
		cmd.kind = CMD_READ_POINT_NOW;
		cmd.point = r->index;
		cmd.device = v->model->points[r->index].device;
		what = v->model->points[r->index].id;
	} else {
		cmd.kind = CMD_READ_DEVICE_NOW;
		cmd.device = r->index;
		what = v->model->devices[r->index].id;
	}
	if (v->cmdq == NULL || !cmdq_push(v->cmdq, &cmd)) {
		snprintf(out->message, sizeof out->message, "%s",
		    _("Command queue full, try again."));
		out->bad = true;
		return;
	}
	snprintf(out->message, sizeof out->message, _("Read requested: %s"),
	    what);
}

/* The selected row, or NULL when the table is empty. */
static const struct row *
selected(const struct devices_screen *ds)
{
	return ds->nrows > 0 ? &ds->rows[ds->sel] : NULL;
}

static size_t
row_device(const struct view *v, const struct row *r)
{
	return r->is_point ? v->model->points[r->index].device : r->index;
}

static void
request_plan(struct devices_screen *ds, const struct view *v,
    struct key_result *out)
{
	const struct row *r = selected(ds);

	if (r == NULL)
		return;
	out->action = ACTION_PLAN;
	out->device = row_device(v, r);
}

static void
request_clock(struct devices_screen *ds, const struct view *v,
    struct key_result *out)
{
	const struct row *r = selected(ds);
	const struct device *dev;

	if (r == NULL)
		return;
	dev = &v->model->devices[row_device(v, r)];
	out->bad = true;
	if (r->is_point)
		snprintf(out->message, sizeof out->message, "%s",
		    _("Select a device row to set its clock."));
	else if (dev->clock_address < 0)
		snprintf(out->message, sizeof out->message,
		    _("%s has no clock configured"), dev->id);
	else {
		out->bad = false;
		out->action = ACTION_CLOCK;
		out->device = r->index;
	}
}

static void
request_write(struct devices_screen *ds, const struct view *v,
    struct key_result *out)
{
	const struct row *r = selected(ds);

	if (r == NULL)
		return;
	out->bad = true;
	if (!r->is_point)
		snprintf(out->message, sizeof out->message, "%s",
		    _("Select a writable point to write a setpoint."));
	else if (!v->model->points[r->index].writable)
		snprintf(out->message, sizeof out->message,
		    _("%s is not writable"), v->model->points[r->index].id);
	else {
		out->bad = false;
		out->action = ACTION_WRITE;
		out->point = r->index;
		out->device = row_device(v, r);
	}
}

static void
move_by(struct devices_screen *ds, long delta)
{
	long sel = (long)ds->sel + delta;

	if (ds->nrows == 0)
		return;
	if (sel < 0)
		sel = 0;
	if (sel >= (long)ds->nrows)
		sel = (long)ds->nrows - 1;
	ds->sel = (size_t)sel;
	scroll_to_selection(ds);
}

/* Take a byte of the filter being typed (UTF-8 arrives a byte at a time). */
static void
edit_byte(struct devices_screen *ds, int key)
{
	size_t n = strlen(ds->edit), need = 1;

	if (key >= 0x80 && key < 0xc0) {        /* continuation */
		if (ds->edit_skip || n + 1 >= sizeof ds->edit)
			return;
	} else {
		ds->edit_skip = false;
		if (key >= 0xf0)
			need = 4;
		else if (key >= 0xe0)
			need = 3;
		else if (key >= 0xc0)
			need = 2;
		if (n + need >= sizeof ds->edit) {
			ds->edit_skip = true;   /* the whole character, not half */
			return;
		}
	}
	ds->edit[n] = (char)key;
	ds->edit[n + 1] = '\0';
}

/* The filter as applied: without blanks at either end. */
static void
filter_set(struct devices_screen *ds, const char *text)
{
	size_t n;

	while (*text == ' ')
		text++;
	str_copy(ds->filter, text, sizeof ds->filter);
	n = strlen(ds->filter);
	while (n > 0 && ds->filter[n - 1] == ' ')
		ds->filter[--n] = '\0';
	rows_rebuild(ds);
	scroll_to_selection(ds);
}

static bool
edit_key(struct devices_screen *ds, int key)
{
	switch (key) {
	case 27:
		ds->editing = false;
		return true;
	case '\n':
	case '\r':
	case KEY_ENTER:
		ds->editing = false;
		filter_set(ds, ds->edit);
		return true;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		utf8_erase_last(ds->edit);
		ds->edit_skip = false;
		return true;
	case 21:                /* Ctrl-U */
		ds->edit[0] = '\0';
		ds->edit_skip = false;
		return true;
	default:
		if (key >= 0x20 && key <= 0xff && key != 127)
			edit_byte(ds, key);
		return true;
	}
}

static bool
devices_key(struct screen *s, int key, const struct view *v,
    struct key_result *out)
{
	struct devices_screen *ds = (struct devices_screen *)s;
	long page;

	sync_model(ds, v->model);
	if (ds->editing)
		return edit_key(ds, key);
	page = ds->page > 1 ? ds->page - 1 : 1;

	switch (key) {
	case '/':
		ds->editing = true;
		ds->edit_skip = false;
		str_copy(ds->edit, ds->filter, sizeof ds->edit);
		return true;
	case 27:
		if (ds->filter[0] == '\0')
			return false;
		filter_set(ds, "");
		return true;
	case KEY_UP:
	case 'k':
		move_by(ds, -1);
		return true;
	case KEY_DOWN:
	case 'j':
		move_by(ds, 1);
		return true;
	case KEY_PPAGE:
		move_by(ds, -page);
		return true;
	case KEY_NPAGE:
	case ' ':
		move_by(ds, page);
		return true;
	case KEY_HOME:
	case 'g':
		move_by(ds, -(long)ds->nrows);
		return true;
	case KEY_END:
	case 'G':
		move_by(ds, (long)ds->nrows);
		return true;
	case 'r':
		request_read(ds, v, out);
		return true;
	case 'p':
		request_plan(ds, v, out);
		return true;
	case 'c':
		request_clock(ds, v, out);
		return true;
	case 'w':
		request_write(ds, v, out);
		return true;
	default:
		return false;
	}
}

static unsigned
devices_keys(struct screen *s, const struct view *v)
{
	struct devices_screen *ds = (struct devices_screen *)s;
	const struct row *r;
	unsigned keys = SCREEN_KEY_READ | SCREEN_KEY_PLAN | SCREEN_KEY_FILTER;
	unsigned clear = ds->filter[0] != '\0' ? SCREEN_KEY_CLEAR : 0;

	sync_model(ds, v->model);
	if ((r = selected(ds)) == NULL)
		return SCREEN_KEY_FILTER | clear;
	keys |= clear;
	if (r->is_point && v->model->points[r->index].writable)
		keys |= SCREEN_KEY_WRITE;
	if (!r->is_point && v->model->devices[r->index].clock_address >= 0)
		keys |= SCREEN_KEY_CLOCK;
	return keys;
}

static bool
devices_grabs_keys(struct screen *s)
{
	return ((struct devices_screen *)s)->editing;
}

void
screen_devices_select(struct screen *s, const struct model *m, size_t d)
{
	struct devices_screen *ds = (struct devices_screen *)s;

	sync_model(ds, m);
	if (m == NULL || d >= m->ndevices)
		return;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ds->nrows; i++) {
			if (ds->rows[i].is_point || ds->rows[i].index != d)
				continue;
			ds->sel = i;
			/* At the top of the table, its points below it. */
			ds->top = i;
			scroll_to_selection(ds);
			return;
		}
		filter_set(ds, "");     /* the filter hid it */
	}
}

static void
devices_free(struct screen *s)
{
	struct devices_screen *ds = (struct devices_screen *)s;

	free(ds->rows);
	free(ds);
}

struct screen *
screen_devices_new(const struct model *m)
{
	struct devices_screen *ds = xcalloc(1, sizeof *ds);

	ds->base.draw = devices_draw;
	ds->base.key = devices_key;
	ds->base.keys = devices_keys;
	ds->base.grabs_keys = devices_grabs_keys;
	ds->base.free = devices_free;
	ds->model = m;
	ds->page = 1;
	rows_build(ds);
	return &ds->base;
}
