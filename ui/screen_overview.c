/*
 * screen_overview.c: the plant at a glance (F2), the screen the console
 * opens on.
 *
 * Everything comes from the snapshot as published; nothing is worked out
 * here but counts and the layout.  The body is, top to bottom:
 *
 *	head            "Lines and devices", with how many are connected
 *	                and how many in error
 *	grid            one block per line (connector): its id, then one
 *	                cell per device of it, "C pumps", in the colour of
 *	                the device's state (devstate.h: a letter for every
 *	                state, "!" after it when the last attempt failed,
 *	                and the time left of a guard or a HardError)
 *	legend          what the letters mean, each in its colour
 *	plant           one line each, a label column then the figures:
 *	                  Batch       id, state, progress %, recipe; or
 *	                              none running and the next id
 *	                  Alarms      unacknowledged and active, then per
 *	                              priority "P1 1/2" (unack/active)
 *	                  Historian   link state, backlog rows and the age of
 *	                              the oldest, last upload
 *	                  Inference   link state, p95 round trip (target),
 *	                              predictions and timeouts
 *	                  Spool       samples (errors, spectra) waiting, free
 *	                              disk
 *
 * Blocks are as wide as the widest cell (a letter, the device id, the
 * time left; BLOCK_MIN..BLOCK_MAX columns), as many on a row as the width
 * takes, two columns apart.  The grid gets the lines the legend and the
 * plant lines leave; when it needs more, it scrolls by rows of blocks to
 * keep the selected cell shown, and on a short terminal the plant lines
 * go first.  Widths are display columns (text.h) throughout.
 *
 * Keys (the app handles quit, help, screen switching, T and resize):
 *
 *	Up / k, Down / j        the device above / below (into the block
 *	                        above or below at the block's ends)
 *	Left / h, Right / l     the block before / after
 *	Home / g, End / G       the first / last device
 *	Enter                   that device on the device table (F3)
 *
 * The selection is a device index of the model, kept in range when a
 * reload swaps the model.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alarm_view.h"
#include "core/batch_view.h"
#include "core/i18n.h"
#include "core/util.h"
#include "plant/alarm.h"
#include "store/spool.h"
#include "ui/devstate.h"
#include "ui/draw.h"
#include "ui/screen.h"
#include "ui/staterole.h"
#include "ui/text.h"
#include "ui/theme.h"

#define BLOCK_MIN 14            /* columns of a block, at least */
#define BLOCK_MAX 26            /* and at most */
#define BLOCK_GAP 2             /* columns between blocks */
#define PLANT_LINES 5           /* batch, alarms, historian, inference, spool */
#define PRIORITY_MAX 9          /* alarm priorities counted one by one */

/* Indexed by enum batch_state. */
static const char *const batch_states[BATCH_STATE_COUNT_] = {
	/* TRANSLATORS: batch states, as the batch screen shows them. */
	[BATCH_IDLE] = N_("idle"),
	[BATCH_RUNNING] = N_("running"),
	[BATCH_HELD] = N_("held"),
	[BATCH_STOPPING] = N_("stopping"),
	[BATCH_COMPLETE] = N_("complete"),
	[BATCH_ABORTED] = N_("aborted"),
};

/* Indexed by enum link_state. */
static const char *const link_names[] = {
	N_("not configured"), N_("unknown"), N_("up"), N_("degraded"),
	N_("down")
};

/* The legend, in this order (what does not fit is left out from the
   end); DEV_SHOWN_COUNT stands for "!". */
static const enum dev_shown legend_states[] = {
	DEV_CONNECTED, DEV_HARD_ERROR, DEV_SHOWN_COUNT, DEV_GUARD,
	DEV_WAITING, DEV_CONNECTING, DEV_IDLE
};

/* The lines with devices, and their devices, in the model's order. */
struct grid {
	size_t nblocks;
	size_t *conn;           /* [nblocks] connector index */
	size_t *first, *count;  /* [nblocks] into dev */
	size_t *dev;            /* [ndevices] device indices, by block */
	size_t *block_of;       /* [ndevices] the block of each device */
	size_t *pos_of;         /* [ndevices] its place in that block */
};

struct overview_screen {
	struct screen base;     /* first: the vtable */
	const struct model *model;      /* grid is of this model */
	struct grid g;
	size_t sel;             /* the selected device */
	size_t top;             /* first row of blocks shown */
	int per_row;            /* blocks on a row at the last draw */
	int rows_shown;         /* rows of blocks shown at the last draw */
};

