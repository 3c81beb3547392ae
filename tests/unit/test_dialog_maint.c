/*
 * test_dialog_maint.c: the maintenance form's checks (ui/dialog_maint.c)
 * without a terminal: maint_form_parse_start on good times, the calendar
 * (leap days, month ends, 1970) and every malformed text; maint_form_check
 * on a good form, then each bad field with its message and the focus
 * moved to it, the boundaries (0.25 and 744 hours, a start 5 minutes in
 * the past accepted and one a minute more refused, the year 10000), and
 * the reason blank, with control characters or invalid UTF-8.  A reason
 * too long cannot reach maint_form_check (the field is a MAINT_REASON_MAX
 * array): maint_form_key keeps at most MAINT_REASON_MAX - 1 bytes and
 * drops a character that does not fit whole, which is checked here too.
 *
 * Runs in the C locale, so the messages are the untranslated ones.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ui/dialog_maint.h"

/* Checked against Python's calendar.timegm. */
#define T2030	INT64_C(1907755200000000)      /* 2030-06-15 12:00 UTC */
#define T2026	INT64_C(1795269600000000)      /* 2026-11-21 14:00 UTC */
#define T2024	INT64_C(1709251140000000)      /* 2024-02-29 23:59 UTC */
#define T2000	INT64_C(951782400000000)       /* 2000-02-29 00:00 UTC */
#define T9999	INT64_C(253402297200000000)    /* 9999-12-31 23:00 UTC */
#define S	MAINT_US_PER_S
#define MIN	(60 * S)
#define H	MAINT_US_PER_H

#define MSG_START "Start: type the date and time in UTC as YYYY-MM-DD HH:MM."
#define MSG_HOURS "Duration: type the hours as a number, e.g. 4 or 0.5."
#define MSG_RANGE "Duration: from 0.25 to 744 hours (31 days)."
#define MSG_Y10K "Start: the window must end before the year 10000."
#define MSG_BLANK "Reason: required; it is shown on every console."
#define MSG_PRINT "Reason: printable text only."

/* A form with these fields, focus on the reason as maint_form_open has. */
static void
form(struct maint_form *f, const char *start, const char *hours,
    const char *reason)
{
	memset(f, 0, sizeof *f);
	f->open = true;
	f->focus = MAINT_FIELD_REASON;
	snprintf(f->start, sizeof f->start, "%s", start);
	snprintf(f->hours, sizeof f->hours, "%s", hours);
	snprintf(f->reason, sizeof f->reason, "%s", reason);
}

/* The form is valid as of now: the window it gives. */
static void
check_ok(const char *start, const char *hours, const char *reason,
    int64_t now, int64_t want_start, int64_t want_end)
{
	struct maint_form f;

	form(&f, start, hours, reason);
	snprintf(f.error, sizeof f.error, "an earlier refusal");
	if (maint_form_check(&f, now) != 0)
		fail_msg("'%s' '%s' '%s' refused: %s", start, hours, reason,
		    f.error);
	assert_int_equal(f.start_us, want_start);
	assert_int_equal(f.end_us, want_end);
	assert_string_equal(f.error, "");
	assert_int_equal(f.focus, MAINT_FIELD_REASON);
}

/* The form is refused as of now: this message, the focus on at. */
static void
check_bad(const char *start, const char *hours, const char *reason,
    int64_t now, enum maint_form_field at, const char *msg)
{
	struct maint_form f;

	form(&f, start, hours, reason);
	f.focus = at == MAINT_FIELD_REASON ? MAINT_FIELD_START :
	    MAINT_FIELD_REASON;
	assert_int_equal(maint_form_check(&f, now), -1);
	assert_string_equal(f.error, msg);
	assert_int_equal(f.focus, at);
	assert_int_equal(f.start_us, 0);
	assert_int_equal(f.end_us, 0);
}

static int64_t
parse_ok(const char *text)
{
	int64_t us = -42;

	assert_int_equal(maint_form_parse_start(text, &us), 0);
	return us;
}

static void
parse_bad(const char *text)
{
	int64_t us = -42;

	if (maint_form_parse_start(text, &us) != -1)
		fail_msg("'%s' parsed as %lld", text, (long long)us);
}

