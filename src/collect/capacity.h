/*
 * capacity.h: "do not schedule more than can be served".
 *
 * The meter-collector design asks whoever writes a configuration to take
 * the rules into account: connect time, task time, keep-alive and guard
 * interval decide how often each device of a shared line can be served.
 * capacity_check estimates that per line from the model and the executor
 * parameters and returns one warning per problem, naming the line and the
 * devices: a device that never releases its line (polled faster than the
 * keep-alive) and starves the others, or a line whose round of devices
 * takes longer than a device's period.  Estimates, not guarantees: the
 * figures used are in capacity.c.
 */
#ifndef JOPE_CAPACITY_H
#define JOPE_CAPACITY_H

#include <stddef.h>

#include "config/model.h"

struct capacity_warning {
	size_t connector;
	char text[512];         /* translated */
};

struct capacity_report {
	struct capacity_warning *v;
	size_t n;
};

void capacity_check(const struct model *m, const struct executor_defaults *p,
    struct capacity_report *out);
void capacity_report_free(struct capacity_report *r);

/* Estimated time of one poll of every point of device (ms), for tests. */
double capacity_task_ms(const struct model *m, size_t device);

#endif
