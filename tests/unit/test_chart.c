/*
 * test_chart.c: the Trends screen's braille line chart and sparklines.
 *
 * ui/chart.c turns a series into text without a terminal, so these tests
 * pin down the exact characters: where each braille dot lands for small
 * known series (a rising line, a step that must be joined, a range folded
 * into one dot column, a spread-out pair, a gap at a NaN), the eight
 * sparkline levels, the constant and the empty series, the y and x labels,
 * and that no line is ever wider than asked nor cut inside a character.
 * Runs in C.UTF-8, which every glibc system has.
 *
 * Braille cells are written as their code point's UTF-8 bytes, named after
 * their dot bits (chart.c numbers them 0x01 0x08 / 0x02 0x10 / 0x04 0x20 /
 * 0x40 0x80, top to bottom).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/chart.h"
#include "ui/text.h"

#define B07 "\xe2\xa0\x87"      /* U+2807: left column, rows 0-2 */
#define B09 "\xe2\xa0\x89"      /* U+2809: both columns, top row */
#define B0A "\xe2\xa0\x8a"      /* U+280A: left row 1, right row 0 */
#define B40 "\xe2\xa1\x80"      /* U+2840: left, bottom row */
#define B4F "\xe2\xa1\x8f"      /* U+284F: left full, right top */
#define B60 "\xe2\xa1\xa0"      /* U+2860: left row 3, right row 2 */
#define B77 "\xe2\xa1\xb7"      /* U+2877: left full, right rows 1-2 */
#define BC0 "\xe2\xa3\x80"      /* U+28C0: both columns, bottom row */
#define TEE "\xe2\x94\xa4"      /* ┤ a y label's row */
#define VL "\xe2\x94\x82"       /* │ */
#define CORNER "\xe2\x94\x94"   /* └ */

#define S1 "\xe2\x96\x81"       /* ▁ */
#define S2 "\xe2\x96\x82"
#define S3 "\xe2\x96\x83"
#define S4 "\xe2\x96\x84"       /* ▄ the constant level */
#define S5 "\xe2\x96\x85"
#define S6 "\xe2\x96\x86"
#define S7 "\xe2\x96\x87"
#define S8 "\xe2\x96\x88"       /* █ */

/* Plot, then compare every line of the chart with want[]. */
static void
check_chart(const double *v, size_t n, int width, int height, bool utf8,
    const char *const *want)
{
	struct chart c;
	char buf[1024];

	assert_int_equal(chart_plot(&c, v, n, width, height, utf8), 0);
	for (int row = 0; row < height; row++) {
		assert_int_equal(chart_line(&c, row, buf, sizeof buf), width);
		assert_string_equal(buf, want[row]);
		assert_int_equal(text_width(buf), width);
	}
	chart_free(&c);
}

static void
test_level(void **state)
{
	(void)state;
	assert_int_equal(chart_level(0.0, 0.0, 7.0, 8), 0);
	assert_int_equal(chart_level(7.0, 0.0, 7.0, 8), 7);
	assert_int_equal(chart_level(3.0, 1.0, 5.0, 8), 4);     /* 3.5 up */
	assert_int_equal(chart_level(-1.0, 0.0, 7.0, 8), 0);    /* clamped */
	assert_int_equal(chart_level(9.0, 0.0, 7.0, 8), 7);
	assert_int_equal(chart_level(5.0, 5.0, 5.0, 8), 3);     /* constant */
	assert_int_equal(chart_level(5.0, 5.0, 5.0, 4), 1);
}

static void
test_minmax(void **state)
{
	const double v[] = { NAN, 4.0, -2.0, INFINITY, 3.0 };
	const double none[] = { NAN, NAN };
	double lo, hi;

	(void)state;
	assert_true(chart_minmax(v, 5, &lo, &hi));
	assert_true(lo == -2.0 && hi == 4.0);
	assert_false(chart_minmax(none, 2, &lo, &hi));
	assert_true(isnan(lo) && isnan(hi));
	assert_false(chart_minmax(NULL, 0, &lo, &hi));
}