static void
grid_free(struct grid *g)
{
	free(g->conn);
	free(g->first);
	free(g->count);
	free(g->dev);
	free(g->block_of);
	free(g->pos_of);
	memset(g, 0, sizeof *g);
}

static void
grid_build(struct grid *g, const struct model *m)
{
	size_t n = 0;

	grid_free(g);
	if (m == NULL)
		return;
	g->conn = xcalloc(m->nconnectors + 1, sizeof *g->conn);
	g->first = xcalloc(m->nconnectors + 1, sizeof *g->first);
	g->count = xcalloc(m->nconnectors + 1, sizeof *g->count);
	g->dev = xcalloc(m->ndevices + 1, sizeof *g->dev);
	g->block_of = xcalloc(m->ndevices + 1, sizeof *g->block_of);
	g->pos_of = xcalloc(m->ndevices + 1, sizeof *g->pos_of);
	for (size_t k = 0; k < m->nconnectors; k++) {
		size_t b = g->nblocks, c = 0;

		g->first[b] = n;
		for (size_t d = 0; d < m->ndevices; d++) {
			if (m->devices[d].connector != k)
				continue;
			g->block_of[d] = b;
			g->pos_of[d] = c++;
			g->dev[n++] = d;
		}
		if (c == 0)
			continue;       /* a line without devices: no block */
		g->conn[b] = k;
		g->count[b] = c;
		g->nblocks++;
	}
}

static void
sync_model(struct overview_screen *os, const struct model *m)
{
	if (m == os->model)
		return;
	os->model = m;
	grid_build(&os->g, m);
	if (m == NULL || m->ndevices == 0)
		os->sel = 0;
	else if (os->sel >= m->ndevices)
		os->sel = m->ndevices - 1;
	os->top = 0;
}

static const char *
batch_state_label(enum batch_state s)
{
	if ((int)s < 0 || s >= BATCH_STATE_COUNT_)
		return "?";
	return _(batch_states[s]);
}

static const char *
link_label(enum link_state s)
{
	if ((size_t)s >= ARRAY_LEN(link_names))
		return "?";
	return _(link_names[s]);
}

/* --- the grid ------------------------------------------------------------ */

/* Columns a device's cell wants: letter(s), blank, id, blank, time left. */
static int
cell_want(const struct model *m, size_t d)
{
	/* "G! " and " 59:59" around the id */
	return 3 + text_width(m->devices[d].id) + 6;
}

static int
block_width(const struct overview_screen *os, int width)
{
	const struct model *m = os->model;
	int w = BLOCK_MIN;

	for (size_t b = 0; b < os->g.nblocks; b++) {
		int t = text_width(m->connectors[os->g.conn[b]].id) + 1;

		if (t > w)
			w = t;
		for (size_t i = 0; i < os->g.count[b]; i++) {
			t = cell_want(m, os->g.dev[os->g.first[b] + i]);
			if (t > w)
				w = t;
		}
	}
	if (w > BLOCK_MAX)
		w = BLOCK_MAX;
	if (w > width - 2)
		w = width - 2;
	return w;
}

/* Lines of a row of blocks: the ids, and the longest block of the row. */
static int
row_lines(const struct overview_screen *os, size_t row)
{
	size_t most = 0;

	for (size_t b = row * (size_t)os->per_row;
	    b < os->g.nblocks && b < (row + 1) * (size_t)os->per_row; b++)
		if (os->g.count[b] > most)
			most = os->g.count[b];
	return 1 + (int)most;
}

static size_t
grid_rows(const struct overview_screen *os)
{
	size_t per = os->per_row > 0 ? (size_t)os->per_row : 1;

	return (os->g.nblocks + per - 1) / per;
}

static void
draw_cell(WINDOW *win, int y, int x, int w, const struct view *v, size_t d,
    bool selected)
{
	const struct model *m = v->model;
	struct devstate ds;
	char left[32];
	int gw, lw, iw;
	attr_t attr, base;

	devstate_get(v->snap, d, v->now_us, &ds);
	devstate_format_left(&ds, left, sizeof left);
	attr = theme_attr(ds.role);
	base = selected ? theme_attr(ROLE_SELECTED) : attr;
	gw = text_width(ds.glyph);
	lw = left[0] != '\0' ? text_width(left) : 0;
	draw_text(win, y, x, w, base, ALIGN_LEFT, "");
	/* The letter keeps its state's look on the selected cell too. */
	draw_text(win, y, x, gw, attr | A_BOLD | (selected ? A_REVERSE : 0),
	    ALIGN_LEFT, ds.glyph);
	iw = w - 3 - (lw > 0 ? lw + 1 : 0);
	if (iw < 1) {
		iw = w - 3;
		lw = 0;
	}
	draw_text_cut(win, y, x + 3, iw, base, ALIGN_LEFT, m->devices[d].id);
	if (lw > 0)
		draw_text(win, y, x + w - lw, lw, base, ALIGN_RIGHT, left);
}

