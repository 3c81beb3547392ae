/*
 * bench_poll.c: polling rate of the engine against a bare libmodbus loop.
 *
 * Both read 125 holding registers per request from one device of the
 * simulator over loopback TCP.  The engine path is the executor with the
 * Modbus driver, a task's results going through the sink (here: counted,
 * then the next task is queued), holding the connection with a long
 * keep-alive as rule 4 allows.  The bare path is modbus_read_registers in
 * a loop.  The two alternate for ROUNDS rounds of SECONDS each; the medians
 * and their ratio are printed.  A third figure runs the engine path with
 * every task committed to a spool (WAL, synchronous=FULL), to show what
 * durability costs per task.
 *
 * Usage: bench_poll HOST PORT UNIT [SECONDS [ROUNDS]]
 */
#include "config.h"

#include <errno.h>
#include <modbus.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect/driver.h"
#include "collect/executor.h"
#include "core/clock.h"
#include "core/util.h"
#include "store/spool.h"

#define NREGS 125

static atomic_long done;
static atomic_int running;
static struct executor *the_ex;
static struct spool *the_spool;
static size_t pts[NREGS];

static void
on_results(void *ctx, size_t device, const struct point_result *r, size_t n)
{
	(void)ctx;
	if (the_spool != NULL) {
		struct spool_sample s[NREGS] = { 0 };

		for (size_t i = 0; i < n && i < NREGS; i++)
			s[i] = (struct spool_sample){ "bench", r[i].value,
			    QUALITY_GOOD, r[i].ts_us, NULL };
		spool_put(the_spool, s, n < NREGS ? n : NREGS, NULL, 0);
	}
	if (n > 0 && r[0].ok)
		atomic_fetch_add(&done, 1);
	if (atomic_load(&running))
		executor_submit_read(the_ex, device, pts, NREGS);
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
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct model *
bench_model(const char *host, int port, int unit)
{
	struct model *m = xcalloc(1, sizeof *m);

	m->nconnectors = m->ndevices = 1;
	m->connectors = xcalloc(1, sizeof *m->connectors);
	str_copy(m->connectors[0].id, "bench", MODEL_ID_MAX);
	str_copy(m->connectors[0].host, host, MODEL_NAME_MAX);
	m->connectors[0].port = port;
	m->connectors[0].timeout_ms = 1000;
	m->devices = xcalloc(1, sizeof *m->devices);
	str_copy(m->devices[0].id, "bench", MODEL_ID_MAX);
	m->devices[0].unit_id = unit;
	m->npoints = NREGS;
	m->points = xcalloc(NREGS, sizeof *m->points);
	for (int i = 0; i < NREGS; i++) {
		snprintf(m->points[i].id, MODEL_ID_MAX, "r%d", i);
		m->points[i].table = TABLE_HOLDING_REGISTER;
		m->points[i].address = i;
		m->points[i].type = VALUE_U16;
		m->points[i].scale = 1;
		pts[i] = (size_t)i;
	}
	return m;
}

static double
run_engine(struct model *m, double seconds, struct spool *sp)
{
	struct executor_params p = { 600000, 0, 3, 300000, 4, 0 };
	struct executor_sink sink = { .results = on_results,
	    .device_state = on_state };
	struct driver *drv = driver_modbus_new();
	double t0, t1;
	long n0;

	the_spool = sp;
	atomic_store(&done, 0);
	atomic_store(&running, 1);
	the_ex = executor_new(m, &p, drv, clock_real(), &sink);
	executor_submit_read(the_ex, 0, pts, NREGS);
	while (atomic_load(&done) < 10)         /* connected and warm */
		usleep(1000);
	n0 = atomic_load(&done);
	t0 = now_s();
	usleep((useconds_t)(seconds * 1e6));
	t1 = now_s();
	long n1 = atomic_load(&done);
	atomic_store(&running, 0);
	executor_free(the_ex);
	driver_free(drv);
	return (double)(n1 - n0) / (t1 - t0);
}

static double
run_bare(const char *host, int port, int unit, double seconds)
{
	char service[16];
	uint16_t regs[NREGS];
	modbus_t *mb;
	long n = 0;
	double t0, end;

	snprintf(service, sizeof service, "%d", port);
	mb = modbus_new_tcp_pi(host, service);
	modbus_set_slave(mb, unit);
	if (modbus_connect(mb) != 0) {
		fprintf(stderr, "bare: connect: %s\n", modbus_strerror(errno));
		exit(1);
	}
	for (int i = 0; i < 10; i++)
		modbus_read_registers(mb, 0, NREGS, regs);
	t0 = now_s();
	end = t0 + seconds;
	while (now_s() < end) {
		if (modbus_read_registers(mb, 0, NREGS, regs) == NREGS)
			n++;
	}
	double rate = (double)n / (now_s() - t0);
	modbus_close(mb);
	modbus_free(mb);
	return rate;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_poll HOST PORT UNIT [SECONDS "
		    "[ROUNDS]]\n");
		return 2;
	}
	const char *host = argv[1];
	int port = atoi(argv[2]), unit = atoi(argv[3]);
	double seconds = argc > 4 ? atof(argv[4]) : 2.0;
	int rounds = argc > 5 ? atoi(argv[5]) : 5;
	double eng[64], bare[64], durable;
	struct model *m = bench_model(host, port, unit);
	char dir[] = "/tmp/bench-spool.XXXXXX", path[64], err[256];
	struct spool *sp;

	if (rounds < 1 || rounds > 64)
		rounds = 5;
	for (int r = 0; r < rounds; r++) {
		bare[r] = run_bare(host, port, unit, seconds);
		eng[r] = run_engine(m, seconds, NULL);
		printf("round %d: bare %.0f reads/s, engine %.0f reads/s\n",
		    r + 1, bare[r], eng[r]);
		fflush(stdout);
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/spool.db", dir);
	if (spool_open(path, &sp, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	durable = run_engine(m, seconds, sp);
	spool_close(sp);
	unlink(path);
	double mb = median(bare, rounds), me = median(eng, rounds);
	printf("bare libmodbus loop (median of %d): %.0f reads/s\n", rounds,
	    mb);
	printf("engine, executor + Modbus driver (median): %.0f reads/s\n",
	    me);
	printf("ratio engine/bare: %.3f (target >= 0.9)\n", me / mb);
	printf("engine with every task committed to the spool (WAL, "
	    "synchronous=FULL): %.0f reads/s\n", durable);
	model_free(m);
	return 0;
}