static void
test_format_label(void **state)
{
	char buf[CHART_LABEL_MAX];

	(void)state;
	chart_format_label(buf, sizeof buf, 12345.6);
	assert_string_equal(buf, "12346");
	chart_format_label(buf, sizeof buf, 800.0);
	assert_string_equal(buf, "800");
	chart_format_label(buf, sizeof buf, 250.3);
	assert_string_equal(buf, "250.3");
	chart_format_label(buf, sizeof buf, 12.5);
	assert_string_equal(buf, "12.50");
	chart_format_label(buf, sizeof buf, 0.00123);
	assert_string_equal(buf, "0.00123");
	chart_format_label(buf, sizeof buf, 1.5e7);
	assert_string_equal(buf, "1.5e+07");
	chart_format_label(buf, sizeof buf, -0.0);
	assert_string_equal(buf, "0");
	chart_format_label(buf, sizeof buf, -3.0);
	assert_string_equal(buf, "-3");
	chart_format_label(buf, sizeof buf, NAN);
	assert_string_equal(buf, "?");
}

/*
 * 0 1 2 3 in 2 x 1 cells (4 x 4 dots): one value a dot column, on dot rows
 * 3 2 1 0; each column joined to the one before it.  One line of plot has
 * room for one y label only: the maximum.
 */
static void
test_braille_rising(void **state)
{
	const double v[] = { 0, 1, 2, 3 };
	const char *const want[] = { "3" TEE B60 B0A, " " CORNER "0 " };

	(void)state;
	check_chart(v, 4, 4, 2, true, want);
}

/* The same with ASCII: ' for dots in the upper half, . lower, : both. */
static void
test_ascii_rising(void **state)
{
	const double v[] = { 0, 1, 2, 3 };
	const char *const want[] = { "3+.'", " +0 " };

	(void)state;
	check_chart(v, 4, 4, 2, false, want);
}

/*
 * A step 0 0 7 7 in 2 x 2 cells (4 x 8 dots): the bottom dot row under
 * the first two columns, then a vertical run up to the top in the third
 * (stopping short of the dot it joins), and the top dot in the fourth.
 */
static void
test_braille_step_joined(void **state)
{
	const double v[] = { 0, 0, 7, 7 };
	const char *const want[] = {
		"7" TEE " " B4F,
		"0" TEE BC0 B07,
		" " CORNER "0 ",
	};

	(void)state;
	check_chart(v, 4, 4, 3, true, want);
}

/*
 * Eight values in four dot columns: each column shows its pair's range
 * ([0,3] [1,2] [3,0] [2,2]), joined to the last value of the one before.
 */
static void
test_braille_range_per_column(void **state)
{
	const double v[] = { 0, 3, 1, 2, 3, 0, 2, 2 };
	const char *const want[] = { "3" TEE B77 B77, " " CORNER "0 " };

	(void)state;
	check_chart(v, 8, 4, 2, true, want);
}

/* Two values over four dot columns: interpolated, the rising line again. */
static void
test_braille_spread(void **state)
{
	const double v[] = { 0, 3 };
	const char *const want[] = { "3" TEE B60 B0A, " " CORNER "0 " };

	(void)state;
	check_chart(v, 2, 4, 2, true, want);
}

/* A NaN leaves its dot column empty and is not joined across. */
static void
test_braille_nan_gap(void **state)
{
	const double v[] = { 0, NAN, 3, 3 };
	const char *const want[] = { "3" TEE B40 B09, " " CORNER "0 " };

	(void)state;
	check_chart(v, 4, 4, 2, true, want);
}

/*
 * A constant series: a line half-way up (dot row 4 of 8, the top of the
 * second cell row), one y label, on that row.
 */
static void
test_braille_constant(void **state)
{
	const double v[] = { 5, 5, 5, 5 };
	const char *const want[] = {
		" " VL "  ",
		"5" TEE B09 B09,
		" " CORNER "0 ",
	};

	(void)state;
	check_chart(v, 4, 4, 3, true, want);
}

/* No values: an empty plot with its axis, no labels; all NaN: x labels. */
static void
test_braille_empty(void **state)
{
	const double nan4[] = { NAN, NAN, NAN, NAN };
	const char *const empty[] = {
		VL "     ", VL "     ", CORNER "     ",
	};
	const char *const nans[] = {
		VL "     ", VL "     ", CORNER "0   3",
	};
	struct chart c;

	(void)state;
	check_chart(NULL, 0, 6, 3, true, empty);
	check_chart(nan4, 4, 6, 3, true, nans);
	assert_int_equal(chart_plot(&c, nan4, 4, 6, 3, true), 0);
	assert_int_equal(c.nvalid, 0);
	assert_int_equal(c.ylabel_top_row, -1);
	assert_int_equal(c.ylabel_bottom_row, -1);
	chart_free(&c);
}

