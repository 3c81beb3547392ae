/*
 * chart.c: braille line chart and block sparkline (see chart.h).
 *
 * The plot is first built as one byte of dot bits per cell, then encoded:
 * a braille character is U+2800 plus its dot bits, numbered
 *
 *	1 4        bit 0x01 0x08
 *	2 5            0x02 0x10
 *	3 6            0x04 0x20
 *	7 8            0x40 0x80
 *
 * which in UTF-8 is E2, A0 | bits >> 6, 80 | bits & 3F.  Dot rows are
 * counted from the top here: a value's dot row is (4h - 1) minus its level
 * (chart_level) among the 4h dot rows.
 *
 * Every column count in the output is known by construction: a cell is one
 * column (braille, block and ASCII alike), the labels are ASCII digits, and
 * the gutter is padded to its width; chart_line still measures the labels
 * with text_width rather than trust strlen.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/chart.h"
#include "ui/text.h"

#define DOTS_X 2
#define DOTS_Y 4
#define X_LABEL_GAP 2           /* blanks at least between two x labels */

static const unsigned char dot_bit[DOTS_Y][DOTS_X] = {
	{ 0x01, 0x08 }, { 0x02, 0x10 }, { 0x04, 0x20 }, { 0x40, 0x80 }
};

/* Sparkline levels, lowest first: U+2581 .. U+2588, or ASCII. */
static const char *const block_utf8[CHART_LEVELS] = {
	"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
	"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"
};
static const char block_ascii[CHART_LEVELS + 1] = "_.-:=+*#";

bool
chart_minmax(const double *v, size_t n, double *min, double *max)
{
	bool any = false;

	*min = *max = NAN;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		if (!any || v[i] < *min)
			*min = v[i];
		if (!any || v[i] > *max)
			*max = v[i];
		any = true;
	}
	return any;
}

int
chart_level(double v, double min, double max, int levels)
{
	double t;
	int l;

	if (levels <= 1)
		return 0;
	if (!(max > min))
		return (levels - 1) / 2;
	t = (v - min) / (max - min) * (double)(levels - 1);
	if (!(t > 0.0))
		return 0;       /* below the range, or NaN */
	if (t >= (double)(levels - 1))
		return levels - 1;
	l = (int)floor(t + 0.5);
	return l >= levels ? levels - 1 : l;
}

void
chart_format_label(char *buf, size_t len, double v)
{
	double a = fabs(v);

	if (!isfinite(v))
		snprintf(buf, len, "?");
	else if (a >= 1e7)
		snprintf(buf, len, "%.3g", v);
	else if (a >= 1000.0 || v == floor(v))
		snprintf(buf, len, "%.0f", v == 0.0 ? 0.0 : v);
	else if (a >= 100.0)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 1.0)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

size_t
chart_index_at(size_t n, int plot_w, int col)
{
	size_t w = plot_w > 0 ? (size_t)plot_w * DOTS_X : 1;
	size_t dx = col > 0 ? (size_t)col * DOTS_X : 0;

	if (n <= 1)
		return 0;
	if (dx >= w)
		dx = w - 1;
	if (n >= w)
		return dx * n / w;
	/* Spread: value i sits at dot column round(i (w - 1) / (n - 1)). */
	return (2 * dx * (n - 1) + (w - 1)) / (2 * (w - 1));
}

/*
 * The values of dot column dx of w: their range and the last of them
 * (the one the next column joins).  False when there is no finite value.
 */
static bool
column_span(const double *v, size_t n, size_t w, size_t dx, double *lo,
    double *hi, double *last)
{
	if (n >= w) {
		size_t i0 = dx * n / w, i1 = (dx + 1) * n / w;

		if (!chart_minmax(v + i0, i1 - i0, lo, hi))
			return false;
		*last = *lo;
		for (size_t i = i1; i-- > i0;)
			if (isfinite(v[i])) {
				*last = v[i];
				break;
			}
		return true;
	}
	if (n == 1 || w == 1) {
		*lo = *hi = *last = v[0];
		return isfinite(v[0]);
	} else {
		double t = (double)dx * (double)(n - 1) / (double)(w - 1);
		size_t i = (size_t)floor(t);
		double f = t - (double)i, x;

		if (i >= n - 1) {
			i = n - 1;
			f = 0.0;
		}
		x = f == 0.0 ? v[i] : v[i] + f * (v[i + 1] - v[i]);
		*lo = *hi = *last = x;
		return isfinite(x);
	}
}