static void
test_parse_good(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("1970-01-01 00:00"), 0);
	assert_int_equal(parse_ok("1970-01-01 00:01"), 60 * S);
	assert_int_equal(parse_ok("2030-06-15 12:00"), T2030);
	assert_int_equal(parse_ok("2026-11-21 14:00"), T2026);
	assert_int_equal(parse_ok("2024-02-29 23:59"), T2024);
	assert_int_equal(parse_ok("2000-02-29 00:00"), T2000);
	assert_int_equal(parse_ok("9999-12-31 23:00"), T9999);
	/* Blanks around it, as the field may keep them. */
	assert_int_equal(parse_ok("  2030-06-15 12:00"), T2030);
	assert_int_equal(parse_ok("2030-06-15 12:00   "), T2030);
	/* Month ends. */
	assert_int_equal(parse_ok("2030-01-31 00:00") + 24 * H,
	    parse_ok("2030-02-01 00:00"));
	assert_int_equal(parse_ok("2030-04-30 00:00") + 24 * H,
	    parse_ok("2030-05-01 00:00"));
	assert_int_equal(parse_ok("2030-12-31 23:59") + MIN,
	    parse_ok("2031-01-01 00:00"));
}

static void
test_parse_bad(void **state)
{
	(void)state;
	parse_bad("");
	parse_bad("   ");
	parse_bad("2030-06-15");
	parse_bad("2030-06-15 12");
	parse_bad("2030-06-15 12:0");
	parse_bad("2030-6-15 12:00");
	parse_bad("2030-06-15 2:00 ");
	parse_bad("2030/06/15 12:00");
	parse_bad("2030-06-15T12:00");
	parse_bad("2030-06-15 12.00");
	parse_bad("2030-06-15  12:00");
	parse_bad("2030-06-15 12:00x");
	parse_bad("2030-06-15 12:00 x");
	parse_bad("2030-06-15 12:00:00");
	parse_bad("2030-06-1a 12:00");
	parse_bad("-030-06-15 12:00");
	/* Out of the calendar. */
	parse_bad("1969-12-31 23:59");
	parse_bad("2030-00-15 12:00");
	parse_bad("2030-13-15 12:00");
	parse_bad("2030-06-00 12:00");
	parse_bad("2030-06-31 12:00");
	parse_bad("2030-02-29 12:00");
	parse_bad("1900-02-29 12:00");
	parse_bad("2030-06-15 24:00");
	parse_bad("2030-06-15 12:60");
}

static void
test_check_good(void **state)
{
	(void)state;
	check_ok("2030-06-15 12:00", "4", "pump seal exchange", T2030 - H,
	    T2030, T2030 + 4 * H);
	check_ok("2030-06-15 12:00", "0.5", "filter change", T2030,
	    T2030, T2030 + 30 * MIN);
	check_ok("2030-06-15 12:00", " 1.5 ", "x", T2030 - 24 * H,
	    T2030, T2030 + 90 * MIN);
	/* Rounded to whole seconds. */
	check_ok("2030-06-15 12:00", "1.0001", "r", T2030, T2030,
	    T2030 + 3600 * S);          /* 3600.36 s */
	check_ok("2030-06-15 12:00", "1.0002", "r", T2030, T2030,
	    T2030 + 3601 * S);          /* 3600.72 s */
	/* UTF-8 and blanks inside the reason are fine. */
	check_ok("2030-06-15 12:00", "2", "Pumpe \xc3\xbc" "berholen "
	    "\xe6\xb3\xb5 \xf0\x9f\x94\xa7", T2030, T2030, T2030 + 2 * H);
}

static void
test_check_duration(void **state)
{
	(void)state;
	check_ok("2030-06-15 12:00", "0.25", "r", T2030, T2030,
	    T2030 + 15 * MIN);
	check_ok("2030-06-15 12:00", "744", "r", T2030, T2030,
	    T2030 + 744 * H);
	check_ok("2030-06-15 12:00", "744.0", "r", T2030, T2030,
	    T2030 + 744 * H);
	check_bad("2030-06-15 12:00", "0.24", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_RANGE);
	check_bad("2030-06-15 12:00", "0.2499", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_RANGE);
	check_bad("2030-06-15 12:00", "0", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_RANGE);
	check_bad("2030-06-15 12:00", "-1", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_RANGE);
	check_bad("2030-06-15 12:00", "744.01", "r", T2030,
	    MAINT_FIELD_HOURS, MSG_RANGE);
	check_bad("2030-06-15 12:00", "745", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_RANGE);
	check_bad("2030-06-15 12:00", "", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_HOURS);
	check_bad("2030-06-15 12:00", "  ", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_HOURS);
	check_bad("2030-06-15 12:00", "4h", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_HOURS);
	check_bad("2030-06-15 12:00", "1.2.3", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_HOURS);
	check_bad("2030-06-15 12:00", ".", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_HOURS);
	check_bad("2030-06-15 12:00", "0,5", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_HOURS);
	check_bad("2030-06-15 12:00", "nan", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_HOURS);
	check_bad("2030-06-15 12:00", "inf", "r", T2030, MAINT_FIELD_HOURS,
	    MSG_HOURS);
}

