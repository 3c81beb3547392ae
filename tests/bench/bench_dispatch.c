/*
 * bench_dispatch.c: dispatch overhead of the executor.
 *
 * 1,000 devices on 100 lines, in-memory driver (no I/O), zero keep-alive and
 * guard so that every task costs a full session: dispatch, pool hand-off,
 * connect, read, close.  Reports tasks per second and CPU time per task
 * (user + system, from getrusage), for sessions and for tasks that reuse a
 * held connection (long keep-alive; then one device per line, since rule 4
 * keeps the line for the device that holds it).
 *
 * Usage: bench_dispatch [TASKS]
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "collect/driver.h"
#include "collect/executor.h"
#include "core/clock.h"
#include "core/util.h"

#define NDEV 1000
#define NLINES 100

static atomic_long done;

static void
on_results(void *ctx, size_t device, const struct point_result *r, size_t n)
{
	(void)ctx;
	(void)device;
	(void)r;
	(void)n;
	atomic_fetch_add(&done, 1);
}

static void
on_state(void *ctx, size_t device, enum device_conn_state s,
    const struct collect_error *err)
{
	(void)ctx;
	(void)device;
	(void)s;
	(void)err;
}

static double
now_s(int which)
{
	struct timespec ts;

	clock_gettime(which, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct model *
bench_model(void)
{
	struct model *m = xcalloc(1, sizeof *m);

	m->nconnectors = NLINES;
	m->connectors = xcalloc(NLINES, sizeof *m->connectors);
	for (int i = 0; i < NLINES; i++)
		snprintf(m->connectors[i].id, MODEL_ID_MAX, "line%d", i);
	m->ndevices = m->npoints = NDEV;
	m->devices = xcalloc(NDEV, sizeof *m->devices);
	m->points = xcalloc(NDEV, sizeof *m->points);
	for (int i = 0; i < NDEV; i++) {
		snprintf(m->devices[i].id, MODEL_ID_MAX, "dev%d", i);
		m->devices[i].connector = (size_t)(i % NLINES);
		snprintf(m->points[i].id, MODEL_ID_MAX, "p%d", i);
		m->points[i].device = (size_t)i;
		m->points[i].table = TABLE_HOLDING_REGISTER;
		m->points[i].type = VALUE_U16;
		m->points[i].scale = 1;
	}
	return m;
}

static void
run(struct model *m, long tasks, int64_t keep_alive_ms, size_t ndev,
    const char *label)
{
	struct executor_params p = { keep_alive_ms, 0, 3, 300000, 512, 0 };
	struct executor_sink sink = { .results = on_results,
	    .device_state = on_state };
	struct driver *drv = driver_mem_new(m);
	struct rusage r0, r1;
	double t0, t1, cpu;

	atomic_store(&done, 0);
	struct executor *ex = executor_new(m, &p, drv, clock_real(), &sink);
	getrusage(RUSAGE_SELF, &r0);
	t0 = now_s(CLOCK_MONOTONIC);
	for (long i = 0; i < tasks; i++) {
		size_t dev = (size_t)i % ndev;

		executor_submit_read(ex, dev, &dev, 1);
		/* Keep at most a few thousand queued: a steady load. */
		while (i - atomic_load(&done) > 4000)
			usleep(100);
	}
	while (atomic_load(&done) < tasks)
		usleep(100);
	t1 = now_s(CLOCK_MONOTONIC);
	getrusage(RUSAGE_SELF, &r1);
	cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
	    (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
	    (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
	    (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
	printf("%s: %ld tasks in %.2f s: %.0f tasks/s, %.1f us CPU per task, "
	    "%d pool threads at the end\n", label, tasks, t1 - t0,
	    (double)tasks / (t1 - t0), cpu / (double)tasks * 1e6,
	    executor_threads(ex));
	executor_free(ex);
	driver_free(drv);
}

int
main(int argc, char **argv)
{
	long tasks = argc > 1 ? atol(argv[1]) : 200000;
	struct model *m = bench_model();

	printf("executor dispatch, %d devices on %d lines, in-memory driver\n",
	    NDEV, NLINES);
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(m, tasks, 0, NDEV, "short sessions, all 1000 devices "
	    "(keep-alive 0, guard 0)");
	/* Rule 4 holds a line for its device: one device per line here. */
	run(m, tasks, 60000, NLINES, "held connections, one device per line "
	    "(keep-alive 60 s)");
	model_free(m);
	return 0;
}