static int
dot_row(const struct chart *c, double v)
{
	int rows = c->plot_h * DOTS_Y;

	return rows - 1 - chart_level(v, c->min, c->max, rows);
}

static void
plot_dots(const struct chart *c, const double *v, unsigned char *bits)
{
	size_t w = (size_t)c->plot_w * DOTS_X;
	int prev = -1;

	for (size_t dx = 0; dx < w; dx++) {
		double lo = 0.0, hi = 0.0, last = 0.0;
		int top, bot;

		if (!column_span(v, c->n, w, dx, &lo, &hi, &last)) {
			prev = -1;      /* a gap: nothing to join */
			continue;
		}
		top = dot_row(c, hi);
		bot = dot_row(c, lo);
		/* Join the previous column, short of its own dot. */
		if (prev >= 0 && prev < top)
			top = prev + 1;
		else if (prev > bot)
			bot = prev - 1;
		for (int y = top; y <= bot; y++)
			bits[(y / DOTS_Y) * c->plot_w + (int)(dx / DOTS_X)] |=
			    dot_bit[y % DOTS_Y][dx % DOTS_X];
		prev = dot_row(c, last);
	}
}

static void
cell_encode(char *cell, unsigned char b, bool utf8)
{
	if (b == 0) {
		strcpy(cell, " ");
	} else if (utf8) {
		cell[0] = (char)0xe2;
		cell[1] = (char)(0xa0 | (b >> 6));
		cell[2] = (char)(0x80 | (b & 0x3f));
		cell[3] = '\0';
	} else {
		bool upper = (b & 0x1b) != 0, lower = (b & 0xe4) != 0;

		strcpy(cell, upper && lower ? ":" : upper ? "'" : ".");
	}
}

/* Put label at column x of the axis line when it keeps clear of the rest. */
static bool
xlabel_put(char *axis, int w, int x, const char *label)
{
	int lw = text_width(label);

	if (x < 0 || x + lw > w)
		return false;
	for (int i = x - X_LABEL_GAP; i < x + lw + X_LABEL_GAP; i++)
		if (i >= 0 && i < w && axis[i] != ' ')
			return false;
	memcpy(axis + x, label, (size_t)lw);
	return true;
}

/* Both ends, then the middle and the quarters where they fit. */
static void
xaxis_build(struct chart *c)
{
	static const int part[] = { 2, 1, 3 };  /* quarters */
	char label[CHART_LABEL_MAX];
	int w = c->plot_w;

	memset(c->xaxis, ' ', (size_t)w);
	c->xaxis[w] = '\0';
	if (c->n == 0)
		return;
	snprintf(label, sizeof label, "%zu", chart_index_at(c->n, w, 0));
	xlabel_put(c->xaxis, w, 0, label);
	if (c->n > 1) {
		snprintf(label, sizeof label, "%zu", c->n - 1);
		xlabel_put(c->xaxis, w, w - text_width(label), label);
	}
	for (size_t k = 0; k < sizeof part / sizeof part[0]; k++) {
		int col = part[k] * w / 4;

		snprintf(label, sizeof label, "%zu",
		    chart_index_at(c->n, w, col));
		xlabel_put(c->xaxis, w, col - text_width(label) / 2, label);
	}
}

/* The y labels and their rows: max on top, min at the bottom. */
static void
ylabels_build(struct chart *c)
{
	c->ylabel_top_row = c->ylabel_bottom_row = -1;
	c->ylabel_top[0] = c->ylabel_bottom[0] = '\0';
	if (c->nvalid == 0)
		return;
	chart_format_label(c->ylabel_top, sizeof c->ylabel_top, c->max);
	if (c->max > c->min && c->plot_h > 1) {
		chart_format_label(c->ylabel_bottom, sizeof c->ylabel_bottom,
		    c->min);
		c->ylabel_top_row = 0;
		c->ylabel_bottom_row = c->plot_h - 1;
	} else          /* one label, on the row of the line (or the top) */
		c->ylabel_top_row = c->max > c->min ? 0 :
		    dot_row(c, c->max) / DOTS_Y;
}

