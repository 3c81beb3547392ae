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
 *
 * Two blocks are not points, and own their addresses with a reserved owner
 * value instead of a point index (marked first, so that a configured point
 * overlapping them wins its registers):
 * - the clock, holding 9000..9003 on every device: real time plus a
 *   per-device offset, which a write to 9000..9002 sets;
 * - the spectrum, input 999..3047 on a device whose id contains "raman"
 *   (in any case): a sequence number and 1024 float32 pixels, regenerated
 *   when a refresh finds that a new second has begun.  Its noise generator
 *   is seeded from the seed, the device and the second, so the spectrum of
 *   a given second is the same whoever reads it, however often.
 * Spans grow to cover these blocks; for a device with points near 0 the
 * holding table then spans 9004 registers, a few tens of kilobytes.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/codec.h"
#include "core/util.h"
#include "sim/plant.h"
#include "sim/spectrum.h"

#define TABLE_COUNT 4
#define ADDRESS_LIMIT 65536
#define OWNER_CLOCK UINT32_MAX          /* owner of the clock registers */
#define OWNER_SPECTRUM (UINT32_MAX - 1) /* owner of the spectrum block */

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
	int spectrum;               /* serves the spectrum block */
	long spectrum_second;       /* second of the spectrum served, -1 */
	int64_t clock_offset_ms;    /* device clock - real time */
	int clock_set;              /* a client has written the clock */
};

struct plant {
	const struct model *model;
	struct sim_device *devices;
	unsigned char *held;        /* per point: written by a client */
	struct rng rng;
	uint64_t seed;
};

/* A block that is not a point: the clock, or the spectrum. */
struct block {
	enum modbus_table table;
	int start, count;
	uint32_t owner;
};

static const struct block clock_block = {
	TABLE_HOLDING_REGISTER, PLANT_CLOCK_ADDRESS, PLANT_CLOCK_REGISTERS,
	OWNER_CLOCK
};
static const struct block spectrum_block = {
	TABLE_INPUT_REGISTER, PLANT_SPECTRUM_SEQ_ADDRESS,
	1 + PLANT_SPECTRUM_REGISTERS, OWNER_SPECTRUM
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

/* "Raman-GW", "raman2", "pt-raman": a device that serves a spectrum. */
static int
id_has_raman(const char *id)
{
	static const char word[] = "raman";

	for (; *id != '\0'; id++) {
		size_t k = 0;

		while (word[k] != '\0' &&
		    tolower((unsigned char)id[k]) == word[k])
			k++;
		if (word[k] == '\0')
			return 1;
	}
	return 0;
}

static void
widen(int *lo, int *hi, int start, int count)
{
	if (start < *lo)
		*lo = start;
	if (start + count > *hi)
		*hi = start + count;
}

/* First pass over a device's points and blocks: the span of each table. */
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

		widen(&lo[p->table], &hi[p->table], p->address,
		    point_span(p));
	}
	widen(&lo[clock_block.table], &hi[clock_block.table],
	    clock_block.start, clock_block.count);
	if (d->spectrum)
		widen(&lo[spectrum_block.table], &hi[spectrum_block.table],
		    spectrum_block.start, spectrum_block.count);
	for (t = 0; t < TABLE_COUNT; t++) {
		d->span[t].start = hi[t] > lo[t] ? lo[t] : 0;
		d->span[t].count = hi[t] > lo[t] ? hi[t] - lo[t] : 0;
		d->span[t].owner = xcalloc((size_t)d->span[t].count + 1,
		    sizeof *d->span[t].owner);
	}
}

static void
mark_block(struct sim_device *d, const struct block *b)
{
	struct span *s = &d->span[b->table];

	for (int a = 0; a < b->count; a++)
		s->owner[b->start - s->start + a] = b->owner;
}

/*
 * Second pass: who owns each address.  Blocks first, then points, so a
 * point wins over a block and a later point over an earlier one.
 */
