/*
 * screen_devices.c: the live device tree (F3), drilled into from the
 * overview (F2).
 *
 * Three levels, each indented under its parent:
 *
 *	▾ line      one row per connector: its id, kind and address ("TCP
 *	            127.0.0.1:502", "RTU /dev/ttyUSB0"), the line's state,
 *	            the age of its newest poll, and how many of its devices
 *	            are connected and in error
 *	  ▾ device  connection state, age of the last poll, last error
 *	      point value with unit, age of the sample, quality
 *
 * A line's state is the busiest of its devices' (connected, connecting,
 * guard, waiting, idle; HardError when all of them are), in red while a
 * device of it is in error (as the overview counts them), and its last
 * column counts them, "1/2 connected, 1 in error".  While the line waits
 * out its guard interval (rule 5), when none of them is connected, that
 * column has the time left instead, from the snapshot's guard_until_us of
 * its devices: "12 s left: 2 in error".  A device's state is the
 * executor's as devstate.h shows it, in its colour (red when the last
 * attempt failed), and for a guard or a HardError the time left leads the
 * last column, "4:31 left: Connection refused".  A device's last error,
 * and a line's text when it is longer than the column, take the empty
 * value column's width too.  ▾ marks an expanded line or device, ▸ a
 * collapsed one (- and + when the locale is not UTF-8).
 *
 * Rows are a flat list built from the immutable model, the filter and
 * what is collapsed; the values come from the state snapshot at every
 * draw, so the screen never holds a stale copy of anything but the
 * selection.  What is collapsed is kept by id, so a reloaded configuration
 * keeps it for the lines and devices it still has.
 *
 * Keys (the app handles quit, help and resize first):
 *
 *	Up / k, Down / j        move the selection one row
 *	PgUp, PgDn              move by a page
 *	Home / g, End / G       first / last row
 *	Left, -                 collapse the selected line or device; on a
 *	                        point or a collapsed device: go to its parent
 *	Right, +                expand it; when it is expanded: go to its
 *	                        first row
 *	Enter                   collapse or expand the selected line or device
 *	r                       read the selected device (or point) now
 *	                        (F5 is the app's: the alarm list)
 *	p                       the read plan of the device (of a point's too)
 *	c                       set the clock of the device (of a point's too),
 *	                        when it has one
 *	w                       write a setpoint (writable point rows)
 *	/                       type a filter; Enter applies, Esc leaves it
 *	Esc                     clear the filter
 *
 * On a line row r, p and c do nothing but say which devices of the line
 * to select for them.
 *
 * The filter is one text, matched case-insensitively (ASCII) against the
 * line's id and address ("host:port" or the serial device), the device's
 * id and name, and the points' ids and names: a line is listed when it,
 * one of its devices or one of their points matches, with everything
 * under it when it matches; a device likewise, with every point when it
 * matches, else with the points that match.  So a match always shows its
 * parents, and applying a filter expands the lines and devices that hold
 * a match.  While a filter is typed or applied, the last line of the body
 * says so (the table head stays on the first).  The overview's Enter
 * selects a device (screen_devices_select), expanding its line and
 * clearing a filter that hides it.
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

#include "collect/driver.h"
#include "core/i18n.h"
#include "core/util.h"
#include "store/spool.h"
#include "ui/devstate.h"
#include "ui/draw.h"
#include "ui/field.h"
#include "ui/pointval.h"
#include "ui/screen.h"
#include "ui/text.h"
#include "ui/theme.h"

#define FILTER_MAX 64            /* bytes of the filter */

enum row_kind { ROW_LINE, ROW_DEVICE, ROW_POINT };

struct row {
	enum row_kind kind;
	size_t index;           /* into model.connectors, .devices or .points */
};

/* Ids of the collapsed lines or devices (a few, looked up linearly). */
struct idset {
	char (*id)[MODEL_ID_MAX];
	size_t n, cap;
};

