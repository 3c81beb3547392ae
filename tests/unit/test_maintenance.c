/*
 * test_maintenance.c: maintenance windows on a virtual clock, row by row of
 * the tables in src/plant/maintenance.c: the phase of one window at every
 * boundary (24 h before the start, the start, the end, to the
 * microsecond), the choice among several windows, batch starts, the set
 * (dedupe by id, cancel, prune, full), the countdown text and the JSON
 * form with each of its errors.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plant/maintenance.h"

/* 2026-11-22T06:00:00Z (checked against Python's calendar.timegm). */
#define T0	INT64_C(1795327200000000)
#define H	MAINT_US_PER_H
#define S	MAINT_US_PER_S
#define DAY	(24 * H)
/* FNV-1a 64 of "1795327200000000|1795341600000000|r", by hand. */
#define FNV_R	"9eb8a83324915b55"

static struct maint_window
win(const char *id, int64_t start, int64_t end, const char *reason)
{
	struct maint_window w;

	memset(&w, 0, sizeof w);
	snprintf(w.id, sizeof w.id, "%s", id);
	w.start_us = start;
	w.end_us = end;
	snprintf(w.reason, sizeof w.reason, "%s", reason);
	snprintf(w.announced_by, sizeof w.announced_by, "alice");
	w.source = MAINT_SRC_CONSOLE;
	return w;
}

static void
add_ok(struct maint_set *s, const struct maint_window *w)
{
	char err[256] = "";

	assert_int_equal(maint_set_add(s, w, err, sizeof err), MAINT_ADDED);
	assert_string_equal(err, "");
}

/* One window 06:00..10:00 on T0's day. */
static struct maint_set one;

static int
setup_one(void **state)
{
	struct maint_window w = win("w1", T0, T0 + 4 * H, "column repack");

	(void)state;
	maint_set_init(&one);
	add_ok(&one, &w);
	return 0;
}

static void
expect_banner(const struct maint_set *s, int64_t now, enum maint_phase ph,
    const char *id, int64_t countdown)
{
	struct maint_banner b;

	maint_banner(s, now, &b);
	assert_string_equal(maint_phase_name(b.phase), maint_phase_name(ph));
	if (ph == MAINT_NONE) {
		assert_string_equal(b.w.id, "");
		assert_int_equal(b.countdown_us, 0);
		return;
	}
	assert_string_equal(b.w.id, id);
	assert_int_equal(b.countdown_us, countdown);
	assert_int_equal(b.until_us, now + countdown);
}

/* Rows 2-3: the banner appears at exactly start - 24 h, not a µs before. */
static void
test_banner_at_24h(void **state)
{
	(void)state;
	expect_banner(&one, T0 - DAY - 1, MAINT_NONE, NULL, 0);
	expect_banner(&one, T0 - DAY, MAINT_ANNOUNCED, "w1", DAY);
	expect_banner(&one, T0 - DAY + 1, MAINT_ANNOUNCED, "w1", DAY - 1);
	assert_int_equal(maint_window_phase(&one.w[0], T0 - DAY - 1),
	    MAINT_NONE);
	assert_int_equal(maint_window_phase(&one.w[0], T0 - DAY),
	    MAINT_ANNOUNCED);
}

/* Rows 3-5: active from the start (inclusive) to the end (exclusive). */
static void
test_active_start_to_end(void **state)
{
	(void)state;
	expect_banner(&one, T0 - 1, MAINT_ANNOUNCED, "w1", 1);
	expect_banner(&one, T0, MAINT_ACTIVE, "w1", 4 * H);
	expect_banner(&one, T0 + 1, MAINT_ACTIVE, "w1", 4 * H - 1);
	expect_banner(&one, T0 + 4 * H - 1, MAINT_ACTIVE, "w1", 1);
	expect_banner(&one, T0 + 4 * H, MAINT_NONE, NULL, 0);
	expect_banner(&one, T0 + 4 * H + 1, MAINT_NONE, NULL, 0);
	assert_int_equal(maint_window_phase(&one.w[0], T0), MAINT_ACTIVE);
	assert_int_equal(maint_window_phase(&one.w[0], T0 + 4 * H),
	    MAINT_NONE);
}

/* Row 1: a cancelled window has no phase, no banner, blocks nothing. */
static void
test_cancelled_is_none(void **state)
{
	const struct maint_window *blk;

	(void)state;
	assert_int_equal(maint_set_cancel(&one, "w1"), MAINT_UPDATED);
	assert_int_equal(maint_window_phase(&one.w[0], T0), MAINT_NONE);
	expect_banner(&one, T0 - H, MAINT_NONE, NULL, 0);
	expect_banner(&one, T0, MAINT_NONE, NULL, 0);
	assert_true(maint_batch_start_allowed(&one, T0, &blk));
	assert_null(blk);
	assert_null(maint_next_start_after(&one, T0 - H));
}