static void
mark_owners(const struct model *m, struct sim_device *d)
{
	mark_block(d, &clock_block);
	if (d->spectrum)
		mark_block(d, &spectrum_block);
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
	d->spectrum = id_has_raman(m->devices[dev].id);
	d->spectrum_second = -1;
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
	p->seed = seed;
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

int
plant_has_spectrum(const struct plant *p, size_t device)
{
	return p->devices[device].spectrum;
}

static int64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Set holding register a if the block that owns it is still its owner. */
static void
store_block_register(struct sim_device *d, enum modbus_table t,
    uint32_t owner, int a, uint16_t v)
{
	const struct span *s = &d->span[t];

	if (s->owner[a - s->start] != owner)
		return;
	if (t == TABLE_HOLDING_REGISTER)
		d->map->tab_registers[a - d->map->start_registers] = v;
	else
		d->map->tab_input_registers[a - d->map->start_input_registers] =
		    v;
}

static void
refresh_clock(struct sim_device *d)
{
	int64_t now = real_ms() + d->clock_offset_ms;
	uint32_t secs = now < 0 ? 0 : (uint32_t)(now / 1000);
	uint16_t regs[PLANT_CLOCK_REGISTERS] = {
		(uint16_t)(secs >> 16), (uint16_t)(secs & 0xffff),
		(uint16_t)(now < 0 ? 0 : now % 1000), (uint16_t)d->clock_set
	};

	for (int k = 0; k < PLANT_CLOCK_REGISTERS; k++)
		store_block_register(d, clock_block.table, OWNER_CLOCK,
		    PLANT_CLOCK_ADDRESS + k, regs[k]);
}

/* A new spectrum when a new second has begun; the same one until then. */
static void
refresh_spectrum(struct plant *p, size_t device, double t)
{
	static const struct point pixel = {
		.table = TABLE_INPUT_REGISTER, .type = VALUE_F32,
		.order = ORDER_ABCD, .scale = 1.0
	};
	struct sim_device *d = &p->devices[device];
	float out[SPECTRUM_PIXELS];
	long second = (long)floor(t / PLANT_SPECTRUM_INTERVAL_S);
	struct rng r;

	if (second == d->spectrum_second)
		return;
	d->spectrum_second = second;
	rng_seed(&r, p->seed ^ ((uint64_t)device << 40) ^
	    ((uint64_t)second * UINT64_C(0x9E3779B97F4A7C15)));
	spectrum_generate((double)second * PLANT_SPECTRUM_INTERVAL_S, &r,
	    out);
	for (int i = 0; i < SPECTRUM_PIXELS; i++) {
		uint16_t regs[2];
		int a = PLANT_SPECTRUM_ADDRESS + 2 * i;

		codec_encode(&pixel, out[i], regs);
		store_block_register(d, TABLE_INPUT_REGISTER, OWNER_SPECTRUM,
		    a, regs[0]);
		store_block_register(d, TABLE_INPUT_REGISTER, OWNER_SPECTRUM,
		    a + 1, regs[1]);
	}
	/* The first spectrum is number 1; 0 means none yet. */
	store_block_register(d, TABLE_INPUT_REGISTER, OWNER_SPECTRUM,
	    PLANT_SPECTRUM_SEQ_ADDRESS, (uint16_t)((second + 1) & 0xffff));
}

void
plant_refresh(struct plant *p, size_t device, double t)
{
	struct sim_device *d = &p->devices[device];

	for (size_t k = 0; k < d->npoints; k++) {
		const struct point *pt = &p->model->points[d->points[k]];
		uint16_t regs[4] = { 0, 0, 0, 0 };  /* the widest: 64 bits */
		double gauss = 0.0;

		if (p->held[d->points[k]])
			continue;
		if (pt->sim.noise != 0.0)
			gauss = rng_gaussian(&p->rng);
		codec_encode(pt, sim_value(&pt->sim, t, gauss), regs);
		store_point(d->map, pt, regs);
	}
	refresh_clock(d);
	if (d->spectrum)
		refresh_spectrum(p, device, t);
}

/* The clock registers were written: the clock now reads what they hold. */
static void
set_clock(struct sim_device *d)
{
	const uint16_t *r = &d->map->tab_registers[PLANT_CLOCK_ADDRESS -
	    d->map->start_registers];
	int64_t secs = (int64_t)r[0] << 16 | r[1];
	int64_t ms = r[2] > 999 ? 999 : r[2];

	d->clock_offset_ms = secs * 1000 + ms - real_ms();
	d->clock_set = 1;
}

void
plant_written(struct plant *p, size_t device, enum modbus_table t,
    int address, int count)
{
	struct sim_device *d = &p->devices[device];
	const struct span *s = &d->span[t];
	int clock = 0;

	for (int a = address; a < address + count; a++) {
		uint32_t owner;

		if (a < s->start || a - s->start >= s->count)
			continue;
		owner = s->owner[a - s->start];
		if (owner == OWNER_CLOCK)
			clock |= a < PLANT_CLOCK_ADDRESS + 3;
		else if (owner != 0 && owner != OWNER_SPECTRUM)
			p->held[owner - 1] = 1;
	}
	/* Only when all three registers are the clock's: see mark_owners. */
	if (clock && s->owner[PLANT_CLOCK_ADDRESS - s->start] == OWNER_CLOCK &&
	    s->owner[PLANT_CLOCK_ADDRESS + 1 - s->start] == OWNER_CLOCK &&
	    s->owner[PLANT_CLOCK_ADDRESS + 2 - s->start] == OWNER_CLOCK)
		set_clock(d);
}
