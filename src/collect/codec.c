/*
 * codec.c: Modbus registers <-> engineering values, both directions.
 *
 * A point's raw value is assembled from its registers as one 16-, 32- or
 * 64-bit word in the order the device sends the bytes (model.h names the
 * orders by where bytes A..D, most significant first, land on the wire),
 * then read as the point's type and turned into engineering units as
 * raw * scale + offset.  A 64-bit value extends the 32-bit pattern to four
 * registers: ABCD is big-endian words of big-endian bytes, CDAB reverses
 * the word order, BADC swaps the bytes in each register, DCBA is fully
 * little-endian.  Encoding runs the same steps backwards.  Keeping both in
 * one file, on the same pair of helpers (regs_to_word, word_to_regs), is
 * what guarantees that the simulator serves exactly what the console will
 * decode.
 *
 * Rules worth knowing:
 * - bool (or any point in a bit table) is 0 or 1; scale and offset do not
 *   apply.  On encode anything >= 0.5 is 1, everything else (NaN too) 0.
 * - Integers are rounded half away from zero and saturated to the range of
 *   the type; NaN encodes as 0.
 * - uint64 and int64 travel as a double: exact up to 2^53 in magnitude,
 *   above that decoded to the nearest double (and encoded from it), so the
 *   low bits of a large counter are lost.  Register counters that need
 *   every bit are beyond what this console stores anyway (doubles).
 * - float32 and float64 keep NaN and infinity as they are on encode (so the
 *   simulator can serve a deliberately bad value); float32 saturates finite
 *   values to +-FLT_MAX.  On decode a NaN or infinite result is rejected
 *   (-1): the caller records the sample as a bad value rather than storing
 *   it.
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

/*
 * The n (1, 2 or 4) registers at regs as one word, most significant byte
 * first; the word order reverses for CDAB and DCBA.
 */
static uint64_t
regs_to_word(enum byte_order o, const uint16_t *regs, int n)
{
	uint64_t w = 0;

	for (int i = 0; i < n; i++) {
		uint16_t r = order_swaps_words(o) ? regs[n - 1 - i] : regs[i];

		w = w << 16 | reg_to_half(o, r);
	}
	return w;
}

static void
word_to_regs(enum byte_order o, uint64_t w, uint16_t *regs, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		uint16_t r = reg_to_half(o, (uint16_t)w);

		regs[order_swaps_words(o) ? n - 1 - i : i] = r;
		w >>= 16;
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

static double
word_to_double(uint64_t w)
{
	double d;

	memcpy(&d, &w, sizeof d);
	return d;
}

static uint64_t
double_to_word(double d)
{
	uint64_t w;

	memcpy(&w, &d, sizeof w);
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
		raw = (uint32_t)regs_to_word(p->order, regs, 2);
		break;
	case VALUE_I32:
		raw = (int32_t)(uint32_t)regs_to_word(p->order, regs, 2);
		break;
	case VALUE_F32:
		raw = word_to_float((uint32_t)regs_to_word(p->order, regs, 2));
		break;
	case VALUE_U64:
		raw = (double)regs_to_word(p->order, regs, 4);
		break;
	case VALUE_I64:
		raw = (double)(int64_t)regs_to_word(p->order, regs, 4);
		break;
	case VALUE_F64:
		raw = word_to_double(regs_to_word(p->order, regs, 4));
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

/*
 * The 64-bit integer nearest v, saturated.  2^64 and 2^63 are exact doubles
 * but not representable in the type, so the tests are >=, not >.
 */
static uint64_t
round_clamp_u64(double v)
{
	if (isnan(v) || v <= 0.0)
		return 0;
	v = round(v);
	if (v >= 18446744073709551616.0)        /* 2^64 */
		return UINT64_MAX;
	return (uint64_t)v;
}

static int64_t
round_clamp_i64(double v)
{
	if (isnan(v))
		return 0;
	v = round(v);
	if (v >= 9223372036854775808.0)         /* 2^63 */
		return INT64_MAX;
	if (v <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)v;
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
		    (uint32_t)round_clamp(raw, 0.0, UINT32_MAX), regs, 2);
		break;
	case VALUE_I32:
		word_to_regs(p->order, (uint32_t)(int32_t)
		    round_clamp(raw, INT32_MIN, INT32_MAX), regs, 2);
		break;
	case VALUE_F32:
		word_to_regs(p->order, float_to_word(clamp_float(raw)), regs,
		    2);
		break;
	case VALUE_U64:
		word_to_regs(p->order, round_clamp_u64(raw), regs, 4);
		break;
	case VALUE_I64:
		word_to_regs(p->order, (uint64_t)round_clamp_i64(raw), regs, 4);
		break;
	case VALUE_F64:
		word_to_regs(p->order, double_to_word(raw), regs, 4);
		break;
	default:
		regs[0] = 0;
		break;
	}
}