static void
test_batch_start(void **state)
{
	const struct maint_window *blk = (const void *)&blk;

	(void)state;
	assert_true(maint_batch_start_allowed(&one, T0 - 1, &blk));
	assert_null(blk);
	assert_false(maint_batch_start_allowed(&one, T0, &blk));
	assert_ptr_equal(blk, &one.w[0]);
	blk = NULL;
	assert_false(maint_batch_start_allowed(&one, T0 + 4 * H - 1, &blk));
	assert_ptr_equal(blk, &one.w[0]);
	assert_true(maint_batch_start_allowed(&one, T0 + 4 * H, &blk));
	assert_null(blk);
	assert_true(maint_batch_start_allowed(&one, T0 + 4 * H + 1, NULL));
	assert_false(maint_batch_start_allowed(&one, T0 + H, NULL));
}

static void
test_refusal_text(void **state)
{
	struct maint_banner b;
	char buf[160], small[48];

	(void)state;
	maint_banner(&one, T0 + H, &b);
	maint_refusal_text(&b, buf, sizeof buf);
	assert_string_equal(buf, "Batch start refused: maintenance until "
	    "2026-11-22 10:00:00 UTC (column repack)");
	/* 47 bytes fit; the cut falls inside nothing multi-byte here... */
	maint_refusal_text(&b, small, sizeof small);
	assert_int_equal(strlen(small), sizeof small - 1);
	/* ...but with a reason in Chinese it must not split a character. */
	snprintf(b.w.reason, sizeof b.w.reason, "管柱重新填充");
	maint_refusal_text(&b, buf, 72);
	/* 64 ASCII bytes up to " (", then 3-byte characters: 64 + 3 + 3 =
	   70 fit in 71, the third would not (snprintf cut it after 1). */
	assert_int_equal(strlen(buf), 70);
	assert_memory_equal(buf + 64, "管柱", 6);
	/* A cut right after a whole character keeps it. */
	maint_refusal_text(&b, buf, 71);
	assert_int_equal(strlen(buf), 70);
	maint_refusal_text(&b, buf, 70);
	assert_int_equal(strlen(buf), 67);
}

static void
test_next_start_after(void **state)
{
	struct maint_set s;
	struct maint_window a = win("a", T0 + 10 * DAY, T0 + 10 * DAY + H,
	    "later"), b = win("b", T0, T0 + H, "soon"),
	    c = win("c", T0 + 2 * H, T0 + 3 * H, "cancelled");

	(void)state;
	maint_set_init(&s);
	assert_null(maint_next_start_after(&s, T0));
	add_ok(&s, &a);
	add_ok(&s, &b);
	add_ok(&s, &c);
	assert_int_equal(maint_set_cancel(&s, "c"), MAINT_UPDATED);
	/* Beyond 24 h counts too: a batch can be long. */
	assert_string_equal(maint_next_start_after(&s, T0 - 30 * DAY)->id, "b");
	assert_string_equal(maint_next_start_after(&s, T0 - 1)->id, "b");
	/* Starting now is not after now (it is active, and refused). */
	assert_string_equal(maint_next_start_after(&s, T0)->id, "a");
	assert_null(maint_next_start_after(&s, T0 + 10 * DAY));
}

/* An active window beats an announced one; the one ending last wins. */
static void
test_choice_active(void **state)
{
	struct maint_set s;
	struct maint_window a = win("a", T0, T0 + 2 * H, "short"),
	    b = win("b", T0 - H, T0 + 3 * H, "long"),
	    c = win("c", T0 + 5 * H, T0 + 6 * H, "next");
	const struct maint_window *blk;

	(void)state;
	maint_set_init(&s);
	add_ok(&s, &c);
	add_ok(&s, &a);
	add_ok(&s, &b);
	expect_banner(&s, T0 + H, MAINT_ACTIVE, "b", 2 * H);
	assert_false(maint_batch_start_allowed(&s, T0 + H, &blk));
	assert_string_equal(blk->id, "b");
	/* b cancelled: a is the one left. */
	assert_int_equal(maint_set_cancel(&s, "b"), MAINT_UPDATED);
	expect_banner(&s, T0 + H, MAINT_ACTIVE, "a", H);
	assert_false(maint_batch_start_allowed(&s, T0 + H, &blk));
	assert_string_equal(blk->id, "a");
	/* After a: the announced c. */
	expect_banner(&s, T0 + 2 * H, MAINT_ANNOUNCED, "c", 3 * H);
}

/* Same end: the smaller id, so every console shows the same window. */
static void
test_choice_tie(void **state)
{
	struct maint_set s;
	struct maint_window y = win("y", T0, T0 + 2 * H, "y"),
	    x = win("x", T0 + H, T0 + 2 * H, "x"),
	    w = win("w", T0 + 5 * H, T0 + 6 * H, "w"),
	    z = win("z", T0 + 5 * H, T0 + 7 * H, "z"),
	    v = win("v", T0 + 5 * H, T0 + 7 * H, "v");

	(void)state;
	maint_set_init(&s);
	add_ok(&s, &y);
	add_ok(&s, &x);
	expect_banner(&s, T0 + H, MAINT_ACTIVE, "x", H);
	add_ok(&s, &w);
	add_ok(&s, &z);
	/* Same start: the later end (z, v), then the smaller id (v). */
	expect_banner(&s, T0 + 3 * H, MAINT_ANNOUNCED, "z", 2 * H);
	add_ok(&s, &v);
	expect_banner(&s, T0 + 3 * H, MAINT_ANNOUNCED, "v", 2 * H);
	assert_string_equal(maint_next_start_after(&s, T0 + 3 * H)->id, "v");
}

