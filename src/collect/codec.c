/*
 * codec.c: Modbus registers <-> engineering values, both directions.
 *
 * A point's raw value is assembled from its registers as a 32-bit word in
 * the order the device sends the bytes (model.h names the orders by where
 * bytes A..D, most significant first, land on the wire), then read as the
 * point's type and turned into engineering units as raw * scale + offset.
 * Encoding runs the same steps backwards.  Keeping both in one file, on the
 * same pair of helpers (regs_to_word, word_to_regs), is what guarantees that
 * the simulator serves exactly what the console will decode.
 *
 * Rules worth knowing:
 * - bool (or any point in a bit table) is 0 or 1; scale and offset do not
 *   apply.  On encode anything >= 0.5 is 1, everything else (NaN too) 0.
 * - Integers are rounded half away from zero and saturated to the range of
 *   the type; NaN encodes as 0.
 * - float32 keeps NaN and infinity as they are on encode (so the simulator
 *   can serve a deliberately bad value), saturates finite values to
 *   +-FLT_MAX, and on decode a NaN or infinite result is rejected (-1): the
 *   caller records the sample as a bad value rather than storing it.
 * - A scale of 0 is rejected by the configuration; here it is treated as 1
 *   so that a bad model can never produce a division by zero.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "collect/codec.h"

static int
is_bit_point(const struct point *p)
{
	return p->type == VALUE_BOOL || p->table == TABLE_COIL ||
	    p->table == TABLE_DISCRETE_INPUT;
}

static double
point_scale(const struct point *p)
{
	return p->scale == 0.0 || !isfinite(p->scale) ? 1.0 : p->scale;
}

/* Swap the two bytes of a register: the "BA" of "BADC" and "DCBA". */
static uint16_t
swap16(uint16_t r)
{
	return (uint16_t)((r >> 8) | (r << 8));
}

static int
order_swaps_bytes(enum byte_order o)
{
	return o == ORDER_BADC || o == ORDER_DCBA;
}

static int
order_swaps_words(enum byte_order o)
{
	return o == ORDER_CDAB || o == ORDER_DCBA;
}

static uint16_t
reg_to_half(enum byte_order o, uint16_t r)
{
	return order_swaps_bytes(o) ? swap16(r) : r;
}

static uint32_t
regs_to_word(enum byte_order o, const uint16_t *regs)
{
	uint16_t hi = regs[0], lo = regs[1];

	if (order_swaps_words(o)) {
		hi = regs[1];
		lo = regs[0];
	}
	return (uint32_t)reg_to_half(o, hi) << 16 | reg_to_half(o, lo);
}

static void
word_to_regs(enum byte_order o, uint32_t w, uint16_t *regs)
{
	uint16_t hi = reg_to_half(o, (uint16_t)(w >> 16));
	uint16_t lo = reg_to_half(o, (uint16_t)w);

	if (order_swaps_words(o)) {
		regs[0] = lo;
		regs[1] = hi;
	} else {
		regs[0] = hi;
		regs[1] = lo;
	}
}

static float
word_to_float(uint32_t w)
{
	float f;

	memcpy(&f, &w, sizeof f);
	return f;
}

static uint32_t
float_to_word(float f)
{
	uint32_t w;

	memcpy(&w, &f, sizeof w);
	return w;
}

int
codec_decode(const struct point *p, const uint16_t *regs, double *value)
{
	double raw;

	if (is_bit_point(p)) {
		*value = regs[0] != 0 ? 1.0 : 0.0;
		return 0;
	}
	switch (p->type) {
	case VALUE_U16:
		raw = reg_to_half(p->order, regs[0]);
		break;
	case VALUE_I16:
		raw = (int16_t)reg_to_half(p->order, regs[0]);
		break;
	case VALUE_U32:
		raw = regs_to_word(p->order, regs);
		break;
	case VALUE_I32:
		raw = (int32_t)regs_to_word(p->order, regs);
		break;
	case VALUE_F32:
		raw = word_to_float(regs_to_word(p->order, regs));
		break;
	default:
		*value = NAN;
		return -1;
	}
	*value = raw * point_scale(p) + p->offset;
	if (!isfinite(*value)) {
		*value = NAN;
		return -1;
	}
	return 0;
}

/* Round half away from zero and clamp into [lo, hi]; NaN gives 0. */
static double
round_clamp(double v, double lo, double hi)
{
	if (isnan(v))
		return 0.0;
	v = round(v);
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return v;
}

static float
clamp_float(double v)
{
	if (isfinite(v)) {
		if (v > FLT_MAX)
			return FLT_MAX;
		if (v < -FLT_MAX)
			return -FLT_MAX;
	}
	return (float)v;
}

void
codec_encode(const struct point *p, double value, uint16_t *regs)
{
	double raw;

	if (is_bit_point(p)) {
		regs[0] = value >= 0.5 ? 1 : 0;
		return;
	}
	raw = (value - p->offset) / point_scale(p);
	switch (p->type) {
	case VALUE_U16:
		regs[0] = reg_to_half(p->order,
		    (uint16_t)round_clamp(raw, 0.0, UINT16_MAX));
		break;
	case VALUE_I16:
		regs[0] = reg_to_half(p->order, (uint16_t)(int16_t)
		    round_clamp(raw, INT16_MIN, INT16_MAX));
		break;
	case VALUE_U32:
		word_to_regs(p->order,
		    (uint32_t)round_clamp(raw, 0.0, UINT32_MAX), regs);
		break;
	case VALUE_I32:
		word_to_regs(p->order, (uint32_t)(int32_t)
		    round_clamp(raw, INT32_MIN, INT32_MAX), regs);
		break;
	case VALUE_F32:
		word_to_regs(p->order, float_to_word(clamp_float(raw)), regs);
		break;
	default:
		regs[0] = 0;
		break;
	}
}