int
chart_plot(struct chart *c, const double *v, size_t n, int width,
    int height, bool utf8)
{
	unsigned char *bits;
	int lw;

	memset(c, 0, sizeof *c);
	c->width = width;
	c->height = height;
	c->utf8 = utf8;
	c->ylabel_top_row = c->ylabel_bottom_row = -1;
	c->n = n;
	chart_minmax(v, n, &c->min, &c->max);
	for (size_t i = 0; i < n; i++)
		c->nvalid += isfinite(v[i]) ? 1 : 0;
	c->plot_h = height - 1;
	ylabels_build(c);       /* needs plot_h only, for the row of a line */
	lw = text_width(c->ylabel_top);
	if (text_width(c->ylabel_bottom) > lw)
		lw = text_width(c->ylabel_bottom);
	c->gutter = lw + 1;
	c->plot_w = width - c->gutter;
	if (height < 2 || c->plot_w < 1) {
		c->plot_w = c->plot_h = 0;
		return -1;
	}
	c->xaxis = malloc((size_t)c->plot_w + 1);
	c->cells = calloc((size_t)c->plot_w * (size_t)c->plot_h,
	    sizeof *c->cells);
	bits = calloc((size_t)c->plot_w * (size_t)c->plot_h, 1);
	if (c->xaxis == NULL || c->cells == NULL || bits == NULL) {
		free(bits);
		chart_free(c);
		c->plot_w = c->plot_h = 0;
		return -1;
	}
	if (c->nvalid > 0)
		plot_dots(c, v, bits);
	for (int i = 0; i < c->plot_w * c->plot_h; i++)
		cell_encode(c->cells[i], bits[i], utf8);
	free(bits);
	xaxis_build(c);
	return 0;
}

void
chart_free(struct chart *c)
{
	free(c->xaxis);
	free(c->cells);
	c->xaxis = NULL;
	c->cells = NULL;
}

/* Append text to buf[*used ..] when it fits whole. */
static bool
put(char *buf, size_t len, size_t *used, const char *text)
{
	size_t n = strlen(text);

	if (*used + n + 1 > len)
		return false;
	memcpy(buf + *used, text, n + 1);
	*used += n;
	return true;
}

static int
put_pad(char *buf, size_t len, size_t *used, int cols)
{
	int done = 0;

	while (done < cols && put(buf, len, used, " "))
		done++;
	return done;
}

static const char *
axis_glyph(const struct chart *c, int row, bool label)
{
	if (row == c->plot_h)
		return c->utf8 ? "\xe2\x94\x94" : "+";         /* └ */
	if (label)
		return c->utf8 ? "\xe2\x94\xa4" : "+";         /* ┤ */
	return c->utf8 ? "\xe2\x94\x82" : "|";                 /* │ */
}

int
chart_line(const struct chart *c, int row, char *buf, size_t len)
{
	const char *label = "";
	size_t used = 0;
	int cols = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (c->plot_w <= 0 || row < 0 || row >= c->height)
		return put_pad(buf, len, &used, c->width);
	if (row == c->ylabel_top_row)
		label = c->ylabel_top;
	else if (row == c->ylabel_bottom_row)
		label = c->ylabel_bottom;
	cols += put_pad(buf, len, &used, c->gutter - 1 - text_width(label));
	if (!put(buf, len, &used, label))
		return cols;
	cols += text_width(label);
	if (!put(buf, len, &used, axis_glyph(c, row, label[0] != '\0')))
		return cols;
	cols++;
	if (row == c->plot_h) {
		if (put(buf, len, &used, c->xaxis))
			cols += c->plot_w;
		return cols;
	}
	for (int x = 0; x < c->plot_w; x++) {
		if (!put(buf, len, &used, c->cells[row * c->plot_w + x]))
			break;
		cols++;
	}
	return cols;
}

int
chart_sparkline(char *buf, size_t len, const double *v, size_t n,
    int width, bool utf8, double *min, double *max)
{
	double lo, hi;
	size_t first, used = 0;
	int cols = 0;

	if (len > 0)
		buf[0] = '\0';
	if (width < 0)
		width = 0;
	first = n > (size_t)width ? n - (size_t)width : 0;
	/* (v may be NULL when n is 0: no arithmetic on it then) */
	chart_minmax(n > 0 ? v + first : v, n - first, &lo, &hi);
	if (min != NULL)
		*min = lo;
	if (max != NULL)
		*max = hi;
	for (size_t i = first; i < n; i++) {
		char ascii[2] = { 0, 0 };
		const char *cell;

		if (!isfinite(v[i]))
			cell = " ";
		else {
			int l = chart_level(v[i], lo, hi, CHART_LEVELS);

			ascii[0] = block_ascii[l];
			cell = utf8 ? block_utf8[l] : ascii;
		}
		if (!put(buf, len, &used, cell))
			break;
		cols++;
	}
	return cols;
}
