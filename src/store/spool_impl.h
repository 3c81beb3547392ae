/*
 * spool_impl.h: the inside of the spool, INTERNAL to src/store/.
 *
 * Only the spool's own files include this; every other module uses the
 * spool through store/spool.h and must not include this header.  spool.c
 * opens the spool, puts records in and owns the locking, the error messages
 * and the statement helpers declared here; spool_upload.c takes records out
 * (upload transactions, retention, backlog); spool_audit.c keeps the audit
 * trail and spool_batch.c the batch records and maintenance windows.  All
 * work on the one SQLite connection and its statements in struct spool
 * (the last two prepare their rare statements per call).
 *
 * What every public spool function does with them: take the mutex and the
 * connection with spool_enter() and give both back with spool_unlock(); on
 * failure record a message with spool_set_error() or spool_set_db_error()
 * while holding the mutex, and return -1; reset every statement after use
 * (spool_stmt_done(), spool_step_done(), spool_step_int()) so that no read
 * transaction stays open; adjust sp->rows[] once a transaction that added or
 * deleted records has committed.
 */
#ifndef JOPE_SPOOL_IMPL_H
#define JOPE_SPOOL_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/spool.h"

#define SPOOL_ERRLEN	512

/*
 * The prepared statements, indexes into sp->stmt[].  The SQL of each is next
 * to the code that uses it: stmt_sql[] in spool.c, spool_upload_sql[] in
 * spool_upload.c.  spool.c prepares them all at open.
 */
enum {
	/* SQL in spool.c */
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INS_SAMPLE,
	ST_INS_ERROR,
	ST_COUNTS,
	ST_DATA_VERSION,
	ST_PUT_STATE,
	ST_GET_STATE,
	ST_EACH_ALL,
	ST_EACH_POINT,
	ST_INS_SPECTRUM,
	ST_META_ADD,
	ST_META_SET,
	/* SQL in spool_upload.c */
	ST_MARK,
	ST_INS_UPLOAD,
	ST_DEL_UPLOAD,
	ST_DEL_UPLOADS,
	ST_BACKLOG,
	ST_COUNT_
};

/*
 * The statements every stream has, indexes into sp->sst[stream][]; their SQL
 * is in sst_sql[] in spool.c and spool_upload_sst_sql[] in spool_upload.c.
 */
enum {
	/* SQL in spool.c */
	SST_COUNT,
	SST_DROP,
	/* SQL in spool_upload.c */
	SST_FIRST_ABOVE,
	SST_NTH,
	SST_MAX,
	SST_COUNT_RANGE,
	SST_EACH,
	SST_DEL_RANGE,
	SST_PURGE,
	SST_COUNT_
};

/* spool_upload.c's SQL; NULL where a statement is spool.c's. */
extern const char *const spool_upload_sql[ST_COUNT_];
extern const char *const spool_upload_sst_sql[SPOOL_NSTREAMS][SST_COUNT_];

struct put_req;		/* one spool_put() in a group commit (spool.c) */

struct spool {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* the connection became free */
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT_];
	sqlite3_stmt *sst[SPOOL_NSTREAMS][SST_COUNT_];
	char *path;
	char id[40];			/* spool_meta 'spool_id' */
	int64_t dflt_max_pages;		/* max_page_count before options */
	/* Under lock: */
	int64_t rows[SPOOL_NSTREAMS];	/* records waiting per stream */
	int64_t data_version;		/* when rows[] were last counted */
	int writing;			/* a group commit leader has the db */
	struct put_req *queue, **queue_tail;	/* puts for the next group */
	uint64_t rounds;		/* group commits finished */
	char err[SPOOL_ERRLEN];		/* last failure */
	/* Threads blocked in spool_lock(); read without the lock. */
	atomic_int lockers;
};

/* Record a failure (the caller holds sp->lock), for spool_last_error(). */
void spool_set_error(struct spool *sp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same, "what: " followed by SQLite's own message. */
void spool_set_db_error(struct spool *sp, const char *what);

/* Take the mutex and the connection; 0, or -1 with the error recorded. */
int spool_enter(struct spool *sp);
void spool_unlock(struct spool *sp);
/* Within a long job: let the others have the spool, and take it back. */
int spool_pause(struct spool *sp);

/* Reset a statement after use. */
void spool_stmt_done(sqlite3_stmt *st);
/* Step a statement whose rows are not wanted, reset it; the step's result. */
int spool_step_done(sqlite3_stmt *st);
/* Step a statement that returns one integer (NULL: dflt); 0 or -1. */
int spool_step_int(sqlite3_stmt *st, int64_t dflt, int64_t *out);

/* BEGIN IMMEDIATE and COMMIT (0 or -1); ROLLBACK if still open. */
int spool_db_begin(struct spool *sp);
int spool_db_commit(struct spool *sp);
void spool_db_rollback(struct spool *sp);

/* Real time now, µs since the epoch: for the counters of spool_meta. */
int64_t spool_real_now_us(void);
/* Add to (add) or set (!add) one counter of spool_meta; 0 or -1. */
int spool_meta_update(struct spool *sp, const char *key, int64_t v, int add);

/*
 * The highest seq of stream s held by an open upload transaction, or
 * INT64_MIN when none is open; 0 or -1.  In spool_upload.c.
 */
int spool_stream_mark(struct spool *sp, enum spool_stream s, int64_t *mark);

/* spool_audit.c: inside a transaction, make event seq the chain's base. */
int spool_audit_move_base(struct spool *sp, int64_t seq);

#endif
