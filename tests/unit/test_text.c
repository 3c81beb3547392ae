/*
 * test_text.c: display widths, fitting, formatting and screen layout.
 *
 * The console must line up Chinese and Latin text in the same table, so
 * these tests pin down the column arithmetic the UI relies on: ASCII is one
 * column a character, CJK two, combining marks none; a cut never lands
 * inside a UTF-8 sequence or half-way through a wide character, and a cell
 * is always padded to its exact width.  The layout tests check the bands and
 * table columns at 80x24, wide and tiny terminals without a terminal.
 * Runs in C.UTF-8, which every glibc system has.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/layout.h"
#include "ui/text.h"

#define ZHONG "\xe4\xb8\xad"    /* U+4E2D, two columns */
#define WEN "\xe6\x96\x87"      /* U+6587, two columns */
#define ACUTE "\xcc\x81"        /* U+0301 combining acute, no column */
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */

static void
test_width_ascii(void **state)
{
	(void)state;
	assert_int_equal(text_width(""), 0);
	assert_int_equal(text_width("Pump 1"), 6);
}

static void
test_width_cjk(void **state)
{
	(void)state;
	assert_int_equal(text_width(ZHONG WEN), 4);
	assert_int_equal(text_width("a" ZHONG "b"), 4);
	/* A full-width colon, as in "站點：" */
	assert_int_equal(text_width("\xef\xbc\x9a"), 2);
}

static void
test_width_combining(void **state)
{
	(void)state;
	assert_int_equal(text_width("e" ACUTE), 1);
	assert_int_equal(text_width("caf" "e" ACUTE "!"), 5);
}

static void
test_width_invalid(void **state)
{
	(void)state;
	/* A stray byte and a truncated sequence count one column each. */
	assert_int_equal(text_width("a\xff" "b"), 3);
	assert_int_equal(text_width("a\xe4\xb8"), 3);
	assert_int_equal(text_width("a\tb"), 3);
}

static void
test_fit_pad(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(text_fit(buf, sizeof buf, "ab", 5, ALIGN_LEFT), 5);
	assert_string_equal(buf, "ab   ");
	assert_int_equal(text_fit(buf, sizeof buf, "ab", 5, ALIGN_RIGHT), 5);
	assert_string_equal(buf, "   ab");
	assert_int_equal(text_fit(buf, sizeof buf, "ab", 5, ALIGN_CENTER), 5);
	assert_string_equal(buf, " ab  ");
	assert_int_equal(text_fit(buf, sizeof buf, ZHONG, 4, ALIGN_LEFT), 4);
	assert_string_equal(buf, ZHONG "  ");
	assert_int_equal(text_fit(buf, sizeof buf, "", 3, ALIGN_LEFT), 3);
	assert_string_equal(buf, "   ");
	assert_int_equal(text_fit(buf, sizeof buf, "abc", 0, ALIGN_LEFT), 0);
	assert_string_equal(buf, "");
}

static void
test_fit_cut_ascii(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(text_fit(buf, sizeof buf, "abcdef", 4, ALIGN_LEFT), 4);
	assert_string_equal(buf, "abcd");
	/* Cut text ignores alignment: it fills the cell. */
	assert_int_equal(text_fit(buf, sizeof buf, "abcdef", 4, ALIGN_RIGHT), 4);
	assert_string_equal(buf, "abcd");
	assert_int_equal(text_fit_ellipsis(buf, sizeof buf, "abcdef", 4,
	    ALIGN_LEFT), 4);
	assert_string_equal(buf, "abc" ELLIPSIS);
	/* Exact fit: no ellipsis. */
	assert_int_equal(text_fit_ellipsis(buf, sizeof buf, "abcd", 4,
	    ALIGN_LEFT), 4);
	assert_string_equal(buf, "abcd");
}

