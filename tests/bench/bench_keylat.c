/*
 * bench_keylat.c: keystroke-to-screen latency of a program in tmux.
 *
 *	bench_keylat SOCKET SESSION SAMPLES KEY_A TEXT_A KEY_B TEXT_B
 *
 * Attaches one tmux control-mode client (tmux -L SOCKET -C attach-session
 * -f no-output,ignore-size: it neither receives the pane's output nor
 * changes the window's size) and sends it commands on a pipe, so that a
 * send-keys or a capture-pane costs one round trip to the tmux server,
 * not a fork and exec of a tmux client.  Each sample sends KEY_A or KEY_B
 * (alternately) with send-keys and then runs capture-pane in a loop until
 * the pane shows TEXT_A or TEXT_B (a fixed string that only the screen the
 * key selects shows).  The latency is the time from just before the
 * send-keys command is written to the end of the first capture that shows
 * the text.  It includes the send-keys round trip and up to one
 * capture-pane round trip, the polling resolution, which is measured and
 * printed next to it; nothing is subtracted.
 *
 * Between samples the program waits a pseudo-random 0..100 ms, so that
 * keys land at every phase of the engine's updates and of the console's
 * once-a-second clock redraw.  Four warm-up samples are taken first and
 * not counted.  A sample that does not show its text within 5 s is a
 * timeout, counted and left out of the percentiles.
 *
 * The last line of the output is "RESULT key=value..." for the script
 * that prints the benchmark's table.  Exit status 0 unless tmux could not
 * be driven at all (a benchmark reports; it does not judge).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 4
#define TIMEOUT_US (5 * 1000000LL)
#define CAPTURE_MAX 65536

struct ctl {
	pid_t pid;
	FILE *in;       /* commands to tmux */
	FILE *out;      /* its replies */
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
ctl_open(struct ctl *c, const char *sock, const char *session)
{
	int to[2], from[2];

	if (pipe(to) != 0 || pipe(from) != 0)
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		dup2(to[0], STDIN_FILENO);
		dup2(from[1], STDOUT_FILENO);
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		execlp("tmux", "tmux", "-L", sock, "-C", "attach-session",
		    "-t", session, "-f", "no-output,ignore-size", (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	c->in = fdopen(to[1], "w");
	c->out = fdopen(from[0], "r");
	return c->in != NULL && c->out != NULL ? 0 : -1;
}

static void
ctl_close(struct ctl *c)
{
	if (c->in != NULL) {
		fputs("detach-client\n", c->in);
		fclose(c->in);
	}
	if (c->out != NULL)
		fclose(c->out);
	/* A control client does not always leave on EOF: make sure. */
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		waitpid(c->pid, NULL, 0);
	}
}

/*
 * Run one command; its output (the lines between our %begin and %end)
 * into buf.  Notifications, and blocks of commands that are not ours
 * (flags 0), are skipped.  Returns 0, or -1 on %error or a dead tmux.
 */
static int
ctl_cmd(struct ctl *c, const char *cmd, char *buf, size_t len)
{
	char line[4096];
	size_t used = 0;
	int inside = 0;

	if (fprintf(c->in, "%s\n", cmd) < 0 || fflush(c->in) != 0)
		return -1;
	if (buf != NULL && len > 0)
		buf[0] = '\0';
	while (fgets(line, sizeof line, c->out) != NULL) {
		if (!inside) {
			long long t, n;
			int flags;

			if (sscanf(line, "%%begin %lld %lld %d", &t, &n,
			    &flags) == 3 && flags == 1)
				inside = 1;
			else if (strncmp(line, "%exit", 5) == 0)
				return -1;
			continue;
		}
		if (strncmp(line, "%end ", 5) == 0)
			return 0;
		if (strncmp(line, "%error ", 7) == 0)
			return -1;
		if (buf != NULL) {
			size_t n = strlen(line);

			if (used + n < len) {
				memcpy(buf + used, line, n + 1);
				used += n;
			}
		}
	}
	return -1;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[n]. */
static double
pct_ms(const int64_t *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0.0;
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1000.0;
}

int
main(int argc, char **argv)
{
	static char screen[CAPTURE_MAX];
	struct ctl c = { 0 };
	const char *keys[2], *texts[2];
	char cmd[512];
	int64_t *lat, *caps, send_total = 0;
	size_t ncap = 0, capmax, nlat = 0;
	long samples;
	int timeouts = 0, fails = 0;

	if (argc != 8) {
		fprintf(stderr, "usage: %s SOCKET SESSION SAMPLES KEY_A "
		    "TEXT_A KEY_B TEXT_B\n", argv[0]);
		return 2;
	}
	samples = strtol(argv[3], NULL, 10);
	if (samples < 1 || samples > 100000)
		return 2;
	keys[0] = argv[4];
	texts[0] = argv[5];
	keys[1] = argv[6];
	texts[1] = argv[7];
	signal(SIGPIPE, SIG_IGN);
	lat = calloc((size_t)samples, sizeof *lat);
	capmax = (size_t)samples * 64 + 1024;
	caps = calloc(capmax, sizeof *caps);
	if (lat == NULL || caps == NULL || ctl_open(&c, argv[1], argv[2]) != 0 ||
	    ctl_cmd(&c, "display-message -p sync", NULL, 0) != 0) {
		fprintf(stderr, "bench_keylat: cannot drive tmux on socket %s\n",
		    argv[1]);
		return 1;
	}
	srand(12345);
	for (long i = -WARMUP; i < samples; i++) {
		int which = (int)((i + WARMUP) % 2);
		int64_t t0, t1 = 0, ts, tc, deadline;
		int seen = 0;

		/* The other screen first: the key must change what is shown. */
		snprintf(cmd, sizeof cmd, "send-keys -t %s %s", argv[2],
		    keys[which]);
		t0 = now_us();
		if (ctl_cmd(&c, cmd, NULL, 0) != 0) {
			fails++;
			break;
		}
		ts = now_us();
		deadline = t0 + TIMEOUT_US;
		snprintf(cmd, sizeof cmd, "capture-pane -p -t %s", argv[2]);
		do {
			tc = now_us();
			if (ctl_cmd(&c, cmd, screen, sizeof screen) != 0) {
				fails++;
				break;
			}
			t1 = now_us();
			if (i >= 0 && ncap < capmax)
				caps[ncap++] = t1 - tc;
			seen = strstr(screen, texts[which]) != NULL;
		} while (!seen && t1 < deadline);
		if (fails > 0)
			break;
		if (i >= 0) {
			send_total += ts - t0;
			if (seen)
				lat[nlat++] = t1 - t0;
			else
				timeouts++;
		}
		usleep((useconds_t)(rand() % 100) * 1000);
	}
	ctl_close(&c);
	if (fails > 0 && nlat == 0) {
		fprintf(stderr, "bench_keylat: tmux stopped answering\n");
		return 1;
	}
	qsort(lat, nlat, sizeof *lat, cmp_i64);
	qsort(caps, ncap, sizeof *caps, cmp_i64);
	{
		double capmean = 0.0, sendmean;

		for (size_t k = 0; k < ncap; k++)
			capmean += (double)caps[k];
		capmean = ncap > 0 ? capmean / (double)ncap / 1000.0 : 0.0;
		sendmean = nlat + (size_t)timeouts > 0 ? (double)send_total /
		    (double)(nlat + (size_t)timeouts) / 1000.0 : 0.0;
		printf("keystroke to screen, %zu samples (%s and %s "
		    "alternately, %d warm-up samples not counted):\n", nlat,
		    keys[0], keys[1], WARMUP);
		printf("  p50 %.1f ms   p95 %.1f ms   p99 %.1f ms   max %.1f ms"
		    "   timeouts (> 5 s) %d\n", pct_ms(lat, nlat, 50),
		    pct_ms(lat, nlat, 95), pct_ms(lat, nlat, 99),
		    pct_ms(lat, nlat, 100), timeouts);
		printf("  polling resolution: one capture-pane round trip, "
		    "mean %.2f ms, p95 %.2f ms, %zu captures;\n", capmean,
		    pct_ms(caps, ncap, 95), ncap);
		printf("  each figure includes the send-keys round trip "
		    "(mean %.2f ms) and up to one\n  capture-pane round trip; "
		    "nothing is subtracted\n", sendmean);
		printf("RESULT samples=%zu p50=%.1f p95=%.1f p99=%.1f max=%.1f "
		    "timeouts=%d res_mean=%.2f res_p95=%.2f send_mean=%.2f\n",
		    nlat, pct_ms(lat, nlat, 50), pct_ms(lat, nlat, 95),
		    pct_ms(lat, nlat, 99), pct_ms(lat, nlat, 100), timeouts,
		    capmean, pct_ms(caps, ncap, 95), sendmean);
	}
	free(lat);
	free(caps);
	return 0;
}