struct devices_screen {
	struct screen base;     /* first: the vtable */
	const struct model *model;
	struct row *rows;       /* the rows the filter and the tree keep */
	size_t nrows;
	size_t ndevices_kept;   /* devices the filter keeps, shown or not */
	size_t sel, top;
	int page;               /* data rows visible at the last draw */
	char filter[FILTER_MAX];
	bool editing;
	char edit[FILTER_MAX];
	bool edit_skip;         /* a character did not fit: drop its tail */
	struct idset closed_lines, closed_devices;
};

/* Indexed by enum quality. */
static const char *const quality_names[] = {
	N_("Good"), N_("Uncertain"), N_("Bad")
};

/* Indexed by enum connector_kind: protocol names, as the config says. */
static const char *const kind_names[] = {
	N_("TCP"), N_("RTU")
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
idset_has(const struct idset *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->id[i], id) == 0)
			return true;
	return false;
}

static void
idset_put(struct idset *s, const char *id, bool on)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->id[i], id) != 0)
			continue;
		if (!on)
			memmove(s->id[i], s->id[i + 1],
			    (s->n - i - 1) * sizeof s->id[0]);
		s->n -= on ? 0 : 1;
		return;
	}
	if (!on)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap > 0 ? s->cap * 2 : 8;
		s->id = xrealloc(s->id, s->cap * sizeof s->id[0]);
	}
	str_copy(s->id[s->n++], id, sizeof s->id[0]);
}

/* A line's address: "127.0.0.1:502", "[::1]:502", "/dev/ttyUSB0". */
static void
line_address(char *buf, size_t len, const struct connector *c)
{
	if (c->kind == CONNECTOR_TCP)
		snprintf(buf, len, strchr(c->host, ':') != NULL ? "[%s]:%d" :
		    "%s:%d", c->host, c->port);
	else
		snprintf(buf, len, "%s", c->serial);
}

static bool
line_matches(const struct model *m, size_t k, const char *filter)
{
	char address[MODEL_NAME_MAX + 16];

	line_address(address, sizeof address, &m->connectors[k]);
	return text_contains_ci(m->connectors[k].id, filter) ||
	    text_contains_ci(address, filter);
}

static bool
device_matches(const struct model *m, size_t d, const char *filter)
{
	return text_contains_ci(m->devices[d].id, filter) ||
	    text_contains_ci(m->devices[d].name, filter);
}

static bool
point_matches(const struct model *m, size_t p, const char *filter)
{
	return text_contains_ci(m->points[p].id, filter) ||
	    text_contains_ci(m->points[p].name, filter);
}

/* The line of device d, or nconnectors when it has none. */
static size_t
line_of(const struct model *m, size_t d)
{
	size_t k = m->devices[d].connector;

	return k < m->nconnectors ? k : m->nconnectors;
}

static bool
line_open(const struct devices_screen *ds, size_t k)
{
	return k >= ds->model->nconnectors ||
	    !idset_has(&ds->closed_lines, ds->model->connectors[k].id);
}

static bool
device_open(const struct devices_screen *ds, size_t d)
{
	return !idset_has(&ds->closed_devices, ds->model->devices[d].id);
}

/*
 * Indices grouped by parent (a counting sort): the devices of line k are
 * dev[dstart[k] .. dstart[k + 1]), those without a line under k =
 * nconnectors; the points of device d are pt[pstart[d] .. pstart[d + 1]).
 */
struct tree {
	size_t *dstart, *dev, *pstart, *pt;
};

