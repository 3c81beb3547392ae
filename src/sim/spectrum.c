/*
 * spectrum.c: a plausible Raman spectrum out of a few closed formulas.
 *
 * Pixel i (0..1023) stands for a Raman shift of 200 + i * 3000 / 1023
 * cm-1; nothing depends on that, it only makes the bands sit where an
 * operator expects bands.  Intensity in counts:
 *
 *   I(i) = baseline(i) + sum_k gain_k * c_k(t) * exp(-(i - centre_k)^2 /
 *          (2 * width_k^2)) + 3 * N(0,1)
 *   baseline(i) = 800 + 400 * exp(-i / 400) + 0.05 * i
 *   c_k(t) = base_k + amplitude_k * sin(2 pi (t / 300 + phase_k))
 *
 * The table below holds the four components.  Everything but the noise is
 * a pure function of t, so a test can predict the band heights from the
 * documented concentrations; the noise comes from the caller's generator,
 * which plant.c seeds per device and per spectrum so that a run is
 * reproducible whichever spectra a client happens to read.
 */
#include "config.h"

#include <math.h>

#include "sim/spectrum.h"

#define NOISE_COUNTS 3.0

struct component {
	double centre, width;       /* pixels */
	double gain;                /* counts per g/L at the band's top */
	double base, amplitude;     /* g/L */
	double phase;               /* cycles */
};

static const struct component components[SPECTRUM_COMPONENTS] = {
	{ 180.0,  6.0, 400.0, 5.0, 2.0, 0.00 },
	{ 402.0,  9.0, 300.0, 3.0, 1.5, 0.25 },
	{ 615.0,  7.0, 500.0, 2.0, 1.0, 0.50 },
	{ 840.0, 12.0, 250.0, 4.0, 1.0, 0.75 },
};

void
spectrum_concentrations(double t, double c[SPECTRUM_COMPONENTS])
{
	for (int k = 0; k < SPECTRUM_COMPONENTS; k++) {
		const struct component *p = &components[k];

		c[k] = p->base + p->amplitude *
		    sin(2.0 * M_PI * (t / SPECTRUM_PERIOD_S + p->phase));
	}
}

void
spectrum_generate(double t, struct rng *r, float out[SPECTRUM_PIXELS])
{
	double c[SPECTRUM_COMPONENTS];

	spectrum_concentrations(t, c);
	for (int i = 0; i < SPECTRUM_PIXELS; i++) {
		double v = 800.0 + 400.0 * exp(-i / 400.0) + 0.05 * i;

		for (int k = 0; k < SPECTRUM_COMPONENTS; k++) {
			const struct component *p = &components[k];
			double d = (i - p->centre) / p->width;

			v += p->gain * c[k] * exp(-0.5 * d * d);
		}
		out[i] = (float)(v + NOISE_COUNTS * rng_gaussian(r));
	}
}