/* Keep the selected device's row of blocks among those shown. */
static void
scroll_grid(struct overview_screen *os, int lines)
{
	size_t row, rows = grid_rows(os), shown;
	int used;

	if (os->g.nblocks == 0 || os->per_row <= 0)
		return;
	row = os->g.block_of[os->sel] / (size_t)os->per_row;
	if (row < os->top)
		os->top = row;
	for (;;) {
		used = 0;
		shown = 0;
		for (size_t r = os->top; r < rows; r++) {
			int h = row_lines(os, r);

			if (used + h > lines && shown > 0)
				break;
			used += h;
			shown++;
		}
		if (row < os->top + shown || os->top >= row)
			break;
		os->top++;
	}
}

/* Draw the rows of blocks from the top one in lines; returns lines used. */
static int
draw_grid(struct overview_screen *os, WINDOW *win, const struct view *v,
    int y0, int lines)
{
	const struct rect *a = &v->area;
	const struct model *m = v->model;
	int bw = block_width(os, a->w), used = 0;
	size_t rows;

	os->per_row = (a->w - 1 + BLOCK_GAP) / (bw + BLOCK_GAP);
	if (os->per_row < 1)
		os->per_row = 1;
	rows = grid_rows(os);
	scroll_grid(os, lines);
	os->rows_shown = 0;
	for (size_t r = os->top; r < rows && used < lines; r++) {
		int h = row_lines(os, r);

		for (int c = 0; c < os->per_row; c++) {
			size_t b = r * (size_t)os->per_row + (size_t)c;
			int x = a->x + 1 + c * (bw + BLOCK_GAP);

			if (b >= os->g.nblocks)
				break;
			draw_text_cut(win, y0 + used, x, bw,
			    theme_attr(ROLE_NORMAL) | A_BOLD, ALIGN_LEFT,
			    m->connectors[os->g.conn[b]].id);
			for (size_t i = 0; i < os->g.count[b]; i++) {
				size_t d = os->g.dev[os->g.first[b] + i];

				if (used + 1 + (int)i >= lines)
					break;
				draw_cell(win, y0 + used + 1 + (int)i, x, bw,
				    v, d, d == os->sel);
			}
		}
		used += h < lines - used ? h : lines - used;
		os->rows_shown++;
	}
	return used;
}

/* The head: the title and how the devices stand. */
static void
draw_head(WINDOW *win, const struct view *v, int y)
{
	const struct rect *a = &v->area;
	const struct model *m = v->model;
	size_t connected = 0, bad = 0;
	char text[256];

	for (size_t d = 0; d < m->ndevices; d++) {
		struct devstate ds;

		devstate_get(v->snap, d, v->now_us, &ds);
		if (ds.shown == DEV_CONNECTED && !ds.failed)
			connected++;
		if (ds.role == ROLE_BAD)
			bad++;
	}
	/* TRANSLATORS: devices connected, in error, all devices. */
	snprintf(text, sizeof text, ngettext("Lines and devices: %zu "
	    "connected, %zu in error, of %zu", "Lines and devices: %zu "
	    "connected, %zu in error, of %zu", (unsigned long)m->ndevices),
	    connected, bad, m->ndevices);
	draw_text(win, y, a->x, a->w, theme_attr(ROLE_TABLE_HEAD), ALIGN_LEFT,
	    "");
	draw_text_cut(win, y, a->x + 1, a->w - 1, theme_attr(ROLE_TABLE_HEAD),
	    ALIGN_LEFT, text);
}