static void
tree_build(struct tree *t, const struct model *m)
{
	size_t nl = m->nconnectors + 1, *fill;

	t->dstart = xcalloc(nl + 1, sizeof *t->dstart);
	t->dev = xcalloc(m->ndevices + 1, sizeof *t->dev);
	t->pstart = xcalloc(m->ndevices + 1, sizeof *t->pstart);
	t->pt = xcalloc(m->npoints + 1, sizeof *t->pt);
	fill = xcalloc(nl + m->ndevices + 1, sizeof *fill);
	for (size_t d = 0; d < m->ndevices; d++)
		t->dstart[line_of(m, d) + 1]++;
	for (size_t p = 0; p < m->npoints; p++)
		if (m->points[p].device < m->ndevices)
			t->pstart[m->points[p].device + 1]++;
	for (size_t k = 0; k < nl; k++)
		t->dstart[k + 1] += t->dstart[k];
	for (size_t d = 0; d < m->ndevices; d++)
		t->pstart[d + 1] += t->pstart[d];
	for (size_t d = 0; d < m->ndevices; d++) {
		size_t k = line_of(m, d);

		t->dev[t->dstart[k] + fill[k]++] = d;
	}
	for (size_t p = 0; p < m->npoints; p++) {
		size_t d = m->points[p].device;

		if (d < m->ndevices)
			t->pt[t->pstart[d] + fill[nl + d]++] = p;
	}
	free(fill);
}

static void
tree_free(struct tree *t)
{
	free(t->dstart);
	free(t->dev);
	free(t->pstart);
	free(t->pt);
}

static void
row_add(struct devices_screen *ds, size_t *n, enum row_kind kind,
    size_t index)
{
	ds->rows[*n].kind = kind;
	ds->rows[(*n)++].index = index;
}

/*
 * The rows of device d at *n: its own when shown (its line is expanded),
 * and the kept points when it is expanded too; all: every point is kept.
 * False when neither it nor a point of it is kept.
 */
static bool
rows_device(struct devices_screen *ds, const struct tree *t, size_t d,
    bool all, bool shown, size_t *n)
{
	const struct model *m = ds->model;
	bool kept, open;

	all = all || device_matches(m, d, ds->filter);
	kept = all;
	open = shown && device_open(ds, d);
	if (shown)
		row_add(ds, n, ROW_DEVICE, d);
	for (size_t i = t->pstart[d]; i < t->pstart[d + 1]; i++) {
		size_t p = t->pt[i];

		if (!all && !point_matches(m, p, ds->filter))
			continue;
		kept = true;
		if (open)
			row_add(ds, n, ROW_POINT, p);
	}
	return kept;
}

static void
rows_build(struct devices_screen *ds)
{
	const struct model *m = ds->model;
	struct tree t;
	size_t n = 0;

	ds->rows = xcalloc(m->nconnectors + m->ndevices + m->npoints + 1,
	    sizeof *ds->rows);
	ds->ndevices_kept = 0;
	tree_build(&t, m);
	for (size_t k = 0; k <= m->nconnectors; k++) {
		bool lonely = k == m->nconnectors;      /* lineless devices */
		bool all = ds->filter[0] == '\0' ||
		    (!lonely && line_matches(m, k, ds->filter));
		bool open = line_open(ds, k), kept = all;
		size_t at = n;

		if (!lonely)
			row_add(ds, &n, ROW_LINE, k);
		for (size_t i = t.dstart[k]; i < t.dstart[k + 1]; i++) {
			size_t dat = n;

			if (!rows_device(ds, &t, t.dev[i], all, open, &n)) {
				n = dat;        /* neither it nor a point matches */
				continue;
			}
			kept = true;
			ds->ndevices_kept++;
		}
		if (!kept)
			n = at;
	}
	tree_free(&t);
	ds->nrows = n;
}

/*
 * The rows again (a new filter, a line or device collapsed or expanded),
 * keeping the selected row when it stays; at_top: the table starts at the
 * top again.
 */
static void
rows_rebuild(struct devices_screen *ds, bool at_top)
{
	struct row keep = { ROW_LINE, 0 };
	bool had = ds->nrows > 0;

	if (had)
		keep = ds->rows[ds->sel];
	free(ds->rows);
	rows_build(ds);
	ds->sel = 0;
	if (at_top)
		ds->top = 0;
	for (size_t i = 0; had && i < ds->nrows; i++)
		if (ds->rows[i].kind == keep.kind &&
		    ds->rows[i].index == keep.index)
			ds->sel = i;
}

