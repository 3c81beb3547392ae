/*
 * bench_inference.c: predict round trips against the inference host, next
 * to bare ZeroMQ, and the two pixel encodings (issue: inference link).
 *
 * 1. Predict, f32le: a 1024-pixel spectrum predicted by the simulator's
 *    inference server (another process, loopback TCP) through the
 *    console's own code: infer_link_request (inference/link.h), the very
 *    function the client thread calls (encode, send [empty delimiter,
 *    header, pixels] on its DEALER, poll for the reply, decode, check id
 *    and type), with an eventfd in the poll set as the client's wake
 *    descriptor is; then the model check the client makes.  The round
 *    trip is infer_link_request's, as the client's percentiles take it.
 * 2. Predict, pre-encoded: the same request, encoded once, sent to the
 *    same server on a plain DEALER with blocking send and receive and
 *    nothing decoded: the host's share of a predict, without the
 *    client's (codec, polling, checks).
 * 3. Bare echo: a REQ socket sends the very bytes of that predict request
 *    (the same header and 4 * PIXELS pixel bytes) to a REP socket that
 *    sends them back, in a child process of its own (forked before any
 *    ZeroMQ context exists), on another loopback port: what libzmq and
 *    the kernel cost for that payload, with no codec, no model and no
 *    polling of ours.  The ratio predict/echo is what the protocol, the
 *    model and the client's care cost on top.
 * 4. Predict, JSON pixels ("encoding": "json"): path 1 with the pixels as
 *    a number array in the header.
 * 5. Codec alone: encode + decode of the same 1024-pixel predict request
 *    both ways, in µs per message, and the bytes on the wire.
 *
 * After WARMUP round trips of each kind, the four kinds alternate in
 * blocks of 1,000 until each has N, so that a slow second of the machine
 * hits all four alike.  Percentiles are nearest-rank (the client's own
 * latency window, inference/health.h).  The targets of the issue are
 * printed next to the figures: p95 of a predict at most 1 ms, and at most
 * 1.5 times the bare echo's.  Figures, not pass/fail: the exit status is
 * 0 whatever they are, 1 only when something does not work.
 *
 * Usage: bench_inference PREDICT_ENDPOINT ECHO_ENDPOINT [N [WARMUP
 *        [PIXELS [MODEL]]]]
 * Defaults: N 20000, WARMUP 1000, PIXELS 1024, MODEL smb-pls.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "core/util.h"
#include "inference/health.h"
#include "inference/link.h"
#include "inference/protocol.h"

#define BLOCK           1000            /* round trips per turn */
#define TIMEOUT_MS      5000            /* a reply later than this: fail */
#define MAX_FRAMES      4               /* of an echo reply */

enum kind { K_F32, K_RAW, K_ECHO, K_JSON, K_N };

static const char *const kind_name[K_N] = {
    "predict, f32le (console path)",
    "predict, pre-encoded, blocking",
    "bare REQ/REP echo, same bytes",
    "predict, json pixels" };

struct figures {
	struct latency_window lat;
	double sum_ms;
	int64_t server_us;              /* sum of the replies' server_us */
	size_t n;
};

static struct figures fig[K_N];
static const char *predict_ep, *echo_ep, *model;
static size_t npixels;
static float *pixels;                   /* the spectrum */
static float *rep_pixels;
static struct infer_msg req, rep;       /* large: not on the stack */
static pid_t echo_pid = -1;

static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_inference: %s: %s\n", what, msg);
	if (echo_pid > 0)
		kill(echo_pid, SIGTERM);
	exit(1);
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * A Raman-like spectrum: a sloping fluorescence baseline, a few Lorentzian
 * bands and some noise, in counts with all of float32's digits, as the
 * simulator's spectra (and a real detector's, once corrected) have.
 */
