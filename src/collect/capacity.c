/*
 * capacity.c: per-line capacity estimates for check-config (see capacity.h).
 *
 * For each device: its period P (the shortest period of the events that
 * read it) and the time T of one poll (its requests, from the same read
 * plan the executor runs).  A visit of a device to its line costs
 *   C + T + K + G
 * connect, tasks, keep-alive, guard (K is capped by the connector's
 * max_hold when one is set and others wait).  Then, per line:
 *   - a device with P <= K + T keeps its connection forever (rule 4); with
 *     other devices on the line and no max_hold, they starve;
 *   - otherwise the line serves its devices in turn; a device whose P is
 *     shorter than the round (the sum of all visits) misses periods.
 *     A single device with P > K misses periods when K + T + G > P.
 * The figures for C and the request time are deliberately pessimistic for
 * TCP on a plant LAN and computed from the baud rate for RTU.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/capacity.h"
#include "collect/readplan.h"
#include "core/i18n.h"
#include "core/util.h"

#define TCP_CONNECT_MS 50.0
#define TCP_REQUEST_MS 5.0
#define RTU_TURNAROUND_MS 5.0

static double
request_ms(const struct connector *c, const struct read_block *b)
{
	double bits_per_byte, bytes;
	bool bits = b->table == TABLE_COIL || b->table == TABLE_DISCRETE_INPUT;

	if (c->kind == CONNECTOR_TCP)
		return TCP_REQUEST_MS;
	bits_per_byte = 1 + c->data_bits + (c->parity != 'N') + c->stop_bits;
	/* Request 8 bytes; reply 5 + payload; 3.5 characters of silence each. */
	bytes = 8 + 5 + (bits ? (b->count + 7) / 8 : 2 * b->count) + 7;
	return bytes * bits_per_byte * 1000.0 / c->baud + RTU_TURNAROUND_MS +
	    c->inter_frame_delay_ms;
}

/* Points of device read by some event, and the shortest such period. */
static size_t
polled_points(const struct model *m, size_t device, size_t *pts,
    int64_t *period)
{
	unsigned char *seen = xcalloc(m->npoints + 1, 1);
	size_t n = 0;

	*period = 0;
	for (size_t e = 0; e < m->nevents; e++) {
		const struct periodic_event *ev = &m->events[e];

		for (size_t i = 0; i < ev->npoints; i++) {
			size_t p = ev->points[i];

			if (m->points[p].device != device)
				continue;
			if (*period == 0 || ev->period_ms < *period)
				*period = ev->period_ms;
			if (!seen[p]) {
				seen[p] = 1;
				pts[n++] = p;
			}
		}
	}
	free(seen);
	return n;
}

double
capacity_task_ms(const struct model *m, size_t device)
{
	const struct connector *c = &m->connectors[m->devices[device].connector];
	size_t *pts = xcalloc(m->npoints + 1, sizeof *pts);
	struct read_block *blocks = xcalloc(m->npoints + 1, sizeof *blocks);
	int64_t period;
	size_t n = polled_points(m, device, pts, &period), nb;
	double ms = 0;

	nb = readplan_build(m, NULL, pts, n, blocks);
	for (size_t i = 0; i < nb; i++)
		ms += request_ms(c, &blocks[i]);
	free(pts);
	free(blocks);
	return ms;
}

static void
warn(struct capacity_report *r, size_t connector, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
warn(struct capacity_report *r, size_t connector, const char *fmt, ...)
{
	va_list ap;

	r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
	r->v[r->n].connector = connector;
	va_start(ap, fmt);
	vsnprintf(r->v[r->n].text, sizeof r->v[r->n].text, fmt, ap);
	va_end(ap);
	r->n++;
}

struct dev_load {
	size_t device;
	int64_t period;         /* 0: not polled */
	double task_ms;
};

static void
check_line(const struct model *m, const struct executor_defaults *p,
    size_t line, struct capacity_report *r)
{
	const struct connector *c = &m->connectors[line];
	struct dev_load *d = xcalloc(m->ndevices + 1, sizeof *d);
	size_t *pts = xcalloc(m->npoints + 1, sizeof *pts);
	size_t n = 0;
	double connect = c->kind == CONNECTOR_TCP ? TCP_CONNECT_MS : 0;
	double keep = (double)p->keep_alive_ms, round_ms = 0;

	for (size_t i = 0; i < m->ndevices; i++) {
		if (m->devices[i].connector != line)
			continue;
		d[n].device = i;
		polled_points(m, i, pts, &d[n].period);
		if (d[n].period == 0)
			continue;
		d[n].task_ms = capacity_task_ms(m, i);
		n++;
	}
	if (n > 1 && c->max_hold_ms > 0 && c->max_hold_ms < keep)
		keep = (double)c->max_hold_ms;

	for (size_t i = 0; i < n; i++) {
		const char *id = m->devices[d[i].device].id;

		if (n > 1 && c->max_hold_ms == 0 &&
		    (double)d[i].period <= p->keep_alive_ms + d[i].task_ms) {
			warn(r, line, _("line %s: device %s is polled every "
			    "%.1f s, within the keep-alive of %.1f s, so it "
			    "never releases the line and the other %zu "
			    "device(s) on it starve; set max_hold_ms on the "
			    "connector or poll less often"), c->id, id,
			    (double)d[i].period / 1000.0,
			    (double)p->keep_alive_ms / 1000.0, n - 1);
			free(d);
			free(pts);
			return;
		}
		round_ms += connect + d[i].task_ms + keep + (double)p->guard_ms;
	}
	for (size_t i = 0; i < n; i++) {
		const char *id = m->devices[d[i].device].id;

		if (n == 1 && (double)d[i].period <= keep + d[i].task_ms)
			break;  /* held open: served every period */
		if ((double)d[i].period < round_ms)
			warn(r, line, _("line %s: serving its %zu device(s) "
			    "once takes about %.1f s (connect, tasks, "
			    "keep-alive %.1f s, guard %.1f s each), longer "
			    "than the %.1f s period of device %s: it will "
			    "miss periods"), c->id, n, round_ms / 1000.0,
			    keep / 1000.0, (double)p->guard_ms / 1000.0,
			    (double)d[i].period / 1000.0, id);
	}
	free(d);
	free(pts);
}

void
capacity_check(const struct model *m, const struct executor_defaults *p,
    struct capacity_report *out)
{
	memset(out, 0, sizeof *out);
	for (size_t l = 0; l < m->nconnectors; l++)
		check_line(m, p, l, out);
}

void
capacity_report_free(struct capacity_report *r)
{
	free(r->v);
	memset(r, 0, sizeof *r);
}
