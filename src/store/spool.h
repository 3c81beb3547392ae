/*
 * spool.h: the local durable store (the meter-collector's DataStorage).
 *
 * Every collected value and every collection error is committed here before
 * anything else happens to it.  SQLite in WAL mode with synchronous=FULL: when
 * a spool_put_* call returns 0 the record survives a kill -9 or a power cut.
 * The spool also keeps the console's last published state (one JSON row) so
 * that `jope-smb status` can report on a running console without talking to
 * any device.  One struct spool is safe to share between threads.
 */
#ifndef JOPE_SPOOL_H
#define JOPE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sample quality, stored as an integer. */
enum quality { QUALITY_GOOD = 0, QUALITY_UNCERTAIN = 1, QUALITY_BAD = 2 };

struct spool_sample {
	const char *point_id;
	double value;
	enum quality quality;
	int64_t ts_us;          /* real time, µs since the epoch, UTC */
	const char *batch_id;   /* NULL when no batch runs */
	const char *tag;        /* what derived the value (an inference
	                           model, "id@version"); NULL: measured */
};

struct spool_error {
	const char *device_id;
	const char *point_id;   /* NULL when the error is the device's */
	int code;               /* enum collect_code */
	int detail;
	const char *description;
	int64_t ts_us;
};

/*
 * The three streams of records that leave the spool for the historian, each
 * with its own sequence: seq is assigned at insert, strictly increasing in
 * commit order and never reused within one spool file (AUTOINCREMENT), so
 * (spool_id, stream, seq) names a record uniquely for ever.
 */
enum spool_stream {
	SPOOL_SAMPLES, SPOOL_ERRORS, SPOOL_SPECTRA,
	SPOOL_AUDIT,            /* never purged nor dropped: a regulated record */
	SPOOL_NSTREAMS
};

struct spool_counts {
	int64_t rows[SPOOL_NSTREAMS];   /* records waiting, per stream */
	int64_t samples;        /* = rows[SPOOL_SAMPLES] */
	int64_t errors;         /* = rows[SPOOL_ERRORS] */
	int64_t oldest_us;      /* oldest waiting record, 0 when empty */
	int64_t marked;         /* records inside open upload transactions */
	int64_t purged_rows;    /* never-uploaded records purged by retention */
	int64_t purge_events;   /* retention purges that removed records */
	int64_t last_purge_us;  /* time of the last such purge, 0 if none */
	int64_t dropped_rows;   /* oldest records dropped because the spool was full */
	int64_t full_events;    /* times the spool was found full */
	int64_t last_full_us;   /* time of the last, 0 if never */
	int64_t file_bytes;     /* size of the database (page_count * page_size) */
};

/* Durability and size settings (app.json "storage"). */
struct spool_options {
	/*
	 * 1 (default): synchronous=FULL, a commit is fsync'ed before spool_put
	 * returns: survives kill -9 and power loss.  0: synchronous=NORMAL,
	 * survives kill -9 of the process but the last commits may vanish with
	 * the power.
	 */
	int sync_full;
	/* Largest spool file in bytes; 0: only the file system limits it. */
	int64_t max_bytes;
};

struct spool;

/*
 * Open or create the spool at path, creating its directory (0700) when
 * missing; the file is 0600 whatever the umask.  On failure returns -1, sets
 * *out to NULL and puts a message naming the path in err (not a spool, damaged,
 * written by a newer jope-smb, ...) and leaves a refused file as it was.
 */
int spool_open(const char *path, struct spool **out, char *err, size_t errlen);
void spool_close(struct spool *sp);

/*
 * Store samples and errors; 0 when committed (durable as the options say),
 * -1 on error, and then nothing of this call was stored.  Group commit:
 * callers on several threads at once share one transaction and one fsync,
 * each returning only when the transaction holding its records committed.
 * When the spool is full (SQLITE_FULL: the disk, or options.max_bytes) the
 * oldest records are dropped (counted: dropped_rows, full_events) to make
 * room and the put is tried once more: the newest data is kept.
 */
int spool_put(struct spool *sp, const struct spool_sample *samples,
    size_t nsamples, const struct spool_error *errors, size_t nerrors);

/*
 * spool_put, tried up to three times 20 ms apart: a checkpoint or a reader
 * holding a lock for a moment is not a lost record.  0 or -1.
 */
int spool_put_retry(struct spool *sp, const struct spool_sample *samples,
    size_t nsamples, const struct spool_error *errors, size_t nerrors);

/*
 * Store one spectrum (pixels in engineering units) durably; 0 when
 * committed.  Kept as little-endian float64 in a blob, n at most
 * SPOOL_MAX_PIXELS.
 */