/* Expand the line of device d, and d itself when device_too. */
static void
open_path(struct devices_screen *ds, size_t d, bool device_too)
{
	const struct model *m = ds->model;
	size_t k = line_of(m, d);

	if (device_too)
		idset_put(&ds->closed_devices, m->devices[d].id, false);
	if (k < m->nconnectors)
		idset_put(&ds->closed_lines, m->connectors[k].id, false);
}

/* A filter shows its matches: expand the lines and devices holding one. */
static void
open_matches(struct devices_screen *ds)
{
	const struct model *m = ds->model;

	if (ds->filter[0] == '\0')
		return;
	for (size_t d = 0; d < m->ndevices; d++)
		if (device_matches(m, d, ds->filter))
			open_path(ds, d, false);
	for (size_t p = 0; p < m->npoints; p++)
		if (m->points[p].device < m->ndevices &&
		    point_matches(m, p, ds->filter))
			open_path(ds, m->points[p].device, true);
}

/* The texts and colours of one row, cell by cell. */
struct cells {
	char text[COL_COUNT][256];
	enum theme_role role[COL_COUNT];
	bool strong;            /* the name in bold: a line */
};

static int64_t
age_of(int64_t now_us, int64_t then_us)
{
	if (then_us <= 0)
		return -1;
	return now_us > then_us ? now_us - then_us : 0;
}