/* Among announced windows the one that starts first; > 24 h: not shown. */
static void
test_choice_announced(void **state)
{
	struct maint_set s;
	struct maint_window far = win("far", T0 + DAY + 1, T0 + DAY + H, "f"),
	    late = win("late", T0 + 20 * H, T0 + 21 * H, "l"),
	    soon = win("soon", T0 + 5 * H, T0 + 30 * H, "s");

	(void)state;
	maint_set_init(&s);
	add_ok(&s, &far);
	expect_banner(&s, T0, MAINT_NONE, NULL, 0);
	expect_banner(&s, T0 + 1, MAINT_ANNOUNCED, "far", DAY);
	add_ok(&s, &late);
	expect_banner(&s, T0, MAINT_ANNOUNCED, "late", 20 * H);
	add_ok(&s, &soon);
	expect_banner(&s, T0, MAINT_ANNOUNCED, "soon", 5 * H);
}

/* While active, windows that overlap or touch extend the countdown. */
static void
test_stretch(void **state)
{
	struct maint_set s;
	struct maint_window a = win("a", T0, T0 + 2 * H, "a"),
	    b = win("b", T0 + 2 * H, T0 + 3 * H, "b"),
	    c = win("c", T0 + H, T0 + 5 * H, "c"),
	    d = win("d", T0 + 5 * H + 1, T0 + 9 * H, "d");
	struct maint_banner bn;

	(void)state;
	maint_set_init(&s);
	add_ok(&s, &a);
	add_ok(&s, &d);
	expect_banner(&s, T0 + H / 2, MAINT_ACTIVE, "a", 2 * H - H / 2);
	add_ok(&s, &b);	/* touches a: resume at 3 h */
	maint_banner(&s, T0 + H / 2, &bn);
	assert_string_equal(bn.w.id, "a");
	assert_int_equal(bn.until_us, T0 + 3 * H);
	add_ok(&s, &c);	/* overlaps b: resume at 5 h; d is 1 µs apart */
	maint_banner(&s, T0 + H / 2, &bn);
	assert_int_equal(bn.until_us, T0 + 5 * H);
	assert_int_equal(bn.countdown_us, 5 * H - H / 2);
	/* A cancelled window does not extend it. */
	assert_int_equal(maint_set_cancel(&s, "c"), MAINT_UPDATED);
	maint_banner(&s, T0 + H / 2, &bn);
	assert_int_equal(bn.until_us, T0 + 3 * H);
}

/* The set table: add, dedupe by id, conflict, cancellation merge. */
static void
test_dedupe(void **state)
{
	struct maint_set s;
	struct maint_window w = win("console-7:42", T0, T0 + H, "repack"), o;
	char err[256];

	(void)state;
	maint_set_init(&s);
	add_ok(&s, &w);
	/* The same window back from the historian. */
	o = w;
	o.source = MAINT_SRC_HISTORIAN;
	assert_int_equal(maint_set_add(&s, &o, err, sizeof err),
	    MAINT_UNCHANGED);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.w[0].source, MAINT_SRC_CONSOLE);
	/* Same id, other content. */
	o = w;
	o.end_us++;
	err[0] = '\0';
	assert_int_equal(maint_set_add(&s, &o, err, sizeof err),
	    MAINT_CONFLICT);
	assert_non_null(strstr(err, "console-7:42"));
	o = w;
	snprintf(o.reason, sizeof o.reason, "other");
	assert_int_equal(maint_set_add(&s, &o, err, sizeof err),
	    MAINT_CONFLICT);
	o = w;
	snprintf(o.announced_by, sizeof o.announced_by, "bob");
	assert_int_equal(maint_set_add(&s, &o, err, sizeof err),
	    MAINT_CONFLICT);
	o = w;
	o.start_us--;
	assert_int_equal(maint_set_add(&s, &o, err, sizeof err),
	    MAINT_CONFLICT);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.w[0].end_us, T0 + H);
	/* The cancellation arrives as the whole window. */
	o = w;
	o.cancelled = true;
	assert_int_equal(maint_set_add(&s, &o, err, sizeof err),
	    MAINT_UPDATED);
	assert_true(s.w[0].cancelled);
	assert_int_equal(maint_set_add(&s, &o, err, sizeof err),
	    MAINT_UNCHANGED);
	/* An old copy cannot undo it. */
	assert_int_equal(maint_set_add(&s, &w, err, sizeof err),
	    MAINT_UNCHANGED);
	assert_true(s.w[0].cancelled);
	assert_int_equal(s.n, 1);
}

