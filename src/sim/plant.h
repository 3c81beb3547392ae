/*
 * plant.h: the simulated process values behind jope-smb-sim.
 *
 * The plant owns one libmodbus register mapping per configured device and
 * knows which addresses belong to a point.  The server asks it to refresh a
 * device just before answering a request, so every reply carries the value
 * of each point's sim profile at that instant, encoded with the same codec
 * the console decodes with.
 *
 * Besides its points every device serves two blocks the configuration
 * cannot describe: a writable clock (holding registers 9000..9003) and, on
 * a device whose id contains "raman", a spectrum in input registers
 * 999..3047.  A configured point that overlaps them wins.
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

/* Holding 9000-9001: Unix seconds (uint32, ABCD), 9002: milliseconds,
 * 9003: 1 once a client has set the clock.  Writing 9000..9002 sets it. */
#define PLANT_CLOCK_ADDRESS 9000
#define PLANT_CLOCK_REGISTERS 4

/* Input 999: spectrum sequence number; 1000..3047: 1024 float32 (ABCD). */
#define PLANT_SPECTRUM_SEQ_ADDRESS 999
#define PLANT_SPECTRUM_ADDRESS 1000
#define PLANT_SPECTRUM_REGISTERS 2048
#define PLANT_SPECTRUM_INTERVAL_S 1     /* a new spectrum every second */

struct plant;

/* NULL when a mapping cannot be allocated (errno set). */
struct plant *plant_new(const struct model *m, uint64_t seed);
void plant_free(struct plant *p);

/* The register tables of device d, for modbus_reply. */
modbus_mapping_t *plant_mapping(struct plant *p, size_t device);

/* 1 when every address in [address, address + count) is part of a point. */
int plant_covers(const struct plant *p, size_t device, enum modbus_table t,
    int address, int count);

/* Whether device d serves a spectrum (its id contains "raman"). */
int plant_has_spectrum(const struct plant *p, size_t device);

/*
 * Encode every point of device d at t seconds since the plant started,
 * its clock at the real time now, and its spectrum if it has one.
 */
void plant_refresh(struct plant *p, size_t device, double t);

/*
 * A client wrote these addresses (already in the mapping): the points there
 * stop following their profile and keep the written value (a setpoint stays
 * where it was put); a write to the clock registers sets the device's clock
 * to what they now hold, and it runs on from there.
 */
void plant_written(struct plant *p, size_t device, enum modbus_table t,
    int address, int count);

#endif
