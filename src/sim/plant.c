/*
 * plant.c: simulated process values, one register mapping per device.
 *
 * Each device gets a libmodbus mapping whose four tables span exactly the
 * addresses its points use (from the lowest to the end of the highest), so
 * memory stays proportional to the configuration, not to 65536 registers.
 * Next to each table lies an owner array: for every address, the index of
 * the point that lives there (+1), 0 for a gap.  The server uses it to
 * answer exception 02 for any address that is not part of a point, even a
 * gap inside the span, which is what a real device with a sparse register
 * map does.
 *
 * Values are computed on demand: plant_refresh() evaluates every point of
 * one device at time t and encodes it with codec_encode() into the mapping.
 * A point a client has written is "held" and keeps the written registers.
 * Noise comes from one seeded generator, so a run is reproducible with
 * --seed; the plant is only ever used from the simulator's single thread.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collect/codec.h"
#include "core/util.h"
#include "sim/plant.h"

#define TABLE_COUNT 4
#define ADDRESS_LIMIT 65536

struct span {
	int start;                  /* first address of the table's span */
	int count;                  /* registers (or bits) in the span */
	uint32_t *owner;            /* point index + 1 per address, 0 = gap */
};

struct sim_device {
	modbus_mapping_t *map;
	struct span span[TABLE_COUNT];
	size_t *points;             /* indices into model.points */
	size_t npoints;
};

struct plant {
	const struct model *model;
	struct sim_device *devices;
	unsigned char *held;        /* per point: written by a client */
	struct rng rng;
};

void
rng_seed(struct rng *r, uint64_t seed)
{
	r->state = seed;
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in (0, 1]: never 0, so the logarithm below is finite. */
static double
rng_unit(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 1.0) / 9007199254740992.0;
}