/* Cancellation first, announcement after: still cancelled. */
static void
test_cancel_before_announce(void **state)
{
	struct maint_set s;
	struct maint_window w = win("x", T0, T0 + H, "r"), c = w;
	char err[256];

	(void)state;
	maint_set_init(&s);
	c.cancelled = true;
	assert_int_equal(maint_set_add(&s, &c, err, sizeof err), MAINT_ADDED);
	assert_int_equal(maint_set_add(&s, &w, err, sizeof err),
	    MAINT_UNCHANGED);
	assert_true(maint_set_find(&s, "x")->cancelled);
	assert_true(maint_batch_start_allowed(&s, T0, NULL));
}

static void
test_cancel(void **state)
{
	(void)state;
	assert_int_equal(maint_set_cancel(&one, "nope"), MAINT_NOT_FOUND);
	assert_false(one.w[0].cancelled);
	assert_int_equal(maint_set_cancel(&one, "w1"), MAINT_UPDATED);
	assert_true(one.w[0].cancelled);
	assert_int_equal(maint_set_cancel(&one, "w1"), MAINT_UNCHANGED);
	assert_true(one.w[0].cancelled);
	assert_int_equal(one.n, 1);
	assert_null(maint_set_find(&one, "nope"));
	assert_ptr_equal(maint_set_find(&one, "w1"), &one.w[0]);
}

static void
test_full(void **state)
{
	struct maint_set s;
	struct maint_window w;
	char id[16], err[256] = "";

	(void)state;
	maint_set_init(&s);
	for (int i = 0; i < MAINT_SET_CAP; i++) {
		snprintf(id, sizeof id, "w%d", i);
		w = win(id, T0 + i * H, T0 + i * H + 1, "r");
		add_ok(&s, &w);
	}
	assert_int_equal(s.n, MAINT_SET_CAP);
	w = win("one-more", T0, T0 + 1, "r");
	assert_int_equal(maint_set_add(&s, &w, err, sizeof err), MAINT_FULL);
	assert_non_null(strstr(err, "one-more"));
	assert_null(maint_set_find(&s, "one-more"));
	/* A known one is still recognised when full. */
	w = win("w3", T0 + 3 * H, T0 + 3 * H + 1, "r");
	w.cancelled = true;
	assert_int_equal(maint_set_add(&s, &w, err, sizeof err),
	    MAINT_UPDATED);
	assert_int_equal(s.n, MAINT_SET_CAP);
}

/* Prune: now - end > keep goes; order of the rest kept. */
static void
test_prune(void **state)
{
	struct maint_set s;
	struct maint_window a = win("a", T0 - 3 * DAY, T0 - 2 * DAY, "a"),
	    b = win("b", T0 - 2 * DAY, T0 - DAY, "b"),
	    c = win("c", T0 + DAY, T0 + 2 * DAY, "c"),
	    d = win("d", T0 - 5 * DAY, T0 - 4 * DAY, "d");

	(void)state;
	maint_set_init(&s);
	add_ok(&s, &a);
	add_ok(&s, &b);
	add_ok(&s, &c);
	add_ok(&s, &d);
	assert_int_equal(maint_set_cancel(&s, "c"), MAINT_UPDATED);
	/* a ended exactly 2 days ago: kept at keep = 2 days. */
	assert_int_equal(maint_set_prune(&s, T0, 2 * DAY), 1);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.w[0].id, "a");
	assert_string_equal(s.w[1].id, "b");
	assert_string_equal(s.w[2].id, "c");
	assert_int_equal(maint_set_prune(&s, T0 + 1, 2 * DAY), 1);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.w[0].id, "b");
	assert_string_equal(s.w[1].id, "c");
	assert_int_equal(maint_set_prune(&s, T0 + 1, 2 * DAY), 0);
	/* The cancelled future window stays until it has ended too. */
	assert_int_equal(maint_set_prune(&s, T0 + 2 * DAY, 0), 1);
	assert_string_equal(s.w[0].id, "c");
	assert_int_equal(maint_set_prune(&s, T0 + 2 * DAY + 1, 0), 1);
	assert_int_equal(s.n, 0);
}

