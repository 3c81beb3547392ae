/*
 * chart.h: a line chart and a sparkline as text, computed as data.
 *
 * The Trends screen draws the latest Raman spectrum as a braille line chart
 * and each model output as a sparkline of block characters.  Everything
 * here is pure (no curses, no locale lookup: the caller says whether the
 * terminal takes UTF-8), so the unit tests check the exact text.
 *
 * Scaling.  A series is scaled to the minimum and maximum of its finite
 * values; NaN and infinite values are skipped (left out of the range and
 * not plotted: the line has a gap there, the sparkline a blank).  A
 * constant series is drawn half-way up.
 *
 * Line chart.  A terminal cell holds a braille character of 2 x 4 dots, so
 * a plot of w x h cells has 2w x 4h dots.  With at least as many values as
 * dot columns, each dot column shows the range (minimum to maximum) of the
 * values that fall in it, so a narrow peak is never lost; with fewer, the
 * values are spread over the width and interpolated.  A dot column is
 * joined to the one before it by a vertical run of dots, so the line is
 * unbroken however steep.  The chart is height lines of exactly width
 * columns: a gutter with the y labels (maximum on the top row, minimum on
 * the bottom one) and the axis, the plot, and a last line of x labels (the
 * value's index, at both ends, the middle and the quarters where they
 * fit).  A spectrum of 1024 pixels in 44 x 5:
 *
 *	9888┤           ⣿
 *	    │           ⣿
 *	    │          ⢠⢻          ⢠⠟⣆       ⣄
 *	 800┤⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣸ ⣇⣀⣀⣀⣀⣀⣀⣀⣀⣠⠏ ⠘⢦⣀⣀⣀⣀⣀⣠⢿⣀⣀⣀⣀⣀⣀
 *	    └0       236       498       761    1023
 *
 * The blanks of the plot are spaces, not U+2800.  Without UTF-8 the dots
 * become ' . : and the axis | + .
 *
 * Sparkline.  One value a cell, the last `width` values of the series, each
 * one of the eight levels ▁▂▃▄▅▆▇█ (ASCII: _.-:=+*#).
 */
#ifndef JOPE_UI_CHART_H
#define JOPE_UI_CHART_H

#include <stdbool.h>
#include <stddef.h>

#define CHART_CELL_MAX 4        /* bytes of one cell: 3 of UTF-8, NUL */
#define CHART_LABEL_MAX 32
#define CHART_LEVELS 8          /* of a sparkline cell */

/*
 * The smallest and largest finite values of v[0 .. n); false (and both
 * NaN) when there is none.
 */
bool chart_minmax(const double *v, size_t n, double *min, double *max);

/*
 * Level of v in [0, levels) when min .. max spans the levels: min is 0,
 * max is levels - 1, rounded to the nearest.  When max <= min (a constant
 * series), (levels - 1) / 2.  Values out of range are clamped.
 */
int chart_level(double v, double min, double max, int levels);

/* An axis label: "12345", "12.34", "0.00123", "1.23e+07". */
void chart_format_label(char *buf, size_t len, double v);

struct chart {
	int width, height;      /* as asked, in columns and lines */
	int plot_w, plot_h;     /* the braille area, in cells */
	int gutter;             /* columns left of it: y labels, the axis */
	bool utf8;
	size_t n, nvalid;       /* values, finite values */
	double min, max;        /* of the finite values (NaN: none) */
	/* y labels and the plot rows they are on (-1: not shown). */
	char ylabel_top[CHART_LABEL_MAX], ylabel_bottom[CHART_LABEL_MAX];
	int ylabel_top_row, ylabel_bottom_row;
	char *xaxis;            /* x labels: plot_w columns of ASCII */
	char (*cells)[CHART_CELL_MAX];  /* [plot_h * plot_w], row by row */
};

/*
 * Plot v[0 .. n) into a chart of width x height (y labels, axis and x
 * labels included).  Returns 0, or -1 when the chart does not fit (fewer
 * than 2 lines, or no column left for the plot beside the labels); c is
 * then empty and chart_line gives blank lines.  Free with chart_free,
 * whatever it returned.
 */
int chart_plot(struct chart *c, const double *v, size_t n, int width,
    int height, bool utf8);
void chart_free(struct chart *c);

/*
 * Line row (0 at the top, height - 1 the x axis) of the chart, exactly
 * width columns, into buf (cut at a whole character when len is short).
 * Returns the columns written.
 */
int chart_line(const struct chart *c, int row, char *buf, size_t len);

/*
 * The value index shown under plot column col (the first value of its
 * first dot column); n values over plot_w cells.
 */
size_t chart_index_at(size_t n, int plot_w, int col);

/*
 * A sparkline of the last min(n, width) values of v into buf, scaled to
 * their own finite minimum and maximum (returned in *min, *max when not
 * NULL; NaN when there is none).  NaN values are blanks.  Stops at a whole
 * cell when len is short.  Returns the cells (columns) written.
 */
int chart_sparkline(char *buf, size_t len, const double *v, size_t n,
    int width, bool utf8, double *min, double *max);

#endif