/* The letters and what they mean, as many as fit, each in its colour. */
static void
draw_legend(WINDOW *win, const struct view *v, int y)
{
	const struct rect *a = &v->area;
	int x = a->x + 1, end = a->x + a->w;
	char item[128];

	for (size_t i = 0; i < ARRAY_LEN(legend_states); i++) {
		enum dev_shown s = legend_states[i];
		enum theme_role role;
		int w;

		if (s != DEV_SHOWN_COUNT) {
			snprintf(item, sizeof item, "%s %s",
			    devstate_letter(s), devstate_name(s));
			role = s == DEV_CONNECTED ? ROLE_GOOD :
			    s == DEV_HARD_ERROR ? ROLE_BAD :
			    s == DEV_IDLE ? ROLE_DIM : ROLE_WARN;
		} else {
			/* TRANSLATORS: after a state letter in the grid. */
			snprintf(item, sizeof item, "! %s",
			    _("last try failed"));
			role = ROLE_BAD;
		}
		w = text_width(item);
		if (x + w > end)
			break;
		draw_text(win, y, x, w, theme_attr(role), ALIGN_LEFT, item);
		x += w + 2;
	}
}

/* --- the plant lines ------------------------------------------------------ */

struct plant_line {
	const char *label;      /* translated */
	char text[512];
	enum theme_role role;
	attr_t extra;
};

static void
line_batch(struct plant_line *l, const struct view *v)
{
	const struct batch_view *b = &v->snap->batch;

	l->label = _("Batch");
	if (!b->has_current) {
		/* TRANSLATORS: no batch; the id the next start would take. */
		snprintf(l->text, sizeof l->text, _("No batch running (next: "
		    "%s)"), b->next_id[0] != '\0' ? b->next_id : "-");
		l->role = ROLE_DIM;
		return;
	}
	/* TRANSLATORS: batch id, state, progress %, recipe, version. */
	snprintf(l->text, sizeof l->text, _("%s  %s  %d%%  %s v%s"),
	    b->current.id, batch_state_label(b->current.state),
	    (int)(b->progress.fraction * 100.0 + 0.5),
	    b->current.recipe_name[0] != '\0' ? b->current.recipe_name :
	    b->current.recipe_id, b->current.recipe_version);
	l->role = batch_state_role(b->current.state);
}

static void
line_alarms(struct plant_line *l, const struct view *v)
{
	const struct alarm_view *av = v->snap->alarms;
	size_t unack[PRIORITY_MAX + 1], active[PRIORITY_MAX + 1];
	size_t len;

	l->label = _("Alarms");
	memset(unack, 0, sizeof unack);
	memset(active, 0, sizeof active);
	if (av == NULL || av->n == 0) {
		snprintf(l->text, sizeof l->text, "%s", _("No alarms"));
		l->role = ROLE_GOOD;
		return;
	}
	/* TRANSLATORS: alarms unacknowledged, active; priorities follow. */
	snprintf(l->text, sizeof l->text, _("%zu unacknowledged, %zu active"),
	    av->unacked, av->active);
	for (size_t i = 0; i < av->n; i++) {
		const struct alarm_row *r = &av->rows[i];
		int p = r->priority < 1 ? 1 : r->priority > PRIORITY_MAX ?
		    PRIORITY_MAX : r->priority;

		if (r->state == ALARM_UNACK_ACTIVE ||
		    r->state == ALARM_UNACK_CLEARED)
			unack[p]++;
		if (r->state == ALARM_UNACK_ACTIVE ||
		    r->state == ALARM_ACK_ACTIVE)
			active[p]++;
	}
	for (int p = 1; p <= PRIORITY_MAX; p++) {
		if (unack[p] == 0 && active[p] == 0)
			continue;
		len = strlen(l->text);
		/* TRANSLATORS: priority, its unacknowledged/active alarms. */
		snprintf(l->text + len, sizeof l->text - len, _("  P%d %zu/%zu"),
		    p, unack[p], active[p]);
	}
	l->role = ROLE_ALARM;
	l->extra = av->unacked > 0 ? A_BOLD : 0;
	if (av->unacked == 0 && av->active == 0)
		l->role = ROLE_WARN;
}