/* Each rule of maint_window_check, with the set left unchanged. */
static void
test_add_invalid(void **state)
{
	static const struct {
		const char *what, *want;
	} cases[] = {
		{ "end == start", "\"end\" (2026-11-22T06:00:00Z) is not "
		    "after \"start\" (2026-11-22T06:00:00Z)" },
		{ "end < start", "is not after \"start\"" },
		{ "too long", "more than 31 days" },
		{ "empty reason", "\"reason\" is empty" },
		{ "blank reason", "\"reason\" is empty" },
		{ "control reason", "\"reason\" has a control character" },
		{ "bad utf8 reason", "not valid UTF-8" },
		{ "overlong utf8", "not valid UTF-8" },
		{ "overlong 3-byte", "not valid UTF-8" },
		{ "surrogate", "not valid UTF-8" },
		{ "reason unterminated", "\"reason\" is longer than 255" },
		{ "empty id", "\"id\" must be" },
		{ "space in id", "\"id\" must be" },
		{ "no announcer", "\"announced_by\" is empty" },
		{ "bad source", "\"source\" is not one of" },
		{ "start < 1970", "\"start\" is not within" },
		{ "end > 9999", "\"end\" is not within" },
	};
	struct maint_set s;
	char err[256];

	(void)state;
	maint_set_init(&s);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct maint_window w = win("w", T0, T0 + H, "r");
		const char *what = cases[i].what;

		if (strcmp(what, "end == start") == 0)
			w.end_us = T0;
		else if (strcmp(what, "end < start") == 0)
			w.end_us = T0 - 1;
		else if (strcmp(what, "too long") == 0)
			w.end_us = T0 + 31 * DAY + 1;
		else if (strcmp(what, "empty reason") == 0)
			w.reason[0] = '\0';
		else if (strcmp(what, "blank reason") == 0)
			strcpy(w.reason, "   ");
		else if (strcmp(what, "control reason") == 0)
			strcpy(w.reason, "a\tb");
		else if (strcmp(what, "bad utf8 reason") == 0)
			strcpy(w.reason, "a\xe7\xae");
		else if (strcmp(what, "overlong utf8") == 0)
			strcpy(w.reason, "\xc0\xaf");
		else if (strcmp(what, "overlong 3-byte") == 0)
			strcpy(w.reason, "\xe0\x80\xaf");
		else if (strcmp(what, "surrogate") == 0)
			strcpy(w.reason, "\xed\xa0\x80");
		else if (strcmp(what, "reason unterminated") == 0)
			memset(w.reason, 'x', sizeof w.reason);
		else if (strcmp(what, "empty id") == 0)
			w.id[0] = '\0';
		else if (strcmp(what, "space in id") == 0)
			strcpy(w.id, "a b");
		else if (strcmp(what, "no announcer") == 0)
			w.announced_by[0] = '\0';
		else if (strcmp(what, "bad source") == 0)
			w.source = MAINT_SRC_COUNT_;
		else if (strcmp(what, "start < 1970") == 0)
			w.start_us = -1;
		else if (strcmp(what, "end > 9999") == 0) {
			w.start_us = MAINT_TIME_MAX_US - H;
			w.end_us = MAINT_TIME_MAX_US + 1;
		} else
			fail_msg("no case %s", what);
		err[0] = '\0';
		assert_int_equal(maint_set_add(&s, &w, err, sizeof err),
		    MAINT_INVALID);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", what, err,
			    cases[i].want);
		assert_int_equal(maint_window_check(&w, err, sizeof err), -1);
		assert_null(maint_window_to_json(&w));
	}
	assert_int_equal(s.n, 0);
	/* The limits themselves pass. */
	{
		struct maint_window w = win("w", 0, 31 * DAY, "x");
		char r[MAINT_REASON_MAX];

		assert_int_equal(maint_window_check(&w, err, sizeof err), 0);
		w.start_us = MAINT_TIME_MAX_US - 1;
		w.end_us = MAINT_TIME_MAX_US;
		assert_int_equal(maint_window_check(&w, err, sizeof err), 0);
		memset(r, 'x', sizeof r - 1);
		r[sizeof r - 1] = '\0';
		memcpy(w.reason, r, sizeof r);
		assert_int_equal(maint_window_check(&w, err, sizeof err), 0);
		w.source = MAINT_SRC_CONFIG;
		w.announced_by[0] = '\0';
		assert_int_equal(maint_window_check(&w, err, sizeof err), 0);
		strcpy(w.reason, "管柱 repack");
		assert_int_equal(maint_window_check(&w, err, sizeof err), 0);
	}
}

static void
expect_countdown(int64_t us, const char *want)
{
	char buf[32];

	memset(buf, '#', sizeof buf);
	maint_format_countdown(us, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void
test_countdown_format(void **state)
{
	char small[6];

	(void)state;
	expect_countdown(DAY, "24:00:00");
	expect_countdown(DAY - 1, "24:00:00");
	expect_countdown(DAY - S, "23:59:59");
	expect_countdown(DAY - S - 1, "23:59:59");
	expect_countdown(23 * H + 59 * 60 * S + 10 * S, "23:59:10");
	expect_countdown(59 * 60 * S + 30 * S, "00:59:30");
	expect_countdown(45 * S, "00:00:45");
	expect_countdown(S + 1, "00:00:02");
	expect_countdown(S, "00:00:01");
	expect_countdown(1, "00:00:01");
	expect_countdown(0, "00:00:00");
	expect_countdown(-5 * S, "00:00:00");
	expect_countdown(100 * H, "100:00:00");
	expect_countdown(INT64_MAX, "2562047788:00:55");
	memset(small, '#', sizeof small);
	maint_format_countdown(DAY, small, sizeof small);
	assert_string_equal(small, "24:00");
}

/* The banner's countdown text across the 24 h boundary. */
static void
test_countdown_banner(void **state)
{
	struct maint_banner b;
	char buf[16];

	(void)state;
	maint_banner(&one, T0 - DAY, &b);
	maint_format_countdown(b.countdown_us, buf, sizeof buf);
	assert_string_equal(buf, "24:00:00");
	maint_banner(&one, T0 - 90 * S, &b);
	maint_format_countdown(b.countdown_us, buf, sizeof buf);
	assert_string_equal(buf, "00:01:30");
	maint_banner(&one, T0 + 4 * H - 1, &b);
	maint_format_countdown(b.countdown_us, buf, sizeof buf);
	assert_string_equal(buf, "00:00:01");
}

static json_t *
load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, e.text);
	return j;
}

