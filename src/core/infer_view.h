/*
 * infer_view.h: what the console shows of the inference link.
 *
 * Two parts, both published through the state snapshot (state.h):
 *
 *   struct infer_status  plain figures copied into every snapshot: link
 *                        state, last good heartbeat, rolling latency
 *                        percentiles, counters, the last error.
 *   struct infer_view    the latest spectrum and the recent predictions of
 *                        each model output (for the Trends screen's chart
 *                        and sparklines).  Immutable once published and
 *                        shared by reference counting, like audit_list: a
 *                        snapshot copy costs one pointer.
 *
 * The inference client (inference/client.c) fills both; the UI only reads.
 * Nothing here knows about ZeroMQ or curses.
 */
#ifndef JOPE_INFER_VIEW_H
#define JOPE_INFER_VIEW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INFER_VIEW_NAME_MAX 64
#define INFER_VIEW_UNIT_MAX 16
#define INFER_VIEW_OUTPUTS 16
#define INFER_VIEW_HISTORY 300          /* predictions kept per output */

struct infer_status {
	char endpoint[128];             /* "" when not configured */
	char server[INFER_VIEW_NAME_MAX];       /* from the last heartbeat */
	char model[INFER_VIEW_NAME_MAX];        /* the model asked */
	char model_version[INFER_VIEW_NAME_MAX];        /* as last reported */
	double uptime_s;                /* server's, at the last heartbeat */
	int64_t last_heartbeat_us;      /* last good heartbeat, 0 never */
	int64_t last_prediction_us;     /* last good predict reply, 0 never */
	/* Round trips of the last latency_n requests (of at most
	 * latency_window), ms; 0 when none yet. */
	double p50_ms, p95_ms, p99_ms, max_ms;
	size_t latency_n, latency_window;
	double target_p95_ms;           /* above it: degraded */
	uint64_t requests;              /* predict + heartbeat sent */
	uint64_t predictions;           /* good predict replies */
	uint64_t timeouts;              /* no reply within timeout */
	uint64_t late_replies;          /* a reply after its timeout, dropped */
	uint64_t rejected;              /* malformed, oversized, mismatched */
	uint64_t server_errors;         /* error replies */
	uint64_t rebuilds;              /* socket rebuilt after a timeout */
	uint64_t queue_dropped;         /* spectra not predicted: queue full */
	char last_error[256];           /* "" none since the last success */
	int64_t last_error_us;
};

struct infer_series {
	char name[INFER_VIEW_NAME_MAX];         /* the model's output name */
	char unit[INFER_VIEW_UNIT_MAX];
	char point_id[2 * INFER_VIEW_NAME_MAX]; /* as stored in the spool */
	size_t n;                               /* oldest first */
	int64_t ts_us[INFER_VIEW_HISTORY];
	double value[INFER_VIEW_HISTORY];
};

struct infer_view {
	atomic_uint refs;               /* first: infer_view_new copies the rest */
	char spectrum_id[INFER_VIEW_NAME_MAX];  /* "" before the first */
	int64_t spectrum_ts_us;
	size_t npixels;
	float *pixels;                  /* [npixels], owned */
	bool predicted;                 /* that spectrum got predictions */
	char spectrum_error[256];       /* why not, when !predicted */
	size_t nseries;
	struct infer_series series[INFER_VIEW_OUTPUTS];
};

/* A new view with one reference (the creator's); copy of prev if given. */
struct infer_view *infer_view_new(const struct infer_view *prev);
/* Replace the spectrum (pixels copied). */
void infer_view_set_spectrum(struct infer_view *v, const char *id,
    int64_t ts_us, const float *pixels, size_t n);
/*
 * Append a prediction of output name (a series is made for a new name while
 * there is room; the oldest value goes when a series is full).
 */
void infer_view_add(struct infer_view *v, const char *name, const char *unit,
    const char *point_id, int64_t ts_us, double value);
void infer_view_acquire(const struct infer_view *v);
void infer_view_release(const struct infer_view *v);

#endif
