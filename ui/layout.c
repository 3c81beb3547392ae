/*
 * layout.c: screen geometry as data (see layout.h).
 *
 * The screen is four horizontal bands, top to bottom: header (1 line),
 * body (the rest), status bar (1 line), function-key bar (1 line).  On a
 * terminal too small to be useful the bands still get sane rectangles
 * inside the screen (never negative, never overlapping) and too_small is
 * set, so the app can show a notice instead of a mangled table.
 *
 * The device tree starts from base widths that work at 80 columns; columns
 * that do not fit narrower terminals are left out in a fixed order, and
 * extra width goes first to the name column (up to a limit), then to the
 * last-error column, so wide terminals show whole names and messages.  The
 * name column is the widest: it holds the tree's indentation (a point is
 * six columns in), a line's address and the points' names.  At 80 columns
 * a line's "1/2 connected" and a device's "4:31 left: Connection refused"
 * (value and last error together) fit whole.  Value and last error are
 * the two rightmost columns so that a device row, which has no value of
 * its own, can give its error both.
 */
#include "config.h"

#include <string.h>

#include "ui/layout.h"

static void
rect_set(struct rect *r, int y, int x, int h, int w)
{
	r->y = y;
	r->x = x;
	r->h = h > 0 ? h : 0;
	r->w = w > 0 ? w : 0;
}

void
layout_compute(struct layout *lo, int lines, int cols)
{
	memset(lo, 0, sizeof *lo);
	if (lines < 0)
		lines = 0;
	if (cols < 0)
		cols = 0;
	lo->too_small = lines < LAYOUT_MIN_LINES || cols < LAYOUT_MIN_COLS;

	/* Bands in the order they are given up: status, keys, header. */
	rect_set(&lo->header, 0, 0, lines >= 2 ? 1 : 0, cols);
	rect_set(&lo->keys, lines - 1, 0, lines >= 3 ? 1 : 0, cols);
	rect_set(&lo->status, lines - 2, 0, lines >= 4 ? 1 : 0, cols);
	rect_set(&lo->body, lo->header.h, 0,
	    lines - lo->header.h - lo->keys.h - lo->status.h, cols);
	if (lo->keys.h == 0)
		lo->keys.y = 0;
	if (lo->status.h == 0)
		lo->status.y = 0;
}

/*
 * Columns: base cell width (padding included), the table width from which
 * the column is shown at all, how far it may grow, and how far it may shrink
 * on a terminal narrower than the sum of the bases.
 */
static const struct {
	enum table_col id;
	int base, show_from, max_extra, min;
} table_spec[] = {
	{ COL_NAME,  25,   0, 20,  8 },
	{ COL_STATE, 12,   0,  0,  8 },
	{ COL_POLLS, 14, 120,  0, 14 },
	{ COL_AGE,    8,  67,  0,  8 },
	{ COL_VALUE, 14,   0,  0, 10 },
	{ COL_INFO,  15,   0, -1,  4 },     /* takes the rest */
};
#define NSPEC (int)(sizeof table_spec / sizeof table_spec[0])

static int
spec_find(enum table_col id)
{
	for (int i = 0; i < NSPEC; i++)
		if (table_spec[i].id == id)
			return i;
	return 0;
}

/* Order in which columns give up width when the table is too narrow. */
static const enum table_col shrink_order[] = {
	COL_INFO, COL_NAME, COL_VALUE, COL_STATE
};

static int
table_used(const struct table_layout *t)
{
	int w = 0;

	for (int i = 0; i < t->ncols; i++)
		w += t->col[i].w;
	return w + (t->ncols > 0 ? t->ncols - 1 : 0);
}

