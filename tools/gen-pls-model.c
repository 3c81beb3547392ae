/*
 * gen-pls-model.c: write the demo inference model for the simulated Raman
 * spectra (config/demo/inference-model.json).
 *
 * The model is not trained; it is derived from the spectrum's closed form
 * (src/sim/spectrum.c), which is the ideal a PLS regression on enough
 * spectra would approach.  For band k, with Gaussian shape g_k(i) of
 * height gain_k per g/L, the weights are
 *
 *   h_i = g_k(i) - mean(g_k over W_k)   for i in W_k = centre_k +- 4 width_k
 *   h_i = 0                             elsewhere
 *   w_i = h_i / (gain_k * sum_i h_i g_k(i))
 *
 * sum h_i = 0, and h is symmetric about a whole-pixel centre, so a baseline
 * that is constant or linear over the window contributes nothing, while
 * the band contributes exactly c_k.  The windows of different bands do not
 * overlap and the tails of a Gaussian beyond 4 widths are below 4e-4 of
 * its height, so the other bands contribute next to nothing either.  What
 * is left is the curvature of the fluorescence baseline, a constant per
 * output because the baseline does not change with time: the intercept is
 * fitted on the noiseless spectra of a few instants so that it cancels.
 * The noise of 3 counts per pixel then gives each output a standard error
 * of 3 * |w| = 3 / (gain_k * |h|), a few mg/L.
 *
 * The band table below repeats the centres, widths and gains of
 * spectrum.c, which keeps them private; the tool checks them against
 * spectrum_generate() itself (the difference of two noiseless spectra is
 * the bands alone) and refuses to write a model when they disagree.  It
 * links spectrum.c and nothing else of the simulator: the random generator
 * spectrum_generate() draws its noise from is supplied here, so that it can
 * draw none (the noiseless spectra) or draw it like plant.c does (the
 * accuracy check printed at the end).  Coefficients and intercepts are
 * written with 7 significant digits, and the intercept is fitted with the
 * rounded coefficients, so the file holds exactly the model that was
 * checked.
 *
 * Build (from the top of the source tree, after configure):
 *   gcc -std=gnu11 -Wall -Wextra -Werror -O2 -I. -Isrc \
 *       $(pkg-config --cflags libmodbus) -o tools/gen-pls-model \
 *       tools/gen-pls-model.c src/sim/spectrum.c -lm
 * Run:
 *   tools/gen-pls-model > config/demo/inference-model.json
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/spectrum.h"

#define MODEL_ID "smb-pls"
#define MODEL_VERSION "1.0"
#define WINDOW_WIDTHS 4.0           /* half-window, in band widths */
#define FIT_TIMES 12                /* noiseless spectra for the intercept */
#define CHECK_SPECTRA 1000          /* noisy spectra for the accuracy check */
#define PER_LINE 8                  /* coefficients per line of the file */

/* From spectrum.c, in its order; checked by check_bands(). */
static const struct {
	const char *name, *what;
	double centre, width, gain;
} bands[SPECTRUM_COMPONENTS] = {
	{ "api_r", "R-enantiomer of the API", 180.0, 6.0, 400.0 },
	{ "api_s", "S-enantiomer of the API", 402.0, 9.0, 300.0 },
	{ "impurity", "process impurity", 615.0, 7.0, 500.0 },
	{ "ethanol", "ethanol (desorbent)", 840.0, 12.0, 250.0 },
};

static double coef[SPECTRUM_COMPONENTS][SPECTRUM_PIXELS];
static double intercept[SPECTRUM_COMPONENTS];

/* --- the generator spectrum.c draws from (declared in sim/plant.h) --- */

static int noiseless;

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