static void
test_fit_cut_cjk_odd(void **state)
{
	char buf[64];

	(void)state;
	/* Three columns hold one CJK character and a pad, never half of one. */
	assert_int_equal(text_fit(buf, sizeof buf, ZHONG WEN, 3, ALIGN_LEFT),
	    3);
	assert_string_equal(buf, ZHONG " ");
	assert_int_equal(text_width(buf), 3);
	assert_int_equal(text_fit(buf, sizeof buf, ZHONG WEN, 1, ALIGN_LEFT),
	    1);
	assert_string_equal(buf, " ");
	/* "a中文" in 4 columns: a + 中 + pad. */
	assert_int_equal(text_fit(buf, sizeof buf, "a" ZHONG WEN, 4,
	    ALIGN_LEFT), 4);
	assert_string_equal(buf, "a" ZHONG " ");
	/* With an ellipsis: 中 + … in 3; in 4 the ellipsis follows the
	 * text and the odd column is padding. */
	assert_int_equal(text_fit_ellipsis(buf, sizeof buf, ZHONG WEN, 3,
	    ALIGN_LEFT), 3);
	assert_string_equal(buf, ZHONG ELLIPSIS);
	assert_int_equal(text_fit_ellipsis(buf, sizeof buf, ZHONG WEN "x", 4,
	    ALIGN_LEFT), 4);
	assert_string_equal(buf, ZHONG ELLIPSIS " ");
	assert_int_equal(text_width(buf), 4);
}

static void
test_fit_combining_kept(void **state)
{
	char buf[64];

	(void)state;
	/* The accent belongs to the e it follows and comes along with it. */
	assert_int_equal(text_fit(buf, sizeof buf, "e" ACUTE "x", 1,
	    ALIGN_LEFT), 1);
	assert_string_equal(buf, "e" ACUTE);
}

static void
test_fit_small_buffer(void **state)
{
	char buf[5];

	(void)state;
	/* Room for 4 bytes: 中 (3 bytes) and a pad; never a partial 文. */
	text_fit(buf, sizeof buf, ZHONG WEN, 4, ALIGN_LEFT);
	assert_string_equal(buf, ZHONG " ");
	assert_int_equal(text_fit(buf, 0, "abc", 3, ALIGN_LEFT), 0);
}

static void
test_fit_invalid(void **state)
{
	char buf[64];

	(void)state;
	text_fit(buf, sizeof buf, "a\xff\tb", 5, ALIGN_LEFT);
	assert_string_equal(buf, "a??b ");
}

static void
test_wrap(void **state)
{
	(void)state;
	assert_int_equal(text_wrap("hello world", 20), 11);
	assert_int_equal(text_wrap("hello world", 8), 5);
	assert_int_equal(text_wrap("helloworld", 4), 4);
	/* CJK wraps between characters, at a character boundary. */
	assert_int_equal(text_wrap(ZHONG WEN ZHONG, 5), 6);
	assert_int_equal(text_wrap(ZHONG WEN, 1), 3);   /* always advances */
	assert_int_equal(text_wrap("ab\ncd", 10), 2);
}

static void
test_format_age(void **state)
{
	char buf[32];

	(void)state;
	format_age(buf, sizeof buf, -1);
	assert_string_equal(buf, "\xe2\x80\x94");
	format_age(buf, sizeof buf, 400000);
	assert_string_equal(buf, "0.4 s");
	format_age(buf, sizeof buf, 12300000);
	assert_string_equal(buf, "12 s");
	format_age(buf, sizeof buf, (int64_t)5 * 60 * 1000000 + 7);
	assert_string_equal(buf, "5 min");
	format_age(buf, sizeof buf, (int64_t)3 * 3600 * 1000000);
	assert_string_equal(buf, "3 h");
	format_age(buf, sizeof buf, (int64_t)2 * 86400 * 1000000);
	assert_string_equal(buf, "2 d");
}