static void
make_spectrum(float *px, size_t n)
{
	static const double band[][3] = {      /* centre (0..1), height, width */
	    { 0.12, 8200, 0.004 }, { 0.31, 15400, 0.006 },
	    { 0.47, 5100, 0.003 }, { 0.66, 22800, 0.008 },
	    { 0.83, 9700, 0.005 } };
	uint64_t x = 88172645463325252u;

	for (size_t i = 0; i < n; i++) {
		double t = (double)i / (double)(n > 1 ? n - 1 : 1), v;

		v = 1500.0 + 900.0 * t + 300.0 * t * t;
		for (size_t k = 0; k < ARRAY_LEN(band); k++) {
			double d = (t - band[k][0]) / band[k][2];

			v += band[k][1] / (1.0 + d * d);
		}
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v += ((double)(x >> 11) * 0x1p-53 - 0.5) * 60.0;
		px[i] = (float)v;
	}
}

static void
predict_request(bool json)
{
	memset(&req, 0, sizeof req);
	req.type = INFER_PREDICT;
	str_copy(req.model, model, sizeof req.model);
	str_copy(req.spectrum, "AT-501.SPECTRUM", sizeof req.spectrum);
	req.ts_us = 1713340800000000;
	req.pixels = pixels;
	req.pixels_cap = req.npixels = npixels;
	req.json_pixels = json;
}

/* ---- the bare echo, a process of its own ------------------------------- */

/* The child: REP on ECHO_ENDPOINT, every message back as it came. */
static void
echo_serve(int ready_fd)
{
	void *ctx = zmq_ctx_new();
	void *s = ctx != NULL ? zmq_socket(ctx, ZMQ_REP) : NULL;
	int zero = 0;

	if (s == NULL || zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) ||
	    zmq_bind(s, echo_ep) != 0) {
		fprintf(stderr, "bench_inference: echo: cannot bind %s: %s\n",
		    echo_ep, zmq_strerror(errno));
		_exit(1);
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd);
	for (;;) {
		zmq_msg_t m[MAX_FRAMES];
		size_t n = 0;
		int more = 1;

		/* REP: the whole request first, then the reply. */
		while (more) {
			zmq_msg_t part;

			zmq_msg_init(&part);
			if (zmq_msg_recv(&part, s, 0) < 0) {
				zmq_msg_close(&part);
				if (errno == EINTR)
					continue;
				_exit(1);
			}
			more = zmq_msg_more(&part);
			if (n < MAX_FRAMES)
				m[n++] = part;
			else
				zmq_msg_close(&part);
		}
		for (size_t i = 0; i < n; i++)
			if (zmq_msg_send(&m[i], s, i + 1 < n ? ZMQ_SNDMORE :
			    0) < 0)
				_exit(1);
	}
}

