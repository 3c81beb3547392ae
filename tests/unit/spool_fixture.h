/*
 * spool_fixture.h: helpers of the spool's tests (header only: test code,
 * one copy per test program; include after cmocka.h, sqlite3.h and
 * store/spool.h).  open_ok opens a spool or fails the test; raw_query
 * reads one value over a second, plain SQLite connection, as `jope-smb
 * status` does while the console writes.
 */
#ifndef JOPE_TEST_SPOOL_FIXTURE_H
#define JOPE_TEST_SPOOL_FIXTURE_H

#include <stdint.h>
#include <stdio.h>

static inline struct spool *
open_ok(const char *path)
{
	struct spool *sp = NULL;
	char err[512] = "";

	if (spool_open(path, &sp, err, sizeof err) != 0)
		fail_msg("spool_open(%s): %s", path, err);
	assert_non_null(sp);
	return sp;
}

/* One integer (or text, when text is not NULL) from a plain connection. */
static inline int64_t
raw_query(const char *path, const char *sql, char *text, size_t textlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		if (text != NULL) {
			const unsigned char *t = sqlite3_column_text(st, 0);

			snprintf(text, textlen, "%s",
			    t != NULL ? (const char *)t : "(null)");
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

#endif