#define SPOOL_MAX_PIXELS 65536
int spool_put_spectrum(struct spool *sp, const char *spectrum_id,
    int64_t ts_us, const double *pixels, size_t n, const char *batch_id);

/*
 * Records waiting, the oldest among them and the spool's counters; 0 or -1.
 * Cheap enough to call every second with millions of records waiting.
 */
int spool_counts(struct spool *sp, struct spool_counts *out);

/* Last state published by a running console or engine (JSON object). */
int spool_put_state(struct spool *sp, int64_t ts_us, long pid, const char *json);
/* *json is malloc'ed; returns 0, 1 when no state was ever published, -1 on error. */
int spool_get_state(struct spool *sp, int64_t *ts_us, long *pid, char **json);

/*
 * Iterate waiting samples of one point (or all when point_id is NULL) in
 * timestamp order, ties in insertion order; for tests and `status`.  cb
 * returns non-zero to stop.  Returns 0 when done or stopped, -1 on error.
 * The strings in *s live until cb returns.  The spool stays locked meanwhile:
 * cb must not call spool functions on the same spool (they fail with -1) and
 * should be quick, since other threads' writes wait.  A NULL value in the
 * file (a NaN stored) is given back as NAN.
 */
int spool_each_sample(struct spool *sp, const char *point_id,
    int (*cb)(void *ctx, const struct spool_sample *s), void *ctx);

/* Apply options (see struct spool_options); 0 or -1. */
int spool_set_options(struct spool *sp, const struct spool_options *o);

/* Random id of this spool file (32 hex digits), made when it was created. */
const char *spool_id(struct spool *sp);
/*
 * Give the spool a new random id, keeping the old one as previous_spool_id
 * (copied to old when not NULL).  For a restore: the historian may already
 * hold records of the old id with the numbers this spool will use next (the
 * original console went on after the backup), so the restored spool starts
 * a new source there.  Only while nothing else uses sp (spool_id() reads
 * without a lock).  0 or -1.
 */
int spool_renew_id(struct spool *sp, char *old, size_t oldlen);
/* The id before the last renewal into buf: 1, 0 when never renewed, -1. */
int spool_previous_id(struct spool *sp, char *buf, size_t len);

/* "samples", "errors", "spectra". */
const char *spool_stream_name(enum spool_stream s);

/*
 * Upload transactions (the meter-collector's scheme).  spool_upload_begin
 * takes a new transaction id and marks the oldest waiting records of one
 * stream that no open transaction holds, at most max_rows of them: a mark is
 * the range of seqs [first_seq, last_seq], and because seqs are assigned in
 * commit order that range is exactly the records the upload carries; records
 * added meanwhile get higher seqs and stay unmarked.  The marks are stored in
 * the spool.  After the historian committed, spool_upload_commit deletes the
 * marked records and the mark; after a failure spool_upload_abort clears the
 * mark and the records wait for the next upload.  spool_upload_reset clears
 * every stale mark: called once at start by the engine that owns the spool.
 */
struct spool_upload {
	int64_t tx;
	enum spool_stream stream;
	int64_t first_seq, last_seq;
	int64_t rows;           /* records in the range when marked */
};

/* One record of an upload; strings and data live until the callback returns. */
struct spool_record {
	enum spool_stream stream;
	int64_t seq;
	int64_t ts_us;
	const char *batch_id;           /* samples, spectra; NULL if none */
	/* SPOOL_SAMPLES */
	const char *point_id;           /* also SPOOL_ERRORS, may be NULL there */
	double value;                   /* NAN when stored as NULL */
	enum quality quality;
	const char *tag;                /* NULL when none */
	/* SPOOL_ERRORS */
	const char *device_id;
	int code, detail;
	const char *description;        /* may be NULL */
	/* SPOOL_SPECTRA */
	const char *spectrum_id;
	const unsigned char *data;      /* pixels as little-endian float64 */
	size_t pixels;
	/* SPOOL_AUDIT (see struct spool_audit) */
	const char *kind, *actor, *payload;
	const unsigned char *prev_hash, *hash, *sig;    /* 32, 32, 64 bytes */
};

/* 1 and *up filled when records were marked, 0 when none wait, -1 on error. */
int spool_upload_begin(struct spool *sp, enum spool_stream stream,
    int64_t max_rows, struct spool_upload *up);
/*
 * The marked records in seq order; cb returns non-zero to stop.  0 or -1.
 * As with spool_each_sample, the spool stays locked while cb runs.
 */
int spool_upload_each(struct spool *sp, const struct spool_upload *up,
    int (*cb)(void *ctx, const struct spool_record *r), void *ctx);