double
rng_gaussian(struct rng *r)
{
	double u, v;

	if (noiseless)
		return 0.0;
	u = ((double)(rng_next(r) >> 11) + 1.0) / 9007199254740992.0;
	v = ((double)(rng_next(r) >> 11) + 1.0) / 9007199254740992.0;
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* --- the model -------------------------------------------------------- */

static double
band_shape(int k, int i)
{
	double d = (i - bands[k].centre) / bands[k].width;

	return exp(-0.5 * d * d);
}

/* A value as the file holds it: 7 significant digits. */
static double
round7(double x)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%.7g", x);
	return strtod(buf, NULL);
}

static void
derive_weights(int k)
{
	int lo = (int)ceil(bands[k].centre - WINDOW_WIDTHS * bands[k].width);
	int hi = (int)floor(bands[k].centre + WINDOW_WIDTHS * bands[k].width);
	double mean = 0.0, hg = 0.0;

	if (lo < 0)
		lo = 0;
	if (hi > SPECTRUM_PIXELS - 1)
		hi = SPECTRUM_PIXELS - 1;
	for (int i = lo; i <= hi; i++)
		mean += band_shape(k, i);
	mean /= hi - lo + 1;
	for (int i = lo; i <= hi; i++) {
		double h = band_shape(k, i) - mean;

		coef[k][i] = h;
		hg += h * band_shape(k, i);
	}
	for (int i = lo; i <= hi; i++)
		coef[k][i] = round7(coef[k][i] / (bands[k].gain * hg));
}

static double
apply(int k, const float *s)
{
	double acc = 0.0;

	for (int i = 0; i < SPECTRUM_PIXELS; i++)
		acc += coef[k][i] * (double)s[i];
	return acc;
}

static void
spectrum_at(double t, uint64_t seed, float *out)
{
	struct rng r;

	rng_seed(&r, seed);
	spectrum_generate(t, &r, out);
}

/*
 * The bands alone are the difference of two noiseless spectra: compare
 * with the table.  Float pixels of ~2000 counts round at 1e-4; a wrong
 * centre, width or gain is off by counts.  0, or -1 with a message.
 */
static int
check_bands(void)
{
	static float a[SPECTRUM_PIXELS], b[SPECTRUM_PIXELS];
	double ca[SPECTRUM_COMPONENTS], cb[SPECTRUM_COMPONENTS], worst = 0.0;
	const double ta = 0.0, tb = 75.0;

	noiseless = 1;
	spectrum_at(ta, 0, a);
	spectrum_at(tb, 0, b);
	spectrum_concentrations(ta, ca);
	spectrum_concentrations(tb, cb);
	for (int i = 0; i < SPECTRUM_PIXELS; i++) {
		double want = 0.0, got = (double)a[i] - (double)b[i];

		for (int k = 0; k < SPECTRUM_COMPONENTS; k++)
			want += bands[k].gain * (ca[k] - cb[k]) *
			    band_shape(k, i);
		if (fabs(got - want) > worst)
			worst = fabs(got - want);
	}
	if (worst > 0.01) {
		fprintf(stderr, "gen-pls-model: the band table differs from "
		    "src/sim/spectrum.c (off by %.3g counts); update it\n",
		    worst);
		return -1;
	}
	return 0;
}

/* Intercepts from noiseless spectra; prints how constant they were. */
static void
fit_intercepts(void)
{
	static float s[SPECTRUM_PIXELS];
	double lo[SPECTRUM_COMPONENTS], hi[SPECTRUM_COMPONENTS];
	double c[SPECTRUM_COMPONENTS];

	noiseless = 1;
	for (int k = 0; k < SPECTRUM_COMPONENTS; k++) {
		intercept[k] = 0.0;
		lo[k] = INFINITY;
		hi[k] = -INFINITY;
	}
	for (int j = 0; j < FIT_TIMES; j++) {
		double t = j * SPECTRUM_PERIOD_S / FIT_TIMES;

		spectrum_at(t, 0, s);
		spectrum_concentrations(t, c);
		for (int k = 0; k < SPECTRUM_COMPONENTS; k++) {
			double d = c[k] - apply(k, s);

			intercept[k] += d / FIT_TIMES;
			lo[k] = fmin(lo[k], d);
			hi[k] = fmax(hi[k], d);
		}
	}
	for (int k = 0; k < SPECTRUM_COMPONENTS; k++) {
		intercept[k] = round7(intercept[k]);
		fprintf(stderr, "gen-pls-model: %-8s intercept %+.7g g/L "
		    "(spread over %d instants %.2g)\n", bands[k].name,
		    intercept[k], FIT_TIMES, hi[k] - lo[k]);
	}
}

