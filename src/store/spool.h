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
};

struct spool_error {
	const char *device_id;
	const char *point_id;   /* NULL when the error is the device's */
	int code;               /* enum collect_code */
	int detail;
	const char *description;
	int64_t ts_us;
};

struct spool_counts {
	int64_t samples;        /* rows waiting in the spool */
	int64_t errors;
	int64_t oldest_us;      /* oldest waiting record, 0 when empty */
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
 * Store samples and errors in one transaction; 0 when committed (durable:
 * fsync'ed), -1 on error, and then nothing of this call was stored.
 */
int spool_put(struct spool *sp, const struct spool_sample *samples,
    size_t nsamples, const struct spool_error *errors, size_t nerrors);

/* Rows in the spool and the oldest timestamp among them; 0 or -1. */
/*
 * Store one spectrum (pixels in engineering units) durably; 0 when
 * committed.  Kept as little-endian float64 in a blob, n at most
 * SPOOL_MAX_PIXELS.
 */
#define SPOOL_MAX_PIXELS 65536
int spool_put_spectrum(struct spool *sp, const char *spectrum_id,
    int64_t ts_us, const double *pixels, size_t n, const char *batch_id);

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

/*
 * Message of the last failed call on sp.  Thread-safe: a thread gets its own
 * last failure on sp, or, when it never had one, a copy of the last failure
 * on sp from any thread.  The string belongs to the calling thread and stays
 * valid until its next spool call.  Meaningful right after a call returned -1;
 * successful calls do not clear it.
 */
const char *spool_last_error(struct spool *sp);

#endif
