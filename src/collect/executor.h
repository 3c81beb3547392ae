/*
 * executor.h: runs collection and immediate tasks under the house rules.
 *
 * Tasks are queued per logical device, first come first served.  The
 * executor decides when a device may be connected (one connection per device,
 * one device at a time per line, keep-alive, guard interval, HardError) and
 * runs tasks on worker threads; see the state table in executor.c.  Results
 * leave through the sink callbacks, which the engine points at the spool
 * (durable first) and then at the state snapshot.
 */
#ifndef JOPE_EXECUTOR_H
#define JOPE_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/driver.h"
#include "config/model.h"
#include "core/clock.h"

struct executor_params {
	int64_t keep_alive_ms;  /* rule 4 */
	int64_t guard_ms;       /* rule 5 */
	int retries;            /* rule 7: failed connects before HardError */
	int64_t hard_error_ms;  /* rule 7 */
	int threads;            /* rule 8: upper bound of the pool */
	int64_t pool_idle_ms;   /* an idle pool thread exits after this
	                           (real time); 0 = default 5000 */
};

/* Device connection states, as shown by the console. */
enum device_conn_state {
	DEVICE_IDLE,            /* not connected, nothing waiting */
	DEVICE_WAITING,         /* tasks queued, line busy or in guard */
	DEVICE_CONNECTING,
	DEVICE_CONNECTED,       /* running tasks or in keep-alive */
	DEVICE_HARD_ERROR
};
const char *device_conn_state_name(enum device_conn_state s);

enum task_kind {
	TASK_READ_POINTS,       /* periodic or immediate read of points */
	TASK_READ_SPECTRUM,     /* a spectrum, in chunks */
	TASK_WRITE_POINT,       /* immediate: write a setpoint, read it back */
	TASK_SET_CLOCK          /* immediate: write the device clock */
};

/* One value read, or why it could not be. */
struct point_result {
	size_t point;                 /* index into model.points */
	bool ok;
	double value;
	int64_t ts_us;                /* real time the reply arrived */
	struct collect_error err;     /* when !ok */
};

struct executor_sink {
	void *ctx;
	/*
	 * Results of one task for one device, called on a worker thread.  The
	 * sink must have made them durable before it returns.
	 */
	void (*results)(void *ctx, size_t device, const struct point_result *r,
	    size_t n);
	/* Device state changes; err is set on connect_failed / hard_error. */
	void (*device_state)(void *ctx, size_t device,
	    enum device_conn_state state, const struct collect_error *err);
	/*
	 * A spectrum read (err NULL, pixels[n]) or why not (err set, n 0),
	 * on a worker thread; durable before return, like results.
	 */
	void (*spectrum)(void *ctx, size_t device, size_t spectrum,
	    const double *pixels, size_t n, int64_t ts_us,
	    const struct collect_error *err);
	/*
	 * The outcome of an immediate write (TASK_WRITE_POINT: index is the
	 * point; TASK_SET_CLOCK: index is the device), with a short
	 * untranslated description.  Written values are then read back and
	 * reported through results as usual.
	 */
	void (*command_done)(void *ctx, size_t device, enum task_kind kind,
	    size_t index, bool ok, const char *text);
};

struct executor;

struct executor *executor_new(const struct model *m,
    const struct executor_params *params, struct driver *drv,
    struct clock *clk, const struct executor_sink *sink);

/*
 * Queue a read of npoints points, all of one device.  Returns the task id
 * (> 0), or 0 when the task was cancelled at once (HardError) -- then the
 * cancellation has already been reported through the sink.
 */
uint64_t executor_submit_read(struct executor *ex, size_t device,
    const size_t *points, size_t npoints);

/* Queue a read of one spectrum of device (model.spectra index). */
uint64_t executor_submit_spectrum(struct executor *ex, size_t device,
    size_t spectrum);
/* Queue a write of value (engineering units) to a writable point. */
uint64_t executor_submit_write(struct executor *ex, size_t point,
    double value);
/* Queue setting device's clock to the real time when the task runs. */
uint64_t executor_submit_set_clock(struct executor *ex, size_t device);

/* True while task id still waits in device's queue (not yet started). */
bool executor_task_queued(struct executor *ex, size_t device, uint64_t id);

/* Tasks waiting for device (queued, not yet started). */
size_t executor_queued(struct executor *ex, size_t device);

/*
 * The requests a read of every point of device becomes now, one a line,
 * including splits learned from devices that refused a merged read
 * (malloc'ed).
 */
char *executor_describe_plan(struct executor *ex, size_t device);
/* Bumps whenever a learned split changes some plan; starts at 1. */
unsigned executor_plan_generation(struct executor *ex);

/* Current threads in the pool (rule 8), for tests and the status screen. */
int executor_threads(struct executor *ex);

/*
 * Stop: queued tasks are cancelled (each recorded), running tasks finish,
 * connections close.  The executor can then still answer
 * executor_guard_until; executor_free stops it too if needed, then frees.
 */
void executor_stop(struct executor *ex);
void executor_free(struct executor *ex);

/*
 * The monotonic time until which line rests in its guard interval (0 when
 * free).  A reload hands these to the next executor so that rule 5 holds
 * across a configuration swap.
 */
int64_t executor_guard_until(struct executor *ex, size_t line);
void executor_set_guard_until(struct executor *ex, size_t line,
    int64_t until);

/* What rule 7 remembers of a device, handed over by a reload likewise. */
struct device_memory {
	int failures;                   /* failed connects in a row */
	int64_t hard_error_until;       /* monotonic; 0 = not in HardError */
};
void executor_device_memory(struct executor *ex, size_t device,
    struct device_memory *out);
void executor_set_device_memory(struct executor *ex, size_t device,
    const struct device_memory *in);

#endif