/* Max and RMS error over noisy spectra, seeded like plant.c's. */
static void
check_accuracy(void)
{
	static float s[SPECTRUM_PIXELS];
	double c[SPECTRUM_COMPONENTS], worst[SPECTRUM_COMPONENTS] = { 0 };
	double sq[SPECTRUM_COMPONENTS] = { 0 };

	noiseless = 0;
	for (int j = 0; j < CHECK_SPECTRA; j++) {
		double t = j * 0.7;

		spectrum_at(t, 1 ^ ((uint64_t)j * UINT64_C(0x9E3779B97F4A7C15)),
		    s);
		spectrum_concentrations(t, c);
		for (int k = 0; k < SPECTRUM_COMPONENTS; k++) {
			double e = intercept[k] + apply(k, s) - c[k];

			worst[k] = fmax(worst[k], fabs(e));
			sq[k] += e * e;
		}
	}
	for (int k = 0; k < SPECTRUM_COMPONENTS; k++)
		fprintf(stderr, "gen-pls-model: %-8s over %d noisy spectra: "
		    "max |error| %.4f g/L, rms %.4f g/L\n", bands[k].name,
		    CHECK_SPECTRA, worst[k], sqrt(sq[k] / CHECK_SPECTRA));
}

static void
write_model(FILE *fp)
{
	fprintf(fp, "{\n\t\"id\": \"%s\",\n\t\"version\": \"%s\",\n"
	    "\t\"pixels\": %d,\n", MODEL_ID, MODEL_VERSION, SPECTRUM_PIXELS);
	fprintf(fp, "\t\"description\": \"Band-selective linear model for "
	    "the synthetic Raman spectra of jope-smb-sim (chiral SMB: ");
	for (int k = 0; k < SPECTRUM_COMPONENTS; k++)
		fprintf(fp, "%s%s = %s", k > 0 ? ", " : "", bands[k].name,
		    bands[k].what);
	fprintf(fp, "). Generated by tools/gen-pls-model.c from the band "
	    "table of src/sim/spectrum.c; do not edit by hand.\",\n");
	fprintf(fp, "\t\"outputs\": [\n");
	for (int k = 0; k < SPECTRUM_COMPONENTS; k++) {
		fprintf(fp, "\t\t{\"name\": \"%s\", \"unit\": \"g/L\", "
		    "\"intercept\": %.7g,\n\t\t \"coefficients\": [",
		    bands[k].name, intercept[k]);
		for (int i = 0; i < SPECTRUM_PIXELS; i++) {
			if (i % PER_LINE == 0)
				fprintf(fp, "\n\t\t\t");
			else
				fputc(' ', fp);
			fprintf(fp, "%.7g%s", coef[k][i],
			    i + 1 < SPECTRUM_PIXELS ? "," : "");
		}
		fprintf(fp, "\n\t\t]}%s\n", k + 1 < SPECTRUM_COMPONENTS ?
		    "," : "");
	}
	fprintf(fp, "\t]\n}\n");
}

int
main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "Usage: gen-pls-model > inference-model.json\n"
		    "Write the demo inference model for jope-smb-sim's "
		    "spectra on standard output;\n"
		    "its checks go to standard error.\n");
		return 2;
	}
	if (check_bands() != 0)
		return 1;
	for (int k = 0; k < SPECTRUM_COMPONENTS; k++)
		derive_weights(k);
	fit_intercepts();
	check_accuracy();
	write_model(stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("gen-pls-model: standard output");
		return 1;
	}
	return 0;
}
