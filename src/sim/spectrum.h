/*
 * spectrum.h: the synthetic Raman spectrum a simulated gateway serves.
 *
 * A spectrum is SPECTRUM_PIXELS intensities (counts): a fluorescence
 * baseline plus one Gaussian band per component, whose height follows that
 * component's concentration, plus noise.  Concentrations drift slowly as
 * sines of period SPECTRUM_PERIOD_S, so an inference model fed with these
 * spectra has something to track.  Pure functions of the time and of a
 * generator: plant.c decides when a new spectrum is taken and where its
 * registers live.
 */
#ifndef JOPE_SIM_SPECTRUM_H
#define JOPE_SIM_SPECTRUM_H

#include "sim/plant.h"

#define SPECTRUM_PIXELS 1024
#define SPECTRUM_COMPONENTS 4
#define SPECTRUM_PERIOD_S 300.0     /* of the concentration drift */

/* Concentration of each component (g/L) at t seconds. */
void spectrum_concentrations(double t, double c[SPECTRUM_COMPONENTS]);

/* The spectrum taken at t seconds, noise drawn from r, into out. */
void spectrum_generate(double t, struct rng *r, float out[SPECTRUM_PIXELS]);

#endif
