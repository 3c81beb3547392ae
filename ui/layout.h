/*
 * layout.h: where everything goes on the screen, computed as plain data.
 *
 * After NeoMutt: the sizes of the header, body, status bar and function-key
 * bar, the columns of the device tree and which status items fit are all
 * decided here from LINES x COLS and the widths of the texts, with no curses
 * call, so that the unit tests can check 80x24, wide and tiny terminals.
 * Drawing code only fills the rectangles it is given; a resize is nothing
 * more than computing the layout again.
 */
#ifndef JOPE_UI_LAYOUT_H
#define JOPE_UI_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

/* Smallest terminal the console draws in; below it, a short notice. */
#define LAYOUT_MIN_COLS 40
#define LAYOUT_MIN_LINES 8

struct rect {
	int y, x, h, w;
};

struct layout {
	struct rect header;     /* top line: site, console, clock */
	struct rect body;       /* the current screen */
	struct rect status;     /* links, disk, spool, operator */
	struct rect keys;       /* bottom line: function keys */
	bool too_small;
};

void layout_compute(struct layout *lo, int lines, int cols);

/*
 * Columns of the device tree, left to right.  The tree shows which line a
 * device is on, so there is no line column: its width went to the name.
 */
enum table_col {
	COL_NAME,               /* line, device or point, indented */
	COL_STATE,              /* connection state */
	COL_POLLS,              /* polls / errors (wide terminals) */
	COL_AGE,                /* last poll / sample age */
	COL_VALUE,              /* point value and unit */
	COL_INFO,               /* last error, or the point's quality */
	COL_COUNT
};

struct table_layout {
	int ncols;
	struct {
		enum table_col id;
		int x;          /* from the left edge of the table */
		int w;          /* cell width, one space of padding each side */
	} col[COL_COUNT];
};

/*
 * Columns that fit in width, one separator column between neighbours.
 * COL_POLLS is shown from 120 columns on; below 67 COL_AGE is left out.
 * Extra width goes half to COL_NAME (up to a limit), the rest to
 * COL_INFO.  The columns never exceed width.
 */
void layout_table(struct table_layout *t, int width);
/* Index into t->col of column id, or -1 when it is not shown. */
int layout_table_find(const struct table_layout *t, enum table_col id);

/* Status bar items: each shown long, short or not at all. */
enum status_fit { STATUS_LONG, STATUS_SHORT, STATUS_HIDDEN };

struct status_item {
	int long_w, short_w;    /* display widths of the two forms */
	int priority;           /* higher is dropped last */
	enum status_fit fit;    /* output */
};

/*
 * Decide the form of every item so that the items and a separator of sep_w
 * columns between shown neighbours fit in width: first the items are
 * shortened in order of priority (lowest first), then dropped likewise.
 * Returns the width used.
 */
int layout_status(struct status_item *items, size_t n, int width, int sep_w);

/*
 * The selection moved by delta rows in a list of n (n > 0), kept on it:
 * Up on the first row and PgDn past the end stop at the ends.
 */
size_t selection_moved(size_t sel, long delta, size_t n);

#endif