/* The marker of a line or device: expanded or collapsed. */
static const char *
marker(bool open)
{
	if (text_utf8())
		return open ? "\xe2\x96\xbe" : "\xe2\x96\xb8";  /* ▾ ▸ */
	return open ? "-" : "+";
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

/* What the devices of one line add up to. */
struct line_sum {
	size_t total, connected, bad;
	size_t shown[DEV_SHOWN_COUNT];
	int64_t guard_left_us;  /* -1: the line is not in guard */
	int64_t last_poll_us;
	uint64_t polls, errors;
};

static void
line_sum(struct line_sum *s, const struct view *v, size_t k)
{
	const struct model *m = v->model;

	memset(s, 0, sizeof *s);
	s->guard_left_us = -1;
	for (size_t d = 0; d < m->ndevices; d++) {
		const struct device_state *st;
		struct devstate ds;

		if (m->devices[d].connector != k)
			continue;
		s->total++;
		devstate_get(v->snap, d, v->now_us, &ds);
		s->shown[ds.shown]++;
		/* As the overview counts them. */
		if (ds.shown == DEV_CONNECTED && !ds.failed)
			s->connected++;
		if (ds.role == ROLE_BAD)
			s->bad++;
		if (ds.shown == DEV_GUARD && ds.left_us > s->guard_left_us)
			s->guard_left_us = ds.left_us;
		if (v->snap == NULL || d >= v->snap->ndevices)
			continue;
		st = &v->snap->devices[d];
		if (st->last_poll_us > s->last_poll_us)
			s->last_poll_us = st->last_poll_us;
		s->polls += st->polls;
		s->errors += st->errors;
	}
}

/*
 * The state of a line: the busiest of its devices', HardError only when
 * every one of them is in it.
 */
static enum dev_shown
line_state(const struct line_sum *s)
{
	static const enum dev_shown busiest[] = {
		DEV_CONNECTED, DEV_CONNECTING, DEV_GUARD, DEV_WAITING,
		DEV_IDLE, DEV_HARD_ERROR
	};

	if (s->total > 0 && s->shown[DEV_HARD_ERROR] == s->total)
		return DEV_HARD_ERROR;
	for (size_t i = 0; i < ARRAY_LEN(busiest); i++)
		if (s->shown[busiest[i]] > 0)
			return busiest[i];
	return DEV_UNKNOWN;
}

static enum theme_role
state_role(enum dev_shown shown)
{
	switch (shown) {
	case DEV_CONNECTED:
		return ROLE_GOOD;
	case DEV_CONNECTING:
	case DEV_WAITING:
	case DEV_GUARD:
		return ROLE_WARN;
	case DEV_HARD_ERROR:
		return ROLE_BAD;
	default:
		return ROLE_DIM;
	}
}

static void
cells_line(struct cells *c, const struct view *v, size_t k,
    const char *prefix)
{
	const struct connector *con = &v->model->connectors[k];
	struct line_sum s;
	struct devstate guard;
	enum dev_shown shown;
	char address[MODEL_NAME_MAX + 16], counts[128], left[32];

	line_address(address, sizeof address, con);
	snprintf(c->text[COL_NAME], sizeof c->text[0], "%s%s %s %s", prefix,
	    con->id, (size_t)con->kind < ARRAY_LEN(kind_names) ?
	    _(kind_names[con->kind]) : "?", address);
	c->strong = true;
	line_sum(&s, v, k);
	if (s.total == 0)
		return;
	shown = line_state(&s);
	snprintf(c->text[COL_STATE], sizeof c->text[0], "%s",
	    devstate_name(shown));
	c->role[COL_STATE] = s.bad > 0 ? ROLE_BAD : state_role(shown);
	format_age(c->text[COL_AGE], sizeof c->text[0],
	    age_of(v->now_us, s.last_poll_us));
	snprintf(c->text[COL_POLLS], sizeof c->text[0], "%llu/%llu",
	    (unsigned long long)s.polls, (unsigned long long)s.errors);
	if (s.errors > 0)
		c->role[COL_POLLS] = ROLE_WARN;
	if (s.bad > 0)
		/* TRANSLATORS: a line's devices: connected, all, in error. */
		snprintf(counts, sizeof counts, ngettext("%zu/%zu connected, "
		    "%zu in error", "%zu/%zu connected, %zu in error",
		    (unsigned long)s.total), s.connected, s.total, s.bad);
	else
		/* TRANSLATORS: a line's devices: connected, all. */
		snprintf(counts, sizeof counts, ngettext("%zu/%zu connected",
		    "%zu/%zu connected", (unsigned long)s.total), s.connected,
		    s.total);
	memset(&guard, 0, sizeof guard);
	guard.left_us = s.guard_left_us;
	devstate_format_left(&guard, left, sizeof left);
	/* In guard none is connected: the time left, and what failed. */
	if (left[0] != '\0' && s.bad > 0)
		/* TRANSLATORS: a line's guard time left, its devices in
		   error. */
		snprintf(c->text[COL_INFO], sizeof c->text[0], ngettext(
		    "%s left: %zu in error", "%s left: %zu in error",
		    (unsigned long)s.bad), left, s.bad);
	else if (left[0] != '\0')
		/* TRANSLATORS: guard or HardError time left. */
		snprintf(c->text[COL_INFO], sizeof c->text[0], _("%s left"),
		    left);
	else
		snprintf(c->text[COL_INFO], sizeof c->text[0], "%s", counts);
	c->role[COL_INFO] = s.bad > 0 ? ROLE_BAD : left[0] != '\0' ?
	    ROLE_WARN : ROLE_NORMAL;
}

static void
cells_device(struct cells *c, const struct view *v, size_t d,
    const char *prefix)
{
	const struct device *dev = &v->model->devices[d];
	const struct device_state *st = NULL;
	struct devstate ds;
	char error[256], left[32];

	if (v->snap != NULL && d < v->snap->ndevices)
		st = &v->snap->devices[d];
	if (dev->name[0] != '\0' && strcmp(dev->name, dev->id) != 0)
		snprintf(c->text[COL_NAME], sizeof c->text[0], "%s%s %s",
		    prefix, dev->id, dev->name);
	else
		snprintf(c->text[COL_NAME], sizeof c->text[0], "%s%s", prefix,
		    dev->id);
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
cells_point(struct cells *c, const struct view *v, size_t p,
    const char *prefix)
{
	const struct point *pt = &v->model->points[p];
	const struct point_state *ps = NULL;

	if (v->snap != NULL && p < v->snap->npoints)
		ps = &v->snap->points[p];
	if (pt->name[0] != '\0' && strcmp(pt->name, pt->id) != 0)
		snprintf(c->text[COL_NAME], sizeof c->text[0], "%s%s %s",
		    prefix, pt->id, pt->name);
	else
		snprintf(c->text[COL_NAME], sizeof c->text[0], "%s%s", prefix,
		    pt->id);
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

/* The cells of row r: indented by its level, a marker where it folds. */
static void
cells_row(struct cells *c, const struct view *v,
    const struct devices_screen *ds, const struct row *r)
{
	char prefix[16];

	memset(c, 0, sizeof *c);
	switch (r->kind) {
	case ROW_LINE:
		snprintf(prefix, sizeof prefix, "%s ",
		    marker(line_open(ds, r->index)));
		cells_line(c, v, r->index, prefix);
		break;
	case ROW_DEVICE:
		snprintf(prefix, sizeof prefix, "  %s ",
		    marker(device_open(ds, r->index)));
		cells_device(c, v, r->index, prefix);
		break;
	case ROW_POINT:
		cells_point(c, v, r->index, "      ");
		break;
	}
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
		if (id == COL_NAME && c->strong)
			attr |= A_BOLD;
		draw_text(win, y, x, w, base, ALIGN_LEFT, "");
		draw_text_cut(win, y, x + 1, w - 2, attr, col_align(id),
		    c->text[id]);
		if (i + 1 < t->ncols)
			draw_text(win, y, x + w, 1, base, ALIGN_LEFT,
			    theme_vline());
	}
}

/*
 * Does the row's last column take the value's width too?  A device's
 * whenever it has something to say, a line's when it says more than the
 * column holds (its counts fit it while all is well).  Points have values.
 */
static bool
span_info(const struct table_layout *t, const struct cells *c,
    enum row_kind kind)
{
	int i = layout_table_find(t, COL_INFO);

	if (kind == ROW_POINT || c->text[COL_INFO][0] == '\0' || i < 0)
		return false;
	return kind == ROW_DEVICE || text_width(c->text[COL_INFO]) >
	    t->col[i].w - 2;
}

static void
draw_head(WINDOW *win, const struct rect *a, const struct table_layout *t,
    const struct devices_screen *ds)
{
	struct cells c;
	char name[128];
	int room = t->col[0].w - 2;

	memset(&c, 0, sizeof c);
	/* TRANSLATORS: the head of the tree's first column: "Line",
	   then "Device / point". */
	snprintf(name, sizeof name, _("%s / %s"), _("Line"),
	    _("Device / point"));
	if (text_width(name) > room)
		snprintf(name, sizeof name, "%s", _("Device / point"));
	snprintf(c.text[COL_NAME], sizeof c.text[0], "%s %zu/%zu", name,
	    ds->sel + 1, ds->nrows);
	/* The position only when the table scrolls and it fits whole. */
	if (ds->nrows <= (size_t)ds->page ||
	    text_width(c.text[COL_NAME]) > room)
		snprintf(c.text[COL_NAME], sizeof c.text[0], "%s", name);
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

	if (ds->editing)
		snprintf(text, sizeof text, _("Filter: %s_"), ds->edit);
	else
		/* TRANSLATORS: filter, devices shown, all devices. */
		snprintf(text, sizeof text, ngettext("Filter: %s — %zu of %zu "
		    "device (Esc clears)", "Filter: %s — %zu of %zu devices "
		    "(Esc clears)", (unsigned long)m->ndevices), ds->filter,
		    ds->ndevices_kept, m->ndevices);
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
		cells_row(&c, v, ds, &ds->rows[r]);
		draw_cells(win, a->y + 1 + i, a->x, &t, &c,
		    theme_attr(sel ? ROLE_SELECTED : ROLE_NORMAL), sel,
		    span_info(&t, &c, ds->rows[r].kind));
	}
}

/* The selected row, or NULL when the table is empty. */
static const struct row *
selected(const struct devices_screen *ds)
{
	return ds->nrows > 0 ? &ds->rows[ds->sel] : NULL;
}

/* The device of a device or point row (not of a line row). */
static size_t
row_device(const struct view *v, const struct row *r)
{
	return r->kind == ROW_POINT ? v->model->points[r->index].device :
	    r->index;
}

/*
 * On a line row: say which of its devices to select for what (fmt, of
 * the list, which comes last: the bar may cut it), or fail_fmt (of the
 * line's id) when it has none that would do.  Nothing is asked of the app.
 */
static void
tell_line_devices(const struct view *v, const struct row *r,
    bool clock_only, const char *fmt, const char *fail_fmt,
    struct key_result *out)
{
	const struct model *m = v->model;
	const char *line = m->connectors[r->index].id;
	const char *more = text_utf8() ? ", \xe2\x80\xa6" : ", ...";
	char list[112];
	size_t n = 0, len = 0;

	list[0] = '\0';
	for (size_t d = 0; d < m->ndevices; d++) {
		size_t idlen = strlen(m->devices[d].id);

		if (m->devices[d].connector != r->index ||
		    (clock_only && m->devices[d].clock_address < 0))
			continue;
		if (len + 2 + idlen + strlen(more) >= sizeof list) {
			snprintf(list + len, sizeof list - len, "%s", more);
			n++;
			break;
		}
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
		    n > 0 ? ", " : "", m->devices[d].id);
		n++;
	}
	if (n == 0)
		snprintf(out->message, sizeof out->message, fail_fmt, line);
	else
		snprintf(out->message, sizeof out->message, fmt, list);
}