static void
test_format_bytes(void **state)
{
	char buf[32];

	(void)state;
	format_bytes(buf, sizeof buf, -1);
	assert_string_equal(buf, "\xe2\x80\x94");
	format_bytes(buf, sizeof buf, 512);
	assert_string_equal(buf, "512 B");
	format_bytes(buf, sizeof buf, 1536);
	assert_string_equal(buf, "1.5 KiB");
	format_bytes(buf, sizeof buf, (int64_t)(12.3 * 1024 * 1024 * 1024));
	assert_string_equal(buf, "12.3 GiB");
}

static void
test_format_number(void **state)
{
	char buf[32];

	(void)state;
	format_number(buf, sizeof buf, 1.23456, -1, "bar");
	assert_string_equal(buf, "1.235 bar");
	format_number(buf, sizeof buf, 123.456, -1, "");
	assert_string_equal(buf, "123.5");
	format_number(buf, sizeof buf, 12345.6, -1, "mL/min");
	assert_string_equal(buf, "12346 mL/min");
	format_number(buf, sizeof buf, -0.0001, -1, NULL);
	assert_string_equal(buf, "0.000");
	format_number(buf, sizeof buf, 42.0, 0, "rpm");
	assert_string_equal(buf, "42 rpm");
	format_number(buf, sizeof buf, 7.25, 1, "\xc2\xb0" "C");
	assert_string_equal(buf, "7.2 \xc2\xb0" "C");
}

static void
assert_inside(const struct rect *r, int lines, int cols)
{
	assert_true(r->h >= 0 && r->w >= 0);
	if (r->h == 0)
		return;
	assert_true(r->y >= 0 && r->x >= 0);
	assert_true(r->y + r->h <= lines);
	assert_true(r->x + r->w <= cols);
}

static void
test_layout_80x24(void **state)
{
	struct layout lo;

	(void)state;
	layout_compute(&lo, 24, 80);
	assert_false(lo.too_small);
	assert_int_equal(lo.header.y, 0);
	assert_int_equal(lo.header.h, 1);
	assert_int_equal(lo.body.y, 1);
	assert_int_equal(lo.body.h, 21);
	assert_int_equal(lo.status.y, 22);
	assert_int_equal(lo.status.h, 1);
	assert_int_equal(lo.keys.y, 23);
	assert_int_equal(lo.keys.h, 1);
	assert_int_equal(lo.body.w, 80);
	assert_int_equal(lo.keys.w, 80);
}

static void
test_layout_tiny(void **state)
{
	struct layout lo;

	(void)state;
	for (int lines = 0; lines <= 10; lines++) {
		for (int cols = 0; cols <= 50; cols += 5) {
			layout_compute(&lo, lines, cols);
			assert_inside(&lo.header, lines, cols);
			assert_inside(&lo.body, lines, cols);
			assert_inside(&lo.status, lines, cols);
			assert_inside(&lo.keys, lines, cols);
			assert_true(lo.header.h + lo.body.h + lo.status.h +
			    lo.keys.h <= lines);
			assert_int_equal(lo.too_small,
			    lines < LAYOUT_MIN_LINES || cols < LAYOUT_MIN_COLS);
		}
	}
	layout_compute(&lo, 3, 80);
	assert_int_equal(lo.header.h, 1);
	assert_int_equal(lo.body.h, 1);
	assert_int_equal(lo.status.h, 0);
	assert_int_equal(lo.keys.h, 1);
	assert_int_equal(lo.keys.y, 2);
	layout_compute(&lo, -5, -5);
	assert_true(lo.too_small);
	assert_int_equal(lo.body.h, 0);
}

static int
table_right(const struct table_layout *t)
{
	const int last = t->ncols - 1;

	return t->col[last].x + t->col[last].w;
}

