/*
 * migrate.c: applying and rolling back the historian's migrations
 * (migrate.h).
 *
 * The scripts come from migrate_scripts.h as file name and text; this file
 * pairs NNNN_name.up.sql with NNNN_name.down.sql once, checks that versions
 * run 1, 2, 3... without a gap, and hashes each up script.  A build whose
 * scripts do not pair up has no migrations at all (migrate_latest() is 0),
 * which `db status` reports instead of half-applying something.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/i18n.h"
#include "core/util.h"
#include "historian/migrate.h"
#include "historian/migrate_scripts.h"
#include "historian/pgconn.h"

#define MIGRATIONS_MAX 64
/* Any constant will do; it keeps two migrating consoles apart. */
#define MIGRATE_LOCK_KEY 0x4a4f50454d494752LL   /* "JOPEMIGR" */

static struct migration table[MIGRATIONS_MAX];
static int table_n;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " applied_by text NOT NULL,"
    " checksum text NOT NULL)";

/* "0001_base.up.sql" -> 1, "base", up; 0 on a name of another shape. */
static int
parse_file_name(const char *file, int *version, char *name, size_t namelen,
    bool *up)
{
	const char *us = strchr(file, '_'), *dot;
	char *end;
	long v = strtol(file, &end, 10);
	size_t n;

	if (us == NULL || end != us || v < 1 || v > MIGRATIONS_MAX)
		return 0;
	if ((dot = strstr(us, ".up.sql")) != NULL && dot[7] == '\0')
		*up = true;
	else if ((dot = strstr(us, ".down.sql")) != NULL && dot[9] == '\0')
		*up = false;
	else
		return 0;
	n = (size_t)(dot - us - 1);
	if (n == 0 || n >= namelen)
		return 0;
	memcpy(name, us + 1, n);
	name[n] = '\0';
	*version = (int)v;
	return 1;
}

static void
build_table(void)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	struct migration t[MIGRATIONS_MAX];
	int top = 0;

	memset(t, 0, sizeof t);
	if (sodium_init() < 0)
		return;
	for (unsigned i = 0; i < migration_script_count; i++) {
		const struct migration_script *s = &migration_scripts[i];
		char name[64];
		int v;
		bool up;

		if (!parse_file_name(s->file, &v, name, sizeof name, &up))
			return;
		if (t[v - 1].name[0] != '\0' && strcmp(t[v - 1].name, name) != 0)
			return;
		t[v - 1].version = v;
		str_copy(t[v - 1].name, name, sizeof t[v - 1].name);
		if (up)
			t[v - 1].up = s->sql;
		else
			t[v - 1].down = s->sql;
		if (v > top)
			top = v;
	}
	for (int v = 0; v < top; v++) {
		if (t[v].up == NULL || t[v].down == NULL)
			return;
		crypto_hash_sha256(hash, (const unsigned char *)t[v].up,
		    strlen(t[v].up));
		sodium_bin2hex(t[v].checksum, sizeof t[v].checksum, hash,
		    sizeof hash);
	}
	memcpy(table, t, sizeof t);
	table_n = top;
}

int
migrate_latest(void)
{
	pthread_once(&table_once, build_table);
	return table_n;
}

const struct migration *
migrate_get(int version)
{
	int n = migrate_latest();

	return version >= 1 && version <= n ? &table[version - 1] : NULL;
}

int
migrate_applied(PGconn *c, struct migration_applied **out, size_t *n,
    char *err, size_t errlen)
{
	PGresult *res;
	int rows;

	*out = NULL;
	*n = 0;
	res = PQexec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_error_text(c, res, err, errlen);
		PQclear(res);
		return -1;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	res = PQexec(c, "SELECT version, name,"
	    " to_char(applied_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), applied_by, checksum"
	    " FROM schema_migrations ORDER BY version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_error_text(c, res, err, errlen);
		PQclear(res);
		return -1;
	}
	rows = PQntuples(res);
	*out = xcalloc(rows > 0 ? (size_t)rows : 1, sizeof **out);
	for (int i = 0; i < rows; i++) {
		struct migration_applied *a = &(*out)[i];

		a->version = atoi(PQgetvalue(res, i, 0));
		str_copy(a->name, PQgetvalue(res, i, 1), sizeof a->name);
		str_copy(a->applied_at, PQgetvalue(res, i, 2),
		    sizeof a->applied_at);
		str_copy(a->applied_by, PQgetvalue(res, i, 3),
		    sizeof a->applied_by);
		str_copy(a->checksum, PQgetvalue(res, i, 4), sizeof a->checksum);
	}
	*n = (size_t)rows;
	PQclear(res);
	return 0;
}