static void
echo_start(void)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) != 0)
		die("pipe", strerror(errno));
	fflush(stdout);
	if ((pid = fork()) < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		/* Not a process left behind when the bench is killed. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(1);
		close(p[0]);
		echo_serve(p[1]);
	}
	close(p[1]);
	echo_pid = pid;
	if (read(p[0], &c, 1) != 1) {
		echo_pid = -1;
		waitpid(pid, NULL, 0);
		die("echo", "the echo process did not start");
	}
	close(p[0]);
}

static void
echo_stop(void)
{
	if (echo_pid <= 0)
		return;
	kill(echo_pid, SIGTERM);
	waitpid(echo_pid, NULL, 0);
	echo_pid = -1;
}

/* ---- the console's path (inference/client.c, transact) ---------------- */

struct link {
	void *ctx;
	struct infer_link *il;          /* the console's link to the host */
	int wake_fd;                    /* in every poll, as the client's */
	void *echo;                     /* REQ to the echo */
	void *raw;                      /* plain DEALER to the host */
	struct infer_frame pre[2];      /* a predict request, encoded once */
	void *pre_bin;
	bool raw_checked;
};

static void
open_predict(struct link *l)
{
	char err[512];

	l->il = infer_link_new(l->ctx, predict_ep, "bench", TIMEOUT_MS,
	    l->wake_fd, NULL, err, sizeof err);
	if (l->il == NULL)
		die(predict_ep, err);
}

/* One predict as the client does it; the round trip in ms. */
static double
predict_once(struct link *l, enum kind k)
{
	char err[512];
	double rtt = 0;
	enum infer_outcome o;

	req.json_pixels = k == K_JSON;
	rep.pixels = rep_pixels;
	rep.pixels_cap = INFER_MAX_PIXELS;
	o = infer_link_request(l->il, &req, &rep, &rtt, err, sizeof err);
	if (o == INFER_TIMEOUT)
		die(predict_ep, "no reply within the timeout (is the "
		    "simulator's inference server up?)");
	if (o != INFER_OK)
		die("predict", err);
	if (strcmp(rep.model, model) != 0)
		die("reply", "not predictions of the model asked");
	fig[k].server_us += rep.server_us;
	return rtt;
}

/* The first reply on the plain DEALER must be predictions too. */
static void
check_raw(struct link *l, zmq_msg_t *header)
{
	struct infer_frame f = { zmq_msg_data(header), zmq_msg_size(header) };
	char err[512];

	rep.pixels = rep_pixels;
	rep.pixels_cap = INFER_MAX_PIXELS;
	if (infer_decode(&f, 1, &rep, err, sizeof err) != 0)
		die("pre-encoded predict: reply", err);
	if (rep.type != INFER_PREDICTIONS)
		die("pre-encoded predict", "no predictions in the reply");
	l->raw_checked = true;
}

/*
 * One round trip of the pre-encoded request, blocking, nothing decoded:
 * to the echo (REQ adds and strips the delimiter), or to the inference
 * host on a plain DEALER (the delimiter by hand), which shows the host's
 * share of a predict apart from the client's.
 */
static double
bare_once(struct link *l, enum kind k)
{
	void *s = k == K_ECHO ? l->echo : l->raw;
	int64_t t0 = mono_ns();
	zmq_msg_t m;
	int more = 1;
	size_t got = 0;

	if ((k == K_RAW && zmq_send(s, "", 0, ZMQ_SNDMORE) < 0) ||
	    zmq_send(s, l->pre[0].data, l->pre[0].len, ZMQ_SNDMORE) < 0 ||
	    zmq_send(s, l->pre[1].data, l->pre[1].len, 0) < 0)
		die(kind_name[k], zmq_strerror(errno));
	for (int i = 0; more; i++) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, 0) < 0)
			die(kind_name[k], zmq_strerror(errno));
		got += zmq_msg_size(&m);
		more = zmq_msg_more(&m);
		if (k == K_RAW && i == 1 && !l->raw_checked)
			check_raw(l, &m);
		zmq_msg_close(&m);
	}
	if (k == K_ECHO && got != l->pre[0].len + l->pre[1].len)
		die("echo", "reply of another size");
	if (k == K_RAW && got == 0)
		die(kind_name[k], "empty reply");
	return (double)(mono_ns() - t0) / 1e6;
}

static void *
open_bare(struct link *l, int type, const char *ep)
{
	int zero = 0, timeout = TIMEOUT_MS;
	void *s = zmq_socket(l->ctx, type);

	if (s == NULL)
		die("zmq_socket", zmq_strerror(errno));
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
	zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
	if (zmq_connect(s, ep) != 0)
		die(ep, zmq_strerror(errno));
	return s;
}

static void
open_bares(struct link *l)
{
	char err[512];

	predict_request(false);
	str_copy(req.id, "bench-bare-000001", sizeof req.id);
	if (infer_encode(&req, l->pre, &l->pre_bin, err, sizeof err) != 2)
		die("infer_encode", err);
	l->echo = open_bare(l, ZMQ_REQ, echo_ep);
	l->raw = open_bare(l, ZMQ_DEALER, predict_ep);
}