/* Box-Muller; one of the pair is thrown away, simplicity over speed. */
double
rng_gaussian(struct rng *r)
{
	double u = rng_unit(r), v = rng_unit(r);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

double
sim_wave(enum sim_wave w, double x)
{
	double f = x - floor(x);

	switch (w) {
	case SIM_SINE:
		return sin(2.0 * M_PI * f);
	case SIM_SQUARE:
		return f < 0.5 ? 1.0 : -1.0;
	case SIM_SAWTOOTH:
		return 2.0 * f - 1.0;
	case SIM_CONSTANT:
		break;
	}
	return 0.0;
}

double
sim_value(const struct sim_profile *s, double t, double gauss)
{
	double v = s->base + s->noise * gauss;

	if (s->wave != SIM_CONSTANT && s->period_s > 0.0)
		v += s->amplitude * sim_wave(s->wave, t / s->period_s +
		    s->phase);
	return v;
}

static int
is_bit_table(enum modbus_table t)
{
	return t == TABLE_COIL || t == TABLE_DISCRETE_INPUT;
}

/* Addresses a point occupies: one bit in a bit table, else its width. */
static int
point_span(const struct point *p)
{
	return is_bit_table(p->table) ? 1 : point_width(p);
}

static int
point_fits(const struct point *p)
{
	return p->address >= 0 && p->address + point_span(p) <= ADDRESS_LIMIT;
}

/* First pass over a device's points: the span of each table. */
static void
measure_spans(const struct model *m, struct sim_device *d)
{
	int lo[TABLE_COUNT], hi[TABLE_COUNT];
	int t;

	for (t = 0; t < TABLE_COUNT; t++) {
		lo[t] = ADDRESS_LIMIT;
		hi[t] = 0;
	}
	for (size_t k = 0; k < d->npoints; k++) {
		const struct point *p = &m->points[d->points[k]];

		if (p->address < lo[p->table])
			lo[p->table] = p->address;
		if (p->address + point_span(p) > hi[p->table])
			hi[p->table] = p->address + point_span(p);
	}
	for (t = 0; t < TABLE_COUNT; t++) {
		d->span[t].start = hi[t] > lo[t] ? lo[t] : 0;
		d->span[t].count = hi[t] > lo[t] ? hi[t] - lo[t] : 0;
		d->span[t].owner = xcalloc((size_t)d->span[t].count + 1,
		    sizeof *d->span[t].owner);
	}
}

/* Second pass: who owns each address.  A later point wins an overlap. */
static void
mark_owners(const struct model *m, struct sim_device *d)
{
	for (size_t k = 0; k < d->npoints; k++) {
		const struct point *p = &m->points[d->points[k]];
		struct span *s = &d->span[p->table];

		for (int a = 0; a < point_span(p); a++)
			s->owner[p->address - s->start + a] =
			    (uint32_t)d->points[k] + 1;
	}
}

static int
build_device(const struct model *m, size_t dev, struct sim_device *d)
{
	d->points = xcalloc(m->npoints, sizeof *d->points);
	for (size_t k = 0; k < m->npoints; k++)
		if (m->points[k].device == dev && point_fits(&m->points[k]))
			d->points[d->npoints++] = k;
	measure_spans(m, d);
	mark_owners(m, d);
	d->map = modbus_mapping_new_start_address(
	    (unsigned)d->span[TABLE_COIL].start, (unsigned)d->span[TABLE_COIL].count,
	    (unsigned)d->span[TABLE_DISCRETE_INPUT].start,
	    (unsigned)d->span[TABLE_DISCRETE_INPUT].count,
	    (unsigned)d->span[TABLE_HOLDING_REGISTER].start,
	    (unsigned)d->span[TABLE_HOLDING_REGISTER].count,
	    (unsigned)d->span[TABLE_INPUT_REGISTER].start,
	    (unsigned)d->span[TABLE_INPUT_REGISTER].count);
	return d->map == NULL ? -1 : 0;
}

struct plant *
plant_new(const struct model *m, uint64_t seed)
{
	struct plant *p = xcalloc(1, sizeof *p);

	p->model = m;
	p->devices = xcalloc(m->ndevices, sizeof *p->devices);
	p->held = xcalloc(m->npoints, 1);
	rng_seed(&p->rng, seed);
	for (size_t d = 0; d < m->ndevices; d++) {
		if (build_device(m, d, &p->devices[d]) != 0) {
			int saved = errno;

			plant_free(p);
			errno = saved;
			return NULL;
		}
	}
	return p;
}

void
plant_free(struct plant *p)
{
	if (p == NULL)
		return;
	for (size_t d = 0; d < p->model->ndevices; d++) {
		struct sim_device *sd = &p->devices[d];

		if (sd->map != NULL)
			modbus_mapping_free(sd->map);
		for (int t = 0; t < TABLE_COUNT; t++)
			free(sd->span[t].owner);
		free(sd->points);
	}
	free(p->devices);
	free(p->held);
	free(p);
}

modbus_mapping_t *
plant_mapping(struct plant *p, size_t device)
{
	return p->devices[device].map;
}

int
plant_covers(const struct plant *p, size_t device, enum modbus_table t,
    int address, int count)
{
	const struct span *s = &p->devices[device].span[t];

	if (count < 1 || address < s->start ||
	    address - s->start + count > s->count)
		return 0;
	for (int a = 0; a < count; a++)
		if (s->owner[address - s->start + a] == 0)
			return 0;
	return 1;
}

/* Where a point's registers (or its bit) live in the mapping. */
static void
store_point(modbus_mapping_t *map, const struct point *p,
    const uint16_t *regs)
{
	switch (p->table) {
	case TABLE_COIL:
		map->tab_bits[p->address - map->start_bits] = regs[0] != 0;
		break;
	case TABLE_DISCRETE_INPUT:
		map->tab_input_bits[p->address - map->start_input_bits] =
		    regs[0] != 0;
		break;
	case TABLE_HOLDING_REGISTER:
		memcpy(&map->tab_registers[p->address - map->start_registers],
		    regs, (size_t)point_width(p) * sizeof *regs);
		break;
	case TABLE_INPUT_REGISTER:
		memcpy(&map->tab_input_registers[p->address -
		    map->start_input_registers], regs,
		    (size_t)point_width(p) * sizeof *regs);
		break;
	}
}

void
plant_refresh(struct plant *p, size_t device, double t)
{
	struct sim_device *d = &p->devices[device];

	for (size_t k = 0; k < d->npoints; k++) {
		const struct point *pt = &p->model->points[d->points[k]];
		uint16_t regs[2] = { 0, 0 };
		double gauss = 0.0;

		if (p->held[d->points[k]])
			continue;
		if (pt->sim.noise != 0.0)
			gauss = rng_gaussian(&p->rng);
		codec_encode(pt, sim_value(&pt->sim, t, gauss), regs);
		store_point(d->map, pt, regs);
	}
}

void
plant_hold(struct plant *p, size_t device, enum modbus_table t,
    int address, int count)
{
	const struct span *s = &p->devices[device].span[t];

	for (int a = address; a < address + count; a++) {
		if (a < s->start || a - s->start >= s->count)
			continue;
		if (s->owner[a - s->start] != 0)
			p->held[s->owner[a - s->start] - 1] = 1;
	}
}
