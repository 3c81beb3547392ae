/*
 * plant.h: the simulated process values behind jope-smb-sim.
 *
 * The plant owns one libmodbus register mapping per configured device and
 * knows which addresses belong to a point.  The server asks it to refresh a
 * device just before answering a request, so every reply carries the value
 * of each point's sim profile at that instant, encoded with the same codec
 * the console decodes with.
 */
#ifndef JOPE_SIM_PLANT_H
#define JOPE_SIM_PLANT_H

#include <stddef.h>
#include <stdint.h>

#include <modbus.h>

#include "config/model.h"

/* A small deterministic generator (splitmix64): same seed, same plant. */
struct rng {
	uint64_t state;
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_gaussian(struct rng *r);         /* N(0, 1) */

/* wave(x) for x in cycles: constant 0, sine, square +-1, sawtooth -1..1. */
double sim_wave(enum sim_wave w, double x);
/* base + amplitude * wave(t / period_s + phase) + noise * gauss. */
double sim_value(const struct sim_profile *s, double t, double gauss);

struct plant;

/* NULL when a mapping cannot be allocated (errno set). */
struct plant *plant_new(const struct model *m, uint64_t seed);
void plant_free(struct plant *p);

/* The register tables of device d, for modbus_reply. */
modbus_mapping_t *plant_mapping(struct plant *p, size_t device);

/* 1 when every address in [address, address + count) is part of a point. */
int plant_covers(const struct plant *p, size_t device, enum modbus_table t,
    int address, int count);

/* Encode every point of device d at t seconds since the plant started. */
void plant_refresh(struct plant *p, size_t device, double t);

/*
 * A client wrote these addresses: the points there stop following their
 * profile and keep the written value (a setpoint stays where it was put).
 */
void plant_hold(struct plant *p, size_t device, enum modbus_table t,
    int address, int count);

#endif
