/*
 * migrate.h: the historian's schema, changed only by versioned migrations.
 *
 * Each version N has an up and a down script (src/historian/sql/NNNN_*.sql,
 * embedded at build time).  schema_migrations records every applied version
 * with its name, time, who applied it and the SHA-256 of the up script, so
 * that a script changed after it was applied is noticed.  Every step runs in
 * its own transaction under an advisory lock: two consoles migrating at once
 * cannot both apply a step, and a failed step leaves the schema as it was.
 */
#ifndef JOPE_MIGRATE_H
#define JOPE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

struct migration {
	int version;
	char name[64];                  /* e.g. "base" */
	const char *up, *down;
	char checksum[65];              /* SHA-256 of up, hex */
};

struct migration_applied {
	int version;
	char name[64];
	char applied_at[40];
	char applied_by[64];
	char checksum[65];
};

/* The newest version this program knows; 0 if none (a build error). */
int migrate_latest(void);
/* The migration of version v (1..latest), or NULL. */
const struct migration *migrate_get(int version);

/*
 * The applied versions, oldest first (*out malloc'ed, *n entries).  A
 * database without schema_migrations has none.  0, or -1 with err.
 */
int migrate_applied(PGconn *c, struct migration_applied **out, size_t *n,
    char *err, size_t errlen);
/* The current version: the highest applied, 0 when none.  0 or -1. */
int migrate_current(PGconn *c, int *version, char *err, size_t errlen);

/*
 * Apply up scripts until the schema is at target (migrate_latest() for
 * all), or down scripts until it is at target.  step is called after each
 * step (may be NULL).  Returns the number of steps done, or -1 with err (the
 * failed step changed nothing; earlier steps stay).
 */
int migrate_up(PGconn *c, int target, const char *applied_by,
    void (*step)(void *ctx, const struct migration *m, bool up), void *ctx,
    char *err, size_t errlen);
int migrate_down(PGconn *c, int target,
    void (*step)(void *ctx, const struct migration *m, bool up), void *ctx,
    char *err, size_t errlen);

#endif