static void
test_check_start(void **state)
{
	(void)state;
	check_bad("", "4", "r", T2030, MAINT_FIELD_START, MSG_START);
	check_bad("2030-06-15", "4", "r", T2030, MAINT_FIELD_START,
	    MSG_START);
	check_bad("2030-02-30 12:00", "4", "r", T2030, MAINT_FIELD_START,
	    MSG_START);
	check_bad("2030-06-15 25:00", "4", "r", T2030, MAINT_FIELD_START,
	    MSG_START);
	/* The start is checked first: a bad start hides the other fields. */
	check_bad("2030-06-15 1200", "x", "", T2030, MAINT_FIELD_START,
	    MSG_START);
	/* The duration before the reason. */
	check_bad("2030-06-15 12:00", "x", "", T2030, MAINT_FIELD_HOURS,
	    MSG_HOURS);
}

static void
test_check_past(void **state)
{
	(void)state;
	/* Up to 5 minutes in the past, to the microsecond. */
	check_ok("2030-06-15 12:00", "1", "r", T2030 + 5 * MIN, T2030,
	    T2030 + H);
	check_ok("2030-06-15 12:00", "1", "r", T2030 + 5 * MIN - 1, T2030,
	    T2030 + H);
	check_ok("2030-06-15 12:00", "1", "r", T2030 + 59 * S, T2030,
	    T2030 + H);
	check_bad("2030-06-15 12:00", "1", "r", T2030 + 5 * MIN + 1,
	    MAINT_FIELD_START, "Start: 2030-06-15 12:00 UTC is in the past; "
	    "a window starts now or later.");
	check_bad("2030-06-15 12:00", "1", "r", T2030 + 6 * MIN,
	    MAINT_FIELD_START, "Start: 2030-06-15 12:00 UTC is in the past; "
	    "a window starts now or later.");
	check_bad("2026-11-21 14:00", "1", "r", T2030, MAINT_FIELD_START,
	    "Start: 2026-11-21 14:00 UTC is in the past; a window starts "
	    "now or later.");
	/* Far in the future is the engine's business (24 h announcement). */
	check_ok("2030-06-15 12:00", "1", "r", T2026, T2030, T2030 + H);
}

static void
test_check_year_10000(void **state)
{
	(void)state;
	check_ok("9999-12-31 23:00", "0.5", "r", T9999, T9999,
	    T9999 + 30 * MIN);
	/* 10000-01-01 00:00 is past MAINT_TIME_MAX_US (…23:59:59.999999). */
	check_bad("9999-12-31 23:00", "1", "r", T9999, MAINT_FIELD_START,
	    MSG_Y10K);
	check_bad("9999-12-31 23:00", "744", "r", T9999, MAINT_FIELD_START,
	    MSG_Y10K);
}

static void
test_check_reason(void **state)
{
	char ok[MAINT_REASON_MAX];

	(void)state;
	check_bad("2030-06-15 12:00", "4", "", T2030, MAINT_FIELD_REASON,
	    MSG_BLANK);
	check_bad("2030-06-15 12:00", "4", "     ", T2030, MAINT_FIELD_REASON,
	    MSG_BLANK);
	/* Control characters: C0, DEL, C1 (U+0085 as UTF-8). */
	check_bad("2030-06-15 12:00", "4", "seal\texchange", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "seal\n", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "\x1b[31mred", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "seal\x7f", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "seal \xc2\x85", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "seal \xc2\x9b" "31m", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	/* Invalid UTF-8: a lone continuation, a cut character, overlong
	   forms, a surrogate, past U+10FFFF, bytes never in UTF-8. */
	check_bad("2030-06-15 12:00", "4", "seal \x80", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "seal \xc3", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "seal \xe6\xb3", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "seal \xe6\xb3x", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "\xc0\xaf", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "\xc1\xbf", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "\xe0\x80\xaf", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "\xf0\x80\x80\xaf", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "\xed\xa0\x80", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "\xf4\x90\x80\x80", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "\xf5\x80\x80\x80", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "\xfe", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	check_bad("2030-06-15 12:00", "4", "\xff", T2030,
	    MAINT_FIELD_REASON, MSG_PRINT);
	/* The edges that are valid: U+00A0, U+D7FF, U+E000, U+10FFFF. */
	check_ok("2030-06-15 12:00", "4", "\xc2\xa0 \xed\x9f\xbf \xee\x80\x80 "
	    "\xf4\x8f\xbf\xbf", T2030, T2030, T2030 + 4 * H);
	/* The longest reason the field holds. */
	memset(ok, 'r', sizeof ok - 1);
	ok[sizeof ok - 1] = '\0';
	check_ok("2030-06-15 12:00", "4", ok, T2030, T2030, T2030 + 4 * H);
}

/* Type text into the focused field a byte at a time. */
static void
type(struct maint_form *f, const char *text, int64_t now)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	    p++)
		assert_int_equal(maint_form_key(f, *p, now), MAINT_FORM_OPEN);
}