int spool_upload_commit(struct spool *sp, const struct spool_upload *up);
int spool_upload_abort(struct spool *sp, const struct spool_upload *up);
/* Clear every stale mark; the number cleared, or -1. */
int spool_upload_reset(struct spool *sp);

/*
 * Retention: delete the records of every stream older than cutoff_us (they
 * were never uploaded: uploaded records leave the spool at once).  Deletes in
 * short transactions so that writers are not held up; counts what it removed
 * in the spool (purged_rows, purge_events, last_purge_us) and in *purged.
 * 0 or -1.
 */
int spool_purge_older(struct spool *sp, int64_t cutoff_us, int64_t now_us,
    int64_t *purged);

/* Waiting samples per point: cb gets point, rows, oldest and newest ts. */
int spool_backlog_by_point(struct spool *sp,
    int (*cb)(void *ctx, const char *point_id, int64_t rows,
    int64_t oldest_us, int64_t newest_us), void *ctx);

/*
 * The audit trail (compliance/audit.h seals and checks it; the spool only
 * keeps it).  One chain per spool: the head (last seq and hash) is kept in
 * the spool so that seqs go on 1, 2, 3... across restarts and uploads.
 * spool_audit_append, in one IMMEDIATE transaction, reads the head, sets
 * r->seq and r->prev_hash, calls seal(ctx, r) to fill hash and sig, stores
 * the event and moves the head: two processes appending at once cannot fork
 * the chain.  Audit events are uploaded like the other streams but never
 * purged by retention nor dropped when the spool is full.
 */
struct spool_audit {
	int64_t seq, ts_us;
	const char *kind, *actor, *payload;
	unsigned char prev_hash[32], hash[32], sig[64];
};
int spool_audit_append(struct spool *sp, struct spool_audit *r,
    int (*seal)(void *ctx, struct spool_audit *r), void *ctx);
/* The events still in the spool from seq from on, in order.  0 or -1. */
int spool_audit_each(struct spool *sp, int64_t from,
    int (*cb)(void *ctx, const struct spool_audit *r), void *ctx);
/*
 * The last event that left the spool (uploaded): the one the spool's first
 * event follows.  seq 0 and zeros when none has left.  Also the head.
 */
int spool_audit_ends(struct spool *sp, int64_t *base_seq,
    unsigned char base_hash[32], int64_t *head_seq, unsigned char head_hash[32]);

/*
 * Batch records (schema 6).  One row per batch id: its state name, start
 * and end (real µs, 0 not yet) and the whole record as JSON text
 * (plant/batch_record.h), replaced on every put.  Kept like audit events:
 * never purged by retention nor dropped when the spool is full; the
 * historian gets them through the trail's batch_record events.
 */
int spool_batch_put(struct spool *sp, const char *batch_id,
    const char *state, int64_t started_us, int64_t ended_us,
    const char *record_json);
/* 1 and *record_json (malloc'ed) when found, 0 when not, -1 on error. */
int spool_batch_get(struct spool *sp, const char *batch_id,
    char **record_json);
/*
 * The records newest start first (started_us, then batch id), at most max
 * (0: all); with active_only, only states running, held and stopping.
 * cb returning non-zero stops the walk (and is returned).  -1 on error.
 */
int spool_batch_each(struct spool *sp, bool active_only, size_t max,
    int (*cb)(void *ctx, const char *record_json), void *ctx);
/*
 * The samples of one batch still in the spool (not yet uploaded), by time
 * then point id; cb gets each (its strings valid during the call only).
 */
int spool_batch_samples(struct spool *sp, const char *batch_id,
    int (*cb)(void *ctx, const struct spool_sample *s), void *ctx);

/*
 * Maintenance windows announced at a console or received from the
 * historian (schema 6): one row per window id, its stored JSON form
 * (plant/maintenance.h maint_window_to_json).  A put of a known id
 * replaces the row only when the caller merged it (maint_set_add rules):
 * the spool does not judge windows.  Never purged with the samples;
 * spool_maint_prune drops those that ended before cutoff_us.
 */
int spool_maint_put(struct spool *sp, const char *id, int64_t end_us,
    const char *window_json);
int spool_maint_each(struct spool *sp,
    int (*cb)(void *ctx, const char *window_json), void *ctx);
int spool_maint_prune(struct spool *sp, int64_t cutoff_us);

/*
 * Message of the last failed call on sp.  Thread-safe: a thread gets its own
 * last failure on sp, or, when it never had one, a copy of the last failure
 * on sp from any thread.  The string belongs to the calling thread and stays
 * valid until its next spool call.  Meaningful right after a call returned -1;
 * successful calls do not clear it.
 */
const char *spool_last_error(struct spool *sp);

#endif