static void
test_json_round_trip(void **state)
{
	struct maint_window w = win("console-7:42", T0 + 123456,
	    T0 + 4 * H, "管柱 repack \"B\""), back;
	json_t *j;
	char *text, err[256] = "";

	(void)state;
	w.cancelled = true;
	j = maint_window_to_json(&w);
	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	assert_string_equal(text, "{\"announced_by\":\"alice\","
	    "\"cancelled\":true,\"end\":\"2026-11-22T10:00:00Z\","
	    "\"id\":\"console-7:42\",\"reason\":\"\\u7BA1\\u67F1 repack "
	    "\\\"B\\\"\",\"source\":\"console\","
	    "\"start\":\"2026-11-22T06:00:00.123456Z\"}");
	free(text);
	memset(&back, 0x55, sizeof back);
	assert_int_equal(maint_window_from_json(j, &back, err, sizeof err), 0);
	assert_string_equal(err, "");
	assert_string_equal(back.id, w.id);
	assert_int_equal(back.start_us, w.start_us);
	assert_int_equal(back.end_us, w.end_us);
	assert_string_equal(back.reason, w.reason);
	assert_string_equal(back.announced_by, "alice");
	assert_int_equal(back.source, MAINT_SRC_CONSOLE);
	assert_true(back.cancelled);
	json_decref(j);
	/* Every source name round-trips. */
	for (int s = 0; s < MAINT_SRC_COUNT_; s++) {
		w.source = (enum maint_source)s;
		w.cancelled = false;
		j = maint_window_to_json(&w);
		assert_int_equal(maint_window_from_json(j, &back, err,
		    sizeof err), 0);
		assert_int_equal(back.source, s);
		assert_false(back.cancelled);
		assert_string_equal(json_string_value(json_object_get(j,
		    "source")), maint_source_name(w.source));
		json_decref(j);
	}
}

/* An app.json entry: defaults, a stable id, the exact times. */
static void
test_json_config_entry(void **state)
{
	struct maint_window w, again, other;
	char id[MAINT_ID_MAX], err[256];
	json_t *j;

	(void)state;
	j = load("{\"start\": \"2026-11-22T06:00:00Z\", "
	    "\"end\": \"2026-11-22T10:00:00.5Z\", \"reason\": \"repack\"}");
	assert_int_equal(maint_window_from_json(j, &w, err, sizeof err), 0);
	json_decref(j);
	assert_int_equal(w.start_us, T0);
	assert_int_equal(w.end_us, T0 + 4 * H + S / 2);
	assert_string_equal(w.reason, "repack");
	assert_string_equal(w.announced_by, "");
	assert_int_equal(w.source, MAINT_SRC_CONFIG);
	assert_false(w.cancelled);
	maint_config_id(T0, T0 + 4 * H + S / 2, "repack", id);
	assert_string_equal(w.id, id);
	assert_int_equal(strlen(id), 20);
	assert_memory_equal(id, "cfg-", 4);
	/* Loading it again gives the same id; another reason another. */
	j = load("{\"reason\": \"repack\", \"start\": \"2026-11-22T06:00:00Z\","
	    " \"end\": \"2026-11-22T10:00:00.500000Z\"}");
	assert_int_equal(maint_window_from_json(j, &again, err, sizeof err),
	    0);
	json_decref(j);
	assert_string_equal(again.id, w.id);
	j = load("{\"reason\": \"repack!\", \"start\": \"2026-11-22T06:00:00Z\","
	    " \"end\": \"2026-11-22T10:00:00.5Z\"}");
	assert_int_equal(maint_window_from_json(j, &other, err, sizeof err),
	    0);
	json_decref(j);
	assert_string_not_equal(other.id, w.id);
	maint_config_id(T0, T0 + 4 * H + S / 2 + 1, "repack", id);
	assert_string_not_equal(id, w.id);
	maint_config_id(T0 + 1, T0 + 4 * H + S / 2, "repack", id);
	assert_string_not_equal(id, w.id);
	/* The id must stay the same across versions (FNV_R above). */
	maint_config_id(T0, T0 + 4 * H, "r", id);
	assert_string_equal(id, "cfg-" FNV_R);
	/* Dates: 29 February of leap years (2028, and 2400 though a
	   century), the last microsecond of 9999, the first of 1970. */
	j = load("{\"start\": \"2028-02-29T00:00:00Z\", "
	    "\"end\": \"2028-02-29T00:00:01Z\", \"reason\": \"r\"}");
	assert_int_equal(maint_window_from_json(j, &w, err, sizeof err), 0);
	json_decref(j);
	assert_int_equal(w.start_us, INT64_C(1835395200) * S);
	j = load("{\"start\": \"2400-02-29T00:00:00Z\", "
	    "\"end\": \"2400-02-29T00:00:01Z\", \"reason\": \"r\"}");
	assert_int_equal(maint_window_from_json(j, &w, err, sizeof err), 0);
	json_decref(j);
	assert_int_equal(w.start_us, INT64_C(13574563200) * S);
	j = load("{\"start\": \"9999-12-31T23:00:00Z\", "
	    "\"end\": \"9999-12-31T23:59:59.999999Z\", \"reason\": \"r\"}");
	assert_int_equal(maint_window_from_json(j, &w, err, sizeof err), 0);
	json_decref(j);
	assert_int_equal(w.end_us, MAINT_TIME_MAX_US);
	j = load("{\"start\": \"1970-01-01T00:00:00Z\", "
	    "\"end\": \"1970-01-01T00:00:00.000001Z\", \"reason\": \"r\"}");
	assert_int_equal(maint_window_from_json(j, &w, err, sizeof err), 0);
	json_decref(j);
	assert_int_equal(w.start_us, 0);
	assert_int_equal(w.end_us, 1);
}