static void
test_reason_too_long(void **state)
{
	struct maint_form f;
	char want[MAINT_REASON_MAX];

	(void)state;
	maint_form_open(&f, T2030);
	assert_int_equal(f.focus, MAINT_FIELD_REASON);
	/* One byte more than fits: the field keeps MAINT_REASON_MAX - 1. */
	for (int i = 0; i < MAINT_REASON_MAX + 10; i++)
		maint_form_key(&f, 'a', T2030);
	assert_int_equal(strlen(f.reason), MAINT_REASON_MAX - 1);
	/* A character that does not fit whole is dropped whole. */
	maint_form_key(&f, KEY_BACKSPACE, T2030);
	type(&f, "\xc3\xbc", T2030);
	assert_int_equal(strlen(f.reason), MAINT_REASON_MAX - 2);
	maint_form_key(&f, KEY_BACKSPACE, T2030);
	type(&f, "\xe6\xb3\xb5", T2030);
	assert_int_equal(strlen(f.reason), MAINT_REASON_MAX - 3);
	/* ... and one that fits is kept. */
	type(&f, "\xc3\xbc", T2030);
	memset(want, 'a', MAINT_REASON_MAX - 3);
	memcpy(want + MAINT_REASON_MAX - 3, "\xc3\xbc", 3);
	assert_string_equal(f.reason, want);
	/* Still a valid reason. */
	assert_int_equal(maint_form_check(&f, T2030), 0);
	assert_string_equal(f.error, "");
}

static void
test_form_keys(void **state)
{
	struct maint_form f;

	(void)state;
	/* Prefilled: the next full hour, 4 h; Enter wants a reason. */
	maint_form_open(&f, T2030 + 10 * MIN);
	assert_true(f.open);
	assert_string_equal(f.start, "2030-06-15 13:00");
	assert_string_equal(f.hours, MAINT_FORM_HOURS_DEFAULT);
	assert_string_equal(f.reason, "");
	assert_int_equal(maint_form_key(&f, '\n', T2030), MAINT_FORM_OPEN);
	assert_string_equal(f.error, MSG_BLANK);
	assert_int_equal(f.focus, MAINT_FIELD_REASON);
	/* Control bytes never reach the reason; typing clears the error. */
	type(&f, "seal", T2030);
	assert_string_equal(f.error, "");
	maint_form_key(&f, 0x01, T2030);      /* Ctrl-A */
	maint_form_key(&f, 0x7f, T2030);    /* Backspace */
	assert_string_equal(f.reason, "sea");
	/* The duration takes digits and '.' only. */
	maint_form_key(&f, KEY_UP, T2030);
	assert_int_equal(f.focus, MAINT_FIELD_HOURS);
	maint_form_key(&f, 21, T2030);      /* Ctrl-U */
	type(&f, "0x.5h", T2030);
	assert_string_equal(f.hours, "0.5");
	/* The start: digits, '-', ':' and blanks. */
	maint_form_key(&f, KEY_UP, T2030);
	assert_int_equal(f.focus, MAINT_FIELD_START);
	maint_form_key(&f, 21, T2030);
	type(&f, "2030-06-15T12:00", T2030);
	assert_string_equal(f.start, "2030-06-1512:00");
	maint_form_key(&f, '\r', T2030);
	assert_string_equal(f.error, MSG_START);
	assert_true(f.open);
	maint_form_key(&f, 21, T2030);
	type(&f, "2030-06-15 12:00", T2030);
	/* Enter on a valid form: DONE with the window, closed. */
	assert_int_equal(maint_form_key(&f, KEY_ENTER, T2030 + 5 * MIN),
	    MAINT_FORM_DONE);
	assert_false(f.open);
	assert_int_equal(f.start_us, T2030);
	assert_int_equal(f.end_us, T2030 + 30 * MIN);
	assert_string_equal(f.reason, "sea");
	/* Esc cancels and wipes the form. */
	maint_form_open(&f, T2030);
	type(&f, "x", T2030);
	assert_int_equal(maint_form_key(&f, 27, T2030), MAINT_FORM_CANCEL);
	assert_false(f.open);
	assert_string_equal(f.reason, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_check_good),
		cmocka_unit_test(test_check_duration),
		cmocka_unit_test(test_check_start),
		cmocka_unit_test(test_check_past),
		cmocka_unit_test(test_check_year_10000),
		cmocka_unit_test(test_check_reason),
		cmocka_unit_test(test_reason_too_long),
		cmocka_unit_test(test_form_keys),
	};

	/* Untranslated messages whatever the environment says. */
	setlocale(LC_ALL, "C");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