static void
line_historian(struct plant_line *l, const struct view *v)
{
	const struct snapshot *s = v->snap;
	const struct historian_status *h = &s->hist;
	long long backlog = (long long)(s->spool.rows[SPOOL_SAMPLES] +
	    s->spool.rows[SPOOL_ERRORS] + s->spool.rows[SPOOL_SPECTRA]);
	char oldest[32], upload[32];
	size_t len;

	l->label = _("Historian");
	if (v->model->app.historian_conninfo[0] == '\0') {
		snprintf(l->text, sizeof l->text, "%s", _("local store only"));
		l->role = ROLE_NORMAL;
	} else {
		snprintf(l->text, sizeof l->text, "%s",
		    link_label(s->historian));
		l->role = link_state_role(s->historian);
		if (s->historian == LINK_UP && h->drain_total > 0)
			l->role = ROLE_WARN;
	}
	len = strlen(l->text);
	format_age(oldest, sizeof oldest, s->spool_oldest_us > 0 ?
	    v->now_us - s->spool_oldest_us : -1);
	/* TRANSLATORS: rows waiting for the historian, age of the oldest. */
	snprintf(l->text + len, sizeof l->text - len, ngettext(
	    "  backlog %lld row, oldest %s", "  backlog %lld rows, oldest %s",
	    (unsigned long)backlog), backlog, oldest);
	if (v->model->app.historian_conninfo[0] == '\0')
		return;
	len = strlen(l->text);
	format_age(upload, sizeof upload, h->last_upload_us > 0 ?
	    v->now_us - h->last_upload_us : -1);
	/* TRANSLATORS: age of the last upload to the historian. */
	snprintf(l->text + len, sizeof l->text - len, _("  last upload %s "
	    "ago"), upload);
}

static void
line_inference(struct plant_line *l, const struct view *v)
{
	const struct snapshot *s = v->snap;
	enum link_state inf = v->model->app.inference_endpoint[0] == '\0' ?
	    LINK_NOT_CONFIGURED : s->inference;
	size_t len;

	l->label = _("Inference");
	if (inf == LINK_NOT_CONFIGURED) {
		snprintf(l->text, sizeof l->text, "%s", _("off"));
		l->role = ROLE_DIM;
		return;
	}
	snprintf(l->text, sizeof l->text, "%s", link_label(inf));
	l->role = link_state_role(inf);
	/* As the status bar: no round trips to speak of while it is down. */
	if (s->infer.latency_n == 0 || inf == LINK_DOWN)
		return;
	len = strlen(l->text);
	/* TRANSLATORS: p95 round trip and its target, in ms. */
	snprintf(l->text + len, sizeof l->text - len, _("  p95 %.1f ms "
	    "(target %.0f ms)"), s->infer.p95_ms, s->infer.target_p95_ms);
	len = strlen(l->text);
	/* TRANSLATORS: predictions received, requests timed out. */
	snprintf(l->text + len, sizeof l->text - len, _("  %llu predictions, "
	    "%llu timeouts"), (unsigned long long)s->infer.predictions,
	    (unsigned long long)s->infer.timeouts);
}

static void
line_spool(struct plant_line *l, const struct view *v)
{
	const struct snapshot *s = v->snap;
	char disk[32];
	size_t len;

	l->label = _("Spool");
	format_bytes(disk, sizeof disk, s->disk_free_bytes);
	/* TRANSLATORS: samples, errors and spectra waiting in the spool. */
	snprintf(l->text, sizeof l->text, _("%lld samples, %lld errors, "
	    "%lld spectra waiting"), (long long)s->spool.rows[SPOOL_SAMPLES],
	    (long long)s->spool.rows[SPOOL_ERRORS],
	    (long long)s->spool.rows[SPOOL_SPECTRA]);
	len = strlen(l->text);
	snprintf(l->text + len, sizeof l->text - len, _("  disk free %s"),
	    disk);
	l->role = s->disk_low || s->spool.dropped_rows > 0 ? ROLE_BAD :
	    ROLE_NORMAL;
	if (s->spool.dropped_rows > 0) {
		len = strlen(l->text);
		snprintf(l->text + len, sizeof l->text - len,
		    _("  %lld oldest rows dropped (spool full)"),
		    (long long)s->spool.dropped_rows);
	}
}

static void
draw_plant(WINDOW *win, const struct view *v, int y, int lines)
{
	const struct rect *a = &v->area;
	struct plant_line l[PLANT_LINES];
	int lw = 0;

	memset(l, 0, sizeof l);
	line_batch(&l[0], v);
	line_alarms(&l[1], v);
	line_historian(&l[2], v);
	line_inference(&l[3], v);
	line_spool(&l[4], v);
	for (int i = 0; i < PLANT_LINES; i++)
		if (text_width(l[i].label) > lw)
			lw = text_width(l[i].label);
	if (lw > a->w / 3)
		lw = a->w / 3;
	for (int i = 0; i < PLANT_LINES && i < lines; i++) {
		draw_text_cut(win, y + i, a->x + 1, lw, theme_attr(ROLE_NORMAL) |
		    A_BOLD, ALIGN_LEFT, l[i].label);
		draw_text_cut(win, y + i, a->x + 1 + lw + 2, a->w - lw - 3,
		    theme_attr(l[i].role) | l[i].extra, ALIGN_LEFT, l[i].text);
	}
}