/*
 * 1024 values (0 .. 1023) in 40 columns after a 5-column gutter: y labels
 * on the first and last plot rows, x labels at both ends, the middle and
 * the quarters (the index of the first value of that column).
 */
static void
test_axis_labels(void **state)
{
	double *v = calloc(1024, sizeof *v);
	struct chart c;
	char buf[1024];

	(void)state;
	assert_non_null(v);
	for (int i = 0; i < 1024; i++)
		v[i] = i;
	assert_int_equal(chart_plot(&c, v, 1024, 45, 5, true), 0);
	assert_int_equal(c.gutter, 5);
	assert_int_equal(c.plot_w, 40);
	assert_int_equal(c.plot_h, 4);
	assert_string_equal(c.xaxis,
	    "0        256       512       768    1023");
	chart_line(&c, 4, buf, sizeof buf);
	assert_string_equal(buf,
	    "    " CORNER "0        256       512       768    1023");
	chart_line(&c, 0, buf, sizeof buf);
	assert_memory_equal(buf, "1023" TEE, strlen("1023" TEE));
	chart_line(&c, 1, buf, sizeof buf);
	assert_memory_equal(buf, "    " VL, strlen("    " VL));
	chart_line(&c, 3, buf, sizeof buf);
	assert_memory_equal(buf, "   0" TEE, strlen("   0" TEE));
	for (int row = 0; row < 5; row++) {
		assert_int_equal(chart_line(&c, row, buf, sizeof buf), 45);
		assert_int_equal(text_width(buf), 45);
	}
	assert_int_equal(chart_index_at(1024, 40, 0), 0);
	assert_int_equal(chart_index_at(1024, 40, 39), 998);
	assert_int_equal(chart_index_at(2, 2, 1), 1);
	chart_free(&c);
	free(v);
}

/*
 * Too small: no room beside the labels, or no line for the x axis.  A
 * short buffer cuts a line at a whole character.
 */
static void
test_width_limits(void **state)
{
	const double v[] = { 0, 1, 2, 3 };
	struct chart c;
	char buf[64];

	(void)state;
	assert_int_equal(chart_plot(&c, v, 4, 2, 2, true), -1);
	assert_int_equal(chart_line(&c, 0, buf, sizeof buf), 2);
	assert_string_equal(buf, "  ");
	chart_free(&c);
	assert_int_equal(chart_plot(&c, v, 4, 10, 1, true), -1);
	chart_free(&c);

	assert_int_equal(chart_plot(&c, v, 4, 4, 2, true), 0);
	/* "3" (1 byte) and "┤" (3) fit in 6, the next cell (3) does not. */
	assert_int_equal(chart_line(&c, 0, buf, 6), 2);
	assert_string_equal(buf, "3" TEE);
	assert_int_equal(chart_line(&c, 0, buf, 1), 0);
	assert_string_equal(buf, "");
	/* Rows outside the chart are blank. */
	assert_int_equal(chart_line(&c, 2, buf, sizeof buf), 4);
	assert_string_equal(buf, "    ");
	chart_free(&c);
}

/* Every line exactly as wide as asked, at many sizes, with a spiky series. */
static void
test_lines_exact_width(void **state)
{
	double v[500];
	char buf[4096];
	struct chart c;

	(void)state;
	for (int i = 0; i < 500; i++)
		v[i] = i % 97 == 0 ? 65000.0 : (i % 7 == 0 ? NAN : i * 1.5);
	for (int w = 8; w <= 200; w += 13)
		for (int h = 2; h <= 30; h += 7) {
			assert_int_equal(chart_plot(&c, v, 500, w, h, true), 0);
			for (int row = 0; row < h; row++) {
				assert_int_equal(chart_line(&c, row, buf,
				    sizeof buf), w);
				assert_int_equal(text_width(buf), w);
			}
			chart_free(&c);
		}
}