/* Each JSON error: its message names the field; *w is left alone. */
static void
test_json_errors(void **state)
{
#define OK_S "\"start\": \"2026-11-22T06:00:00Z\""
#define OK_E "\"end\": \"2026-11-22T10:00:00Z\""
#define OK_R "\"reason\": \"r\""
	static const struct {
		const char *json, *want;
	} cases[] = {
		{ "[]", "must be a JSON object" },
		{ "\"x\"", "must be a JSON object" },
		{ "{" OK_E ", " OK_R "}", "\"start\" is missing" },
		{ "{" OK_S ", " OK_R "}", "\"end\" is missing" },
		{ "{" OK_S ", " OK_E "}", "\"reason\" is missing" },
		{ "{\"start\": 1795327200, " OK_E ", " OK_R "}",
		    "\"start\" must be a string" },
		{ "{\"start\": \"2026-11-22T06:00:00\", " OK_E ", " OK_R "}",
		    "\"start\": \"2026-11-22T06:00:00\" has no time zone" },
		{ "{\"start\": \"2026-11-22T06:00:00+01:00\", " OK_E ", " OK_R
		    "}", "\"start\": \"2026-11-22T06:00:00+01:00\" has a UTC "
		    "offset" },
		{ "{" OK_S ", \"end\": \"2026-11-22T10:00:00-05:00\", " OK_R
		    "}", "\"end\": \"2026-11-22T10:00:00-05:00\" has a UTC "
		    "offset" },
		{ "{\"start\": \"2026-11-22T06:00:00z\", " OK_E ", " OK_R "}",
		    "\"start\": \"2026-11-22T06:00:00z\" is not a time of the "
		    "form" },
		{ "{\"start\": \"2026-11-22 06:00:00Z\", " OK_E ", " OK_R "}",
		    "\"start\": \"2026-11-22 06:00:00Z\" is not a time" },
		{ "{\"start\": \"2026-11-22T06:00Z\", " OK_E ", " OK_R "}",
		    "is not a time of the form" },
		{ "{\"start\": \"tomorrow\", " OK_E ", " OK_R "}",
		    "\"start\": \"tomorrow\" is not a time" },
		{ "{\"start\": \"\", " OK_E ", " OK_R "}",
		    "\"start\": \"\" is not a time" },
		{ "{\"start\": \"2026-11-22T06:00:00ZZ\", " OK_E ", " OK_R "}",
		    "is not a time of the form" },
		{ "{\"start\": \"2026-02-29T06:00:00Z\", " OK_E ", " OK_R "}",
		    "\"start\": \"2026-02-29T06:00:00Z\" is not a valid date" },
		{ "{\"start\": \"2100-02-29T06:00:00Z\", " OK_E ", " OK_R "}",
		    "\"start\": \"2100-02-29T06:00:00Z\" is not a valid date" },
		{ "{\"start\": \"2026-13-01T06:00:00Z\", " OK_E ", " OK_R "}",
		    "is not a valid date" },
		{ "{\"start\": \"2026-11-00T06:00:00Z\", " OK_E ", " OK_R "}",
		    "is not a valid date" },
		{ "{\"start\": \"2026-04-31T06:00:00Z\", " OK_E ", " OK_R "}",
		    "is not a valid date" },
		{ "{\"start\": \"2026-11-22T24:00:00Z\", " OK_E ", " OK_R "}",
		    "is not a valid time of day" },
		{ "{\"start\": \"2026-11-22T06:60:00Z\", " OK_E ", " OK_R "}",
		    "is not a valid time of day" },
		{ "{\"start\": \"2026-11-22T06:00:60Z\", " OK_E ", " OK_R "}",
		    "is not a valid time of day" },
		{ "{\"start\": \"2026-11-22T06:00:00.1234567Z\", " OK_E ", "
		    OK_R "}", "has more than 6 decimals" },
		{ "{\"start\": \"2026-11-22T06:00:00.Z\", " OK_E ", " OK_R "}",
		    "no digits after the decimal point" },
		{ "{\"start\": \"1969-12-31T23:59:59Z\", " OK_E ", " OK_R "}",
		    "\"start\": \"1969-12-31T23:59:59Z\" is before 1970" },
		{ "{" OK_S ", \"end\": \"2026-11-22T06:00:00Z\", " OK_R "}",
		    "\"end\" (2026-11-22T06:00:00Z) is not after \"start\"" },
		{ "{" OK_S ", \"end\": \"2026-11-21T06:00:00Z\", " OK_R "}",
		    "\"end\" (2026-11-21T06:00:00Z) is not after \"start\"" },
		{ "{" OK_S ", \"end\": \"2027-11-22T06:00:00Z\", " OK_R "}",
		    "more than 31 days" },
		{ "{" OK_S ", " OK_E ", \"reason\": \"\"}",
		    "\"reason\" is empty" },
		{ "{" OK_S ", " OK_E ", \"reason\": 3}",
		    "\"reason\" must be a string" },
		{ "{" OK_S ", " OK_E ", \"reason\": \"a\\u0000b\"}",
		    "\"reason\" contains a NUL" },
		{ "{" OK_S ", " OK_E ", \"reason\": \"a\\nb\"}",
		    "\"reason\" has a control character" },
		{ "{" OK_S ", " OK_E ", " OK_R ", \"resaon\": \"r\"}",
		    "unknown key \"resaon\"" },
		{ "{" OK_S ", " OK_E ", " OK_R ", \"cancelled\": \"no\"}",
		    "\"cancelled\" must be true or false" },
		{ "{" OK_S ", " OK_E ", " OK_R ", \"source\": \"ui\"}",
		    "\"source\" is not one of" },
		{ "{" OK_S ", " OK_E ", " OK_R ", \"source\": \"console\"}",
		    "\"announced_by\" is empty" },
		{ "{" OK_S ", " OK_E ", " OK_R ", \"id\": \"\"}",
		    "\"id\" must be" },
		{ "{" OK_S ", " OK_E ", " OK_R ", \"id\": \"a/b\"}",
		    "\"id\" must be" },
		{ "{" OK_S ", " OK_E ", " OK_R ", \"id\": 7}",
		    "\"id\" must be a string" },
		{ "{" OK_S ", " OK_E ", " OK_R ", \"id\": "
		    "\"0123456789012345678901234567890123456789\"}",
		    "\"id\" is longer than 39 bytes" },
		{ "{" OK_S ", " OK_E ", " OK_R ", \"announced_by\": "
		    "\"0123456789012345678901234567890123\"}",
		    "\"announced_by\" is longer than 32 bytes" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *j = load(cases[i].json);
		struct maint_window w, before;

		memset(&w, 0x5a, sizeof w);
		before = w;
		err[0] = '\0';
		if (maint_window_from_json(j, &w, err, sizeof err) != -1)
			fail_msg("accepted %s", cases[i].json);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].json, err,
			    cases[i].want);
		assert_memory_equal(&w, &before, sizeof w);
		json_decref(j);
	}
	/* A reason of 255 bytes is fine, 256 is not. */
	{
		char r[300], text[400];
		struct maint_window w;
		json_t *j;

		memset(r, 'x', 255);
		r[255] = '\0';
		snprintf(text, sizeof text, "{" OK_S ", " OK_E ", \"reason\": "
		    "\"%s\"}", r);
		j = load(text);
		assert_int_equal(maint_window_from_json(j, &w, err, sizeof err),
		    0);
		assert_int_equal(strlen(w.reason), 255);
		json_decref(j);
		snprintf(text, sizeof text, "{" OK_S ", " OK_E ", \"reason\": "
		    "\"%sx\"}", r);
		j = load(text);
		assert_int_equal(maint_window_from_json(j, &w, err, sizeof err),
		    -1);
		assert_non_null(strstr(err, "\"reason\" is longer than 255"));
		json_decref(j);
	}