int
migrate_current(PGconn *c, int *version, char *err, size_t errlen)
{
	struct migration_applied *a;
	size_t n;

	*version = 0;
	if (migrate_applied(c, &a, &n, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (a[i].version > *version)
			*version = a[i].version;
	free(a);
	return 0;
}

/* BEGIN, take the lock, make sure schema_migrations exists, read version. */
static int
begin_step(PGconn *c, int *version, char *err, size_t errlen)
{
	char sql[96];

	snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%lld)",
	    MIGRATE_LOCK_KEY);
	if (pg_exec(c, "BEGIN", err, errlen) != 0)
		return -1;
	if (pg_exec(c, sql, err, errlen) != 0 ||
	    pg_exec(c, create_table_sql, err, errlen) != 0 ||
	    migrate_current(c, version, err, errlen) != 0) {
		PQclear(PQexec(c, "ROLLBACK"));
		return -1;
	}
	return 0;
}

/* Run a step's script and its bookkeeping, then COMMIT; ROLLBACK on error. */
static int
finish_step(PGconn *c, const struct migration *m, bool up,
    const char *applied_by, char *err, size_t errlen)
{
	char vbuf[16];
	const char *params[4] = { vbuf, m->name, applied_by, m->checksum };
	PGresult *res;
	char msg[512];

	snprintf(vbuf, sizeof vbuf, "%d", m->version);
	if (pg_exec(c, up ? m->up : m->down, msg, sizeof msg) != 0) {
		/* Name the step before the server's message. */
		snprintf(err, errlen, up ? _("migration %d (%s) up: %s") :
		    _("migration %d (%s) down: %s"), m->version, m->name, msg);
		PQclear(PQexec(c, "ROLLBACK"));
		return -1;
	}
	if (up)
		res = PQexecParams(c, "INSERT INTO schema_migrations"
		    " (version, name, applied_by, checksum)"
		    " VALUES ($1, $2, $3, $4)", 4, NULL, params, NULL, NULL, 0);
	else
		res = PQexecParams(c, "DELETE FROM schema_migrations"
		    " WHERE version = $1", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_error_text(c, res, err, errlen);
		PQclear(res);
		PQclear(PQexec(c, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	return pg_exec(c, "COMMIT", err, errlen);
}

int
migrate_up(PGconn *c, int target, const char *applied_by,
    void (*step)(void *ctx, const struct migration *m, bool up), void *ctx,
    char *err, size_t errlen)
{
	int done = 0, v;

	if (target > migrate_latest() || target < 0) {
		snprintf(err, errlen, _("no migration %d: this program knows "
		    "versions 1 to %d"), target, migrate_latest());
		return -1;
	}
	for (;;) {
		const struct migration *m;

		if (begin_step(c, &v, err, errlen) != 0)
			return -1;
		if (v >= target) {
			if (pg_exec(c, "COMMIT", err, errlen) != 0)
				return -1;
			return done;
		}
		m = migrate_get(v + 1);
		if (finish_step(c, m, true, applied_by, err, errlen) != 0)
			return -1;
		done++;
		if (step != NULL)
			step(ctx, m, true);
	}
}

int
migrate_down(PGconn *c, int target,
    void (*step)(void *ctx, const struct migration *m, bool up), void *ctx,
    char *err, size_t errlen)
{
	int done = 0, v;

	if (target < 0) {
		snprintf(err, errlen, _("no migration %d"), target);
		return -1;
	}
	for (;;) {
		const struct migration *m;

		if (begin_step(c, &v, err, errlen) != 0)
			return -1;
		if (v <= target) {
			if (pg_exec(c, "COMMIT", err, errlen) != 0)
				return -1;
			return done;
		}
		if ((m = migrate_get(v)) == NULL) {
			PQclear(PQexec(c, "ROLLBACK"));
			snprintf(err, errlen, _("the historian is at version %d, "
			    "newer than the %d this program knows: it cannot "
			    "roll that back"), v, migrate_latest());
			return -1;
		}
		if (finish_step(c, m, false, "", err, errlen) != 0)
			return -1;
		done++;
		if (step != NULL)
			step(ctx, m, false);
	}
}