static void
run(struct link *l, enum kind k, size_t n, bool measure)
{
	bool bare = k == K_ECHO || k == K_RAW;

	if (!bare)
		predict_request(k == K_JSON);
	for (size_t i = 0; i < n; i++) {
		int64_t before = fig[k].server_us;
		double ms = bare ? bare_once(l, k) : predict_once(l, k);

		if (!measure) {
			fig[k].server_us = before;
			continue;
		}
		latency_add(&fig[k].lat, ms);
		fig[k].sum_ms += ms;
		fig[k].n++;
	}
}

/* ---- the codec alone ---------------------------------------------------- */

struct codec_figures {
	double enc_us, dec_us;          /* per message */
	size_t header_bytes, pixel_bytes;
};

static void
bench_codec(bool json, size_t iters, struct codec_figures *out)
{
	struct infer_frame frames[2];
	void *bin = NULL;
	char err[512];
	int64_t enc = 0, dec = 0, t;
	int nframes;

	predict_request(json);
	str_copy(req.id, "bench-codec-000001", sizeof req.id);
	for (size_t i = 0; i < iters; i++) {
		t = mono_ns();
		nframes = infer_encode(&req, frames, &bin, err, sizeof err);
		enc += mono_ns() - t;
		if (nframes < 0)
			die("infer_encode", err);
		rep.pixels = rep_pixels;
		rep.pixels_cap = INFER_MAX_PIXELS;
		t = mono_ns();
		if (infer_decode(frames, (size_t)nframes, &rep, err,
		    sizeof err) != 0)
			die("infer_decode", err);
		dec += mono_ns() - t;
		if (i == 0) {
			out->header_bytes = frames[0].len;
			out->pixel_bytes = nframes > 1 ? frames[1].len : 0;
			if (rep.npixels != npixels || memcmp(rep.pixels, pixels,
			    npixels * sizeof *pixels) != 0)
				die("codec", json ? "json pixels do not read "
				    "back bit for bit" : "f32le pixels do not "
				    "read back bit for bit");
		}
		free((void *)frames[0].data);
		free(bin);
		bin = NULL;
	}
	out->enc_us = (double)enc / 1e3 / (double)iters;
	out->dec_us = (double)dec / 1e3 / (double)iters;
}

/* ---- main ------------------------------------------------------------- */

static void
print_row(enum kind k, double *p50, double *p95)
{
	double p99, max;

	latency_percentiles(&fig[k].lat, p50, p95, &p99, &max);
	printf("  %-31s %8.3f %8.3f %8.3f %8.3f %8.3f", kind_name[k],
	    fig[k].sum_ms / (double)fig[k].n, *p50, *p95, p99, max);
	if (k != K_ECHO && k != K_RAW)
		printf("   %6.1f", (double)fig[k].server_us / (double)fig[k].n);
	printf("\n");
}

static const char *
verdict(bool met)
{
	return met ? "met" : "NOT met";
}