#undef OK_S
#undef OK_E
#undef OK_R
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(maint_phase_name(MAINT_NONE), "none");
	assert_string_equal(maint_phase_name(MAINT_ANNOUNCED), "announced");
	assert_string_equal(maint_phase_name(MAINT_ACTIVE), "active");
	assert_string_equal(maint_phase_name((enum maint_phase)3), "?");
	assert_string_equal(maint_source_name(MAINT_SRC_CONFIG), "config");
	assert_string_equal(maint_source_name(MAINT_SRC_CONSOLE), "console");
	assert_string_equal(maint_source_name(MAINT_SRC_HISTORIAN),
	    "historian");
	assert_string_equal(maint_source_name(MAINT_SRC_COUNT_), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_banner_at_24h, setup_one),
		cmocka_unit_test_setup(test_active_start_to_end, setup_one),
		cmocka_unit_test_setup(test_cancelled_is_none, setup_one),
		cmocka_unit_test_setup(test_batch_start, setup_one),
		cmocka_unit_test_setup(test_refusal_text, setup_one),
		cmocka_unit_test_setup(test_countdown_banner, setup_one),
		cmocka_unit_test_setup(test_cancel, setup_one),
		cmocka_unit_test(test_next_start_after),
		cmocka_unit_test(test_choice_active),
		cmocka_unit_test(test_choice_tie),
		cmocka_unit_test(test_choice_announced),
		cmocka_unit_test(test_stretch),
		cmocka_unit_test(test_dedupe),
		cmocka_unit_test(test_cancel_before_announce),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_add_invalid),
		cmocka_unit_test(test_countdown_format),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_config_entry),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