static void
request_read(struct devices_screen *ds, const struct view *v,
    struct key_result *out)
{
	const struct row *r = selected(ds);
	struct command cmd;
	const char *what;

	if (r == NULL)
		return;
	if (r->kind == ROW_LINE) {
		/* TRANSLATORS: the line's devices ("pumps, feed"). */
		tell_line_devices(v, r, false, _("Select a device of this line "
		    "to read it now: %s"), _("Line %s has no devices."), out);
		return;
	}
	memset(&cmd, 0, sizeof cmd);
	if (r->kind == ROW_POINT) {
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

static void
request_plan(struct devices_screen *ds, const struct view *v,
    struct key_result *out)
{
	const struct row *r = selected(ds);

	if (r == NULL)
		return;
	if (r->kind == ROW_LINE) {
		/* TRANSLATORS: the line's devices ("pumps, feed"). */
		tell_line_devices(v, r, false, _("Select a device of this line "
		    "to see its read plan: %s"), _("Line %s has no devices."),
		    out);
		return;
	}
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
	if (r->kind == ROW_LINE) {
		/* TRANSLATORS: the line's devices that have a clock. */
		tell_line_devices(v, r, true, _("Select a device of this line "
		    "to set its clock: %s"), _("No device of line %s has a "
		    "clock configured"), out);
		return;
	}
	dev = &v->model->devices[row_device(v, r)];
	if (dev->clock_address < 0) {
		snprintf(out->message, sizeof out->message,
		    _("%s has no clock configured"), dev->id);
		out->bad = true;
		return;
	}
	out->action = ACTION_CLOCK;
	out->device = row_device(v, r);
}

static void
request_write(struct devices_screen *ds, const struct view *v,
    struct key_result *out)
{
	const struct row *r = selected(ds);

	if (r == NULL)
		return;
	out->bad = true;
	if (r->kind != ROW_POINT)
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
	if (ds->nrows == 0)
		return;
	ds->sel = selection_moved(ds->sel, delta, ds->nrows);
	scroll_to_selection(ds);
}

/* Is the selected line or device expanded?  (Points: false.) */
static bool
sel_open(const struct devices_screen *ds, const struct row *r)
{
	return r->kind == ROW_LINE ? line_open(ds, r->index) :
	    r->kind == ROW_DEVICE && device_open(ds, r->index);
}

/* Collapse or expand the selected line or device. */
static void
fold(struct devices_screen *ds, const struct row *r, bool open)
{
	const struct model *m = ds->model;

	if (r->kind == ROW_LINE)
		idset_put(&ds->closed_lines, m->connectors[r->index].id, !open);
	else if (r->kind == ROW_DEVICE)
		idset_put(&ds->closed_devices, m->devices[r->index].id, !open);
	else
		return;
	rows_rebuild(ds, false);
	scroll_to_selection(ds);
}

/* Select the row of the parent of r (a point's device, a device's line). */
static void
select_parent(struct devices_screen *ds, const struct row *r)
{
	const struct model *m = ds->model;
	struct row want;

	if (r->kind == ROW_POINT) {
		want.kind = ROW_DEVICE;
		want.index = m->points[r->index].device;
	} else if (r->kind == ROW_DEVICE &&
	    m->devices[r->index].connector < m->nconnectors) {
		want.kind = ROW_LINE;
		want.index = m->devices[r->index].connector;
	} else
		return;
	for (size_t i = ds->sel; i-- > 0;)
		if (ds->rows[i].kind == want.kind &&
		    ds->rows[i].index == want.index) {
			ds->sel = i;
			scroll_to_selection(ds);
			return;
		}
}

/* Left, -: collapse; on a point or what is collapsed, its parent. */
static void
key_collapse(struct devices_screen *ds)
{
	const struct row *r = selected(ds);

	if (r == NULL)
		return;
	if (sel_open(ds, r))
		fold(ds, r, false);
	else
		select_parent(ds, r);
}

/* Right, +: expand; on what is expanded, its first row. */
static void
key_expand(struct devices_screen *ds)
{
	const struct row *r = selected(ds);

	if (r == NULL || r->kind == ROW_POINT)
		return;
	if (!sel_open(ds, r))
		fold(ds, r, true);
	else if (ds->sel + 1 < ds->nrows &&
	    ds->rows[ds->sel + 1].kind > r->kind)
		move_by(ds, 1);
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
	open_matches(ds);
	rows_rebuild(ds, true);
	scroll_to_selection(ds);
}

static bool
edit_key(struct devices_screen *ds, int key)
{
	switch (field_key_of(key)) {
	case FIELD_KEY_CANCEL:
		ds->editing = false;
		return true;
	case FIELD_KEY_ENTER:
		ds->editing = false;
		filter_set(ds, ds->edit);
		return true;
	default:
		field_edit(ds->edit, sizeof ds->edit, &ds->edit_skip, key);
		return true;
	}
}

static bool
devices_key(struct screen *s, int key, const struct view *v,
    struct key_result *out)
{
	struct devices_screen *ds = (struct devices_screen *)s;
	const struct row *r;
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
	case KEY_LEFT:
	case '-':
		key_collapse(ds);
		return true;
	case KEY_RIGHT:
	case '+':
		key_expand(ds);
		return true;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if ((r = selected(ds)) == NULL || r->kind == ROW_POINT)
			return false;
		fold(ds, r, !sel_open(ds, r));
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
	if ((r = selected(ds)) == NULL || r->kind == ROW_LINE)
		return SCREEN_KEY_FILTER | clear;
	keys |= clear;
	if (r->kind == ROW_POINT && v->model->points[r->index].writable)
		keys |= SCREEN_KEY_WRITE;
	if (v->model->devices[row_device(v, r)].clock_address >= 0)
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
	if (!line_open(ds, line_of(m, d))) {
		idset_put(&ds->closed_lines,
		    m->connectors[line_of(m, d)].id, false);
		rows_rebuild(ds, false);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ds->nrows; i++) {
			if (ds->rows[i].kind != ROW_DEVICE ||
			    ds->rows[i].index != d)
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
	free(ds->closed_lines.id);
	free(ds->closed_devices.id);
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