static void
test_table_80(void **state)
{
	struct table_layout t;

	(void)state;
	layout_table(&t, 80);
	assert_int_equal(table_right(&t), 80);
	assert_true(layout_table_find(&t, COL_NAME) == 0);
	assert_true(layout_table_find(&t, COL_STATE) >= 0);
	assert_true(layout_table_find(&t, COL_VALUE) >= 0);
	assert_true(layout_table_find(&t, COL_AGE) >= 0);
	assert_int_equal(layout_table_find(&t, COL_POLLS), -1);
	assert_int_equal(layout_table_find(&t, COL_INFO), t.ncols - 1);
	/* Cells hold "Connecting" and "-1234.567 bar" with their padding;
	   the name holds a point six columns in, "FT-101 Zone I flow". */
	assert_true(t.col[0].w >= 26);
	assert_true(t.col[layout_table_find(&t, COL_STATE)].w >= 12);
	assert_true(t.col[layout_table_find(&t, COL_VALUE)].w >= 14);
	assert_true(t.col[layout_table_find(&t, COL_INFO)].w >= 10);
	for (int i = 1; i < t.ncols; i++)
		assert_int_equal(t.col[i].x,
		    t.col[i - 1].x + t.col[i - 1].w + 1);
}

static void
test_table_wide_and_narrow(void **state)
{
	struct table_layout t, t80;

	(void)state;
	layout_table(&t80, 80);
	layout_table(&t, 160);
	assert_int_equal(table_right(&t), 160);
	assert_true(layout_table_find(&t, COL_POLLS) >= 0);
	assert_true(t.col[0].w > t80.col[0].w);
	layout_table(&t, 60);
	assert_int_equal(table_right(&t), 60);
	assert_int_equal(layout_table_find(&t, COL_AGE), -1);
	for (int w = 0; w <= 200; w++) {
		layout_table(&t, w);
		assert_true(t.ncols >= 1);
		for (int i = 0; i < t.ncols; i++)
			assert_true(t.col[i].w >= 0);
		if (w >= LAYOUT_MIN_COLS)
			assert_true(table_right(&t) <= w);
	}
}

static void
test_status_fit(void **state)
{
	struct status_item it[3] = {
		{ 20, 10, 1, STATUS_LONG },
		{ 30, 30, 3, STATUS_LONG },
		{ 15, 5, 2, STATUS_LONG },
	};

	(void)state;
	assert_int_equal(layout_status(it, 3, 100, 2), 69);
	assert_int_equal(it[0].fit, STATUS_LONG);
	/* 60 columns: the lowest priority item is shortened first. */
	assert_int_equal(layout_status(it, 3, 60, 2), 59);
	assert_int_equal(it[0].fit, STATUS_SHORT);
	assert_int_equal(it[2].fit, STATUS_LONG);
	assert_int_equal(layout_status(it, 3, 50, 2), 49);
	assert_int_equal(it[2].fit, STATUS_SHORT);
	/* Then dropped, lowest priority first. */
	assert_int_equal(layout_status(it, 3, 40, 2), 37);
	assert_int_equal(it[0].fit, STATUS_HIDDEN);
	assert_int_equal(it[1].fit, STATUS_LONG);
	assert_int_equal(layout_status(it, 3, 10, 2), 0);
	assert_int_equal(it[1].fit, STATUS_HIDDEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width_ascii),
		cmocka_unit_test(test_width_cjk),
		cmocka_unit_test(test_width_combining),
		cmocka_unit_test(test_width_invalid),
		cmocka_unit_test(test_fit_pad),
		cmocka_unit_test(test_fit_cut_ascii),
		cmocka_unit_test(test_fit_cut_cjk_odd),
		cmocka_unit_test(test_fit_combining_kept),
		cmocka_unit_test(test_fit_small_buffer),
		cmocka_unit_test(test_fit_invalid),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_format_age),
		cmocka_unit_test(test_format_bytes),
		cmocka_unit_test(test_format_number),
		cmocka_unit_test(test_layout_80x24),
		cmocka_unit_test(test_layout_tiny),
		cmocka_unit_test(test_table_80),
		cmocka_unit_test(test_table_wide_and_narrow),
		cmocka_unit_test(test_status_fit),
	};

	if (setlocale(LC_ALL, "C.UTF-8") == NULL) {
		fprintf(stderr, "test_text: no C.UTF-8 locale\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