static void
overview_draw(struct screen *s, WINDOW *win, const struct view *v)
{
	struct overview_screen *os = (struct overview_screen *)s;
	const struct rect *a = &v->area;
	int grid_lines, bottom, used;

	sync_model(os, v->model);
	if (a->h <= 0 || a->w <= 0 || v->model == NULL)
		return;
	draw_head(win, v, a->y);
	/* The legend and the plant lines, when the grid keeps two lines. */
	bottom = a->h - 1 >= 2 + 2 + PLANT_LINES ? 2 + PLANT_LINES :
	    a->h - 1 >= 4 ? 1 : 0;
	grid_lines = a->h - 1 - bottom;
	if (os->g.nblocks == 0) {
		if (grid_lines > 1)
			draw_text(win, a->y + 2, a->x, a->w,
			    theme_attr(ROLE_DIM), ALIGN_CENTER,
			    _("No devices configured."));
		used = grid_lines > 2 ? 2 : grid_lines;
	} else
		used = draw_grid(os, win, v, a->y + 1, grid_lines);
	if (bottom == 0)
		return;
	draw_legend(win, v, a->y + 1 + used);
	if (bottom > 1)
		draw_plant(win, v, a->y + 1 + used + 2, PLANT_LINES);
}

/* --- keys ----------------------------------------------------------------- */

static void
select_in_block(struct overview_screen *os, size_t b, size_t pos)
{
	if (b >= os->g.nblocks)
		return;
	if (pos >= os->g.count[b])
		pos = os->g.count[b] - 1;
	os->sel = os->g.dev[os->g.first[b] + pos];
}

static void
move_vertical(struct overview_screen *os, int dir)
{
	size_t b = os->g.block_of[os->sel], pos = os->g.pos_of[os->sel];
	size_t per = os->per_row > 0 ? (size_t)os->per_row : 1;

	if (dir > 0 && pos + 1 < os->g.count[b])
		select_in_block(os, b, pos + 1);
	else if (dir > 0 && b + per < os->g.nblocks)
		select_in_block(os, b + per, 0);
	else if (dir < 0 && pos > 0)
		select_in_block(os, b, pos - 1);
	else if (dir < 0 && b >= per)
		select_in_block(os, b - per, os->g.count[b - per] - 1);
}

static void
move_horizontal(struct overview_screen *os, int dir)
{
	size_t b = os->g.block_of[os->sel], pos = os->g.pos_of[os->sel];

	if (dir > 0 && b + 1 < os->g.nblocks)
		select_in_block(os, b + 1, pos);
	else if (dir < 0 && b > 0)
		select_in_block(os, b - 1, pos);
}

static bool
overview_key(struct screen *s, int key, const struct view *v,
    struct key_result *out)
{
	struct overview_screen *os = (struct overview_screen *)s;

	sync_model(os, v->model);
	if (os->g.nblocks == 0)
		return false;
	switch (key) {
	case KEY_UP:
	case 'k':
		move_vertical(os, -1);
		return true;
	case KEY_DOWN:
	case 'j':
		move_vertical(os, 1);
		return true;
	case KEY_LEFT:
	case 'h':
		move_horizontal(os, -1);
		return true;
	case KEY_RIGHT:
	case 'l':
		move_horizontal(os, 1);
		return true;
	case KEY_HOME:
	case 'g':
		select_in_block(os, 0, 0);
		return true;
	case KEY_END:
	case 'G':
		select_in_block(os, os->g.nblocks - 1, (size_t)-1);
		return true;
	case '\n':
	case '\r':
	case KEY_ENTER:
		out->action = ACTION_SHOW_DEVICE;
		out->device = os->sel;
		return true;
	default:
		return false;
	}
}

static unsigned
overview_keys(struct screen *s, const struct view *v)
{
	struct overview_screen *os = (struct overview_screen *)s;

	sync_model(os, v->model);
	return os->g.nblocks > 0 ? SCREEN_KEY_OPEN : 0;
}

static void
overview_free(struct screen *s)
{
	struct overview_screen *os = (struct overview_screen *)s;

	grid_free(&os->g);
	free(os);
}

struct screen *
screen_overview_new(void)
{
	struct overview_screen *os = xcalloc(1, sizeof *os);

	os->base.draw = overview_draw;
	os->base.key = overview_key;
	os->base.keys = overview_keys;
	os->base.free = overview_free;
	os->per_row = 1;
	return &os->base;
}