static void
test_sparkline_levels(void **state)
{
	const double v[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	const double w[] = { 1, 5, 3 };
	char buf[64];
	double lo, hi;

	(void)state;
	assert_int_equal(chart_sparkline(buf, sizeof buf, v, 8, 8, true, &lo,
	    &hi), 8);
	assert_string_equal(buf, S1 S2 S3 S4 S5 S6 S7 S8);
	assert_true(lo == 0.0 && hi == 7.0);
	assert_int_equal(chart_sparkline(buf, sizeof buf, w, 3, 20, true, &lo,
	    &hi), 3);
	assert_string_equal(buf, S1 S8 S5);
	assert_true(lo == 1.0 && hi == 5.0);
	assert_int_equal(chart_sparkline(buf, sizeof buf, v, 8, 8, false, NULL,
	    NULL), 8);
	assert_string_equal(buf, "_.-:=+*#");
}

static void
test_sparkline_constant(void **state)
{
	const double v[] = { 2, 2, 2 };
	const double one[] = { 42 };
	char buf[64];
	double lo, hi;

	(void)state;
	assert_int_equal(chart_sparkline(buf, sizeof buf, v, 3, 10, true, &lo,
	    &hi), 3);
	assert_string_equal(buf, S4 S4 S4);
	assert_true(lo == 2.0 && hi == 2.0);
	assert_int_equal(chart_sparkline(buf, sizeof buf, one, 1, 10, true,
	    NULL, NULL), 1);
	assert_string_equal(buf, S4);
}

static void
test_sparkline_empty_and_nan(void **state)
{
	const double v[] = { 0, NAN, 7 };
	const double nans[] = { NAN, NAN };
	char buf[64];
	double lo = 0, hi = 0;

	(void)state;
	assert_int_equal(chart_sparkline(buf, sizeof buf, NULL, 0, 10, true,
	    &lo, &hi), 0);
	assert_string_equal(buf, "");
	assert_true(isnan(lo) && isnan(hi));
	assert_int_equal(chart_sparkline(buf, sizeof buf, v, 3, 10, true, &lo,
	    &hi), 3);
	assert_string_equal(buf, S1 " " S8);
	assert_true(lo == 0.0 && hi == 7.0);
	assert_int_equal(chart_sparkline(buf, sizeof buf, nans, 2, 10, true,
	    &lo, &hi), 2);
	assert_string_equal(buf, "  ");
	assert_true(isnan(lo) && isnan(hi));
}

/* The last width values, scaled to their own range; whole cells only. */
static void
test_sparkline_width(void **state)
{
	const double v[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	char buf[64];
	double lo, hi;

	(void)state;
	assert_int_equal(chart_sparkline(buf, sizeof buf, v, 10, 4, true, &lo,
	    &hi), 4);
	assert_string_equal(buf, S1 S3 S6 S8);
	assert_true(lo == 6.0 && hi == 9.0);
	assert_int_equal(text_width(buf), 4);
	assert_int_equal(chart_sparkline(buf, sizeof buf, v, 10, 0, true, &lo,
	    &hi), 0);
	assert_string_equal(buf, "");
	assert_int_equal(chart_sparkline(buf, sizeof buf, v, 10, -3, true,
	    NULL, NULL), 0);
	/* 7 bytes: two cells of three and the NUL. */
	assert_int_equal(chart_sparkline(buf, 7, v, 8, 8, true, NULL, NULL),
	    2);
	assert_string_equal(buf, S1 S2);
	assert_int_equal(chart_sparkline(buf, 0, v, 8, 8, true, NULL, NULL),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level),
		cmocka_unit_test(test_minmax),
		cmocka_unit_test(test_format_label),
		cmocka_unit_test(test_braille_rising),
		cmocka_unit_test(test_ascii_rising),
		cmocka_unit_test(test_braille_step_joined),
		cmocka_unit_test(test_braille_range_per_column),
		cmocka_unit_test(test_braille_spread),
		cmocka_unit_test(test_braille_nan_gap),
		cmocka_unit_test(test_braille_constant),
		cmocka_unit_test(test_braille_empty),
		cmocka_unit_test(test_axis_labels),
		cmocka_unit_test(test_width_limits),
		cmocka_unit_test(test_lines_exact_width),
		cmocka_unit_test(test_sparkline_levels),
		cmocka_unit_test(test_sparkline_constant),
		cmocka_unit_test(test_sparkline_empty_and_nan),
		cmocka_unit_test(test_sparkline_width),
	};

	if (setlocale(LC_ALL, "C.UTF-8") == NULL) {
		fprintf(stderr, "test_chart: no C.UTF-8 locale\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