int
main(int argc, char **argv)
{
	struct link l = { 0 };
	struct codec_figures cf, cj;
	size_t n, warmup, iters;
	double p50[K_N], p95[K_N], r50, r95;

	if (argc < 3 || argc > 7) {
		fprintf(stderr, "usage: bench_inference PREDICT_ENDPOINT "
		    "ECHO_ENDPOINT [N [WARMUP [PIXELS [MODEL]]]]\n");
		return 2;
	}
	predict_ep = argv[1];
	echo_ep = argv[2];
	n = argc > 3 ? strtoul(argv[3], NULL, 10) : 20000;
	warmup = argc > 4 ? strtoul(argv[4], NULL, 10) : 1000;
	npixels = argc > 5 ? strtoul(argv[5], NULL, 10) : 1024;
	model = argc > 6 ? argv[6] : "smb-pls";
	if (n < 1)
		n = 20000;
	if (npixels < 1 || npixels > INFER_MAX_PIXELS)
		die("PIXELS", "out of range");
	signal(SIGPIPE, SIG_IGN);
	/* Before any ZeroMQ context: a fork must not copy one. */
	echo_start();

	pixels = xcalloc(npixels, sizeof *pixels);
	rep_pixels = xcalloc(INFER_MAX_PIXELS, sizeof *rep_pixels);
	make_spectrum(pixels, npixels);
	for (int k = 0; k < K_N; k++)
		latency_init(&fig[k].lat, n);
	iters = n / 4 > 100 ? n / 4 : 100;
	bench_codec(false, iters, &cf);
	bench_codec(true, iters, &cj);

	l.ctx = zmq_ctx_new();
	l.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l.ctx == NULL || l.wake_fd < 0)
		die("setup", strerror(errno));
	zmq_ctx_set(l.ctx, ZMQ_BLOCKY, 0);
	open_predict(&l);
	open_bares(&l);

	printf("%zu-pixel spectrum, model %s; predict %s, echo %s (a child "
	    "process)\n", npixels, model, predict_ep, echo_ep);
	printf("request on the wire: f32le %zu B header + %zu B pixels, json "
	    "%zu B header\n", cf.header_bytes, cf.pixel_bytes,
	    cj.header_bytes);
	fflush(stdout);
	for (int k = 0; k < K_N; k++)
		run(&l, (enum kind)k, warmup, false);
	for (size_t done = 0; done < n; done += BLOCK) {
		size_t b = n - done < BLOCK ? n - done : BLOCK;

		for (int k = 0; k < K_N; k++)
			run(&l, (enum kind)k, b, true);
	}

	printf("round trips, ms (%zu each after %zu warm-up, alternating in "
	    "blocks of %d):\n", n, warmup, BLOCK);
	printf("  %-31s %8s %8s %8s %8s %8s   %6s\n", "", "mean", "p50", "p95",
	    "p99", "max", "srv us");
	for (int k = 0; k < K_N; k++)
		print_row((enum kind)k, &p50[k], &p95[k]);
	r50 = p50[K_F32] / p50[K_ECHO];
	r95 = p95[K_F32] / p95[K_ECHO];
	printf("ratio predict/echo: p50 %.2f, p95 %.2f (pre-encoded, blocking "
	    "predict/echo: p50 %.2f, p95 %.2f)\n", r50, r95,
	    p50[K_RAW] / p50[K_ECHO], p95[K_RAW] / p95[K_ECHO]);
	printf("ratio json/f32le predict: p50 %.2f, p95 %.2f\n",
	    p50[K_JSON] / p50[K_F32], p95[K_JSON] / p95[K_F32]);
	printf("codec, encode + decode of one %zu-pixel predict request "
	    "(%zu times):\n", npixels, iters);
	printf("  f32le: encode %7.1f us, decode %7.1f us, %zu B\n", cf.enc_us,
	    cf.dec_us, cf.header_bytes + cf.pixel_bytes);
	printf("  json:  encode %7.1f us, decode %7.1f us, %zu B (%.1fx the "
	    "time, %.1fx the bytes)\n", cj.enc_us, cj.dec_us,
	    cj.header_bytes, (cj.enc_us + cj.dec_us) / (cf.enc_us + cf.dec_us),
	    (double)cj.header_bytes /
	    (double)(cf.header_bytes + cf.pixel_bytes));
	printf("target: predict p95 <= 1 ms: %.3f ms, %s\n", p95[K_F32],
	    verdict(p95[K_F32] <= 1.0));
	printf("target: predict p95 <= 1.5 x bare echo p95: %.3f x, %s\n", r95,
	    verdict(r95 <= 1.5));
	fflush(stdout);

	infer_link_free(l.il);
	zmq_close(l.echo);
	zmq_close(l.raw);
	zmq_ctx_term(l.ctx);
	close(l.wake_fd);
	echo_stop();
	free((void *)l.pre[0].data);
	free(l.pre_bin);
	for (int k = 0; k < K_N; k++)
		latency_free(&fig[k].lat);
	free(pixels);
	free(rep_pixels);
	return 0;
}