static void
table_shrink(struct table_layout *t, int width)
{
	int over = table_used(t) - width;

	for (size_t k = 0; k < sizeof shrink_order / sizeof shrink_order[0] &&
	    over > 0; k++) {
		int i = layout_table_find(t, shrink_order[k]);
		int give;

		for (int s = 0; s < NSPEC; s++) {
			if (table_spec[s].id != shrink_order[k] || i < 0)
				continue;
			give = t->col[i].w - table_spec[s].min;
			if (give > over)
				give = over;
			if (give > 0) {
				t->col[i].w -= give;
				over -= give;
			}
		}
	}
	/* Absurdly narrow: columns vanish from the right. */
	for (int i = t->ncols - 1; i >= 0 && over > 0; i--) {
		int give = t->col[i].w < over ? t->col[i].w : over;

		t->col[i].w -= give;
		over -= give;
	}
}

void
layout_table(struct table_layout *t, int width)
{
	int extra, grow, x = 0;

	memset(t, 0, sizeof *t);
	if (width < 0)
		width = 0;
	for (int i = 0; i < NSPEC; i++) {
		if (width < table_spec[i].show_from)
			continue;
		t->col[t->ncols].id = table_spec[i].id;
		t->col[t->ncols].w = table_spec[i].base;
		t->ncols++;
	}
	extra = width - table_used(t);
	if (extra < 0)
		table_shrink(t, width);
	else {
		/* Half the extra width to the name, up to its limit; the
		 * rest to the last-error column. */
		for (int i = 0; i < t->ncols; i++) {
			int s = spec_find(t->col[i].id);

			grow = t->col[i].id == COL_NAME ? (extra + 1) / 2 :
			    extra;
			if (grow > table_spec[s].max_extra)
				grow = table_spec[s].max_extra;
			if (grow > 0) {
				t->col[i].w += grow;
				extra -= grow;
			}
		}
		t->col[layout_table_find(t, COL_INFO)].w += extra;
	}
	for (int i = 0; i < t->ncols; i++) {
		t->col[i].x = x;
		x += t->col[i].w + 1;
	}
}

int
layout_table_find(const struct table_layout *t, enum table_col id)
{
	for (int i = 0; i < t->ncols; i++)
		if (t->col[i].id == id)
			return i;
	return -1;
}

static int
status_width(const struct status_item *items, size_t n, int sep_w)
{
	int w = 0, shown = 0;

	for (size_t i = 0; i < n; i++) {
		if (items[i].fit == STATUS_HIDDEN)
			continue;
		w += items[i].fit == STATUS_LONG ? items[i].long_w :
		    items[i].short_w;
		shown++;
	}
	return w + (shown > 1 ? (shown - 1) * sep_w : 0);
}

/* The shown item of lowest priority in form from, or -1. */
static int
status_lowest(const struct status_item *items, size_t n, enum status_fit from)
{
	int best = -1;

	for (size_t i = 0; i < n; i++) {
		if (items[i].fit != from)
			continue;
		if (from == STATUS_LONG && items[i].short_w >= items[i].long_w)
			continue;
		if (best < 0 || items[i].priority < items[best].priority)
			best = (int)i;
	}
	return best;
}

int
layout_status(struct status_item *items, size_t n, int width, int sep_w)
{
	int i;

	for (size_t k = 0; k < n; k++)
		items[k].fit = STATUS_LONG;
	while (status_width(items, n, sep_w) > width &&
	    (i = status_lowest(items, n, STATUS_LONG)) >= 0)
		items[i].fit = STATUS_SHORT;
	while (status_width(items, n, sep_w) > width) {
		int lo = -1;

		for (size_t k = 0; k < n; k++)
			if (items[k].fit != STATUS_HIDDEN && (lo < 0 ||
			    items[k].priority < items[lo].priority))
				lo = (int)k;
		if (lo < 0)
			break;
		items[lo].fit = STATUS_HIDDEN;
	}
	return status_width(items, n, sep_w);
}

size_t
selection_moved(size_t sel, long delta, size_t n)
{
	long to = (long)sel + delta;

	if (to < 0)
		to = 0;
	if (to >= (long)n)
		to = (long)n - 1;
	return (size_t)to;
}
