/*
 * test_codec.c: the register codec, pinned down by known wire vectors, and
 * the read plan that decides which registers are read together.
 *
 * Each type and byte order is checked against registers written out by hand
 * (what a real device sends), then in round trips, then at the edges:
 * rounding, saturation, scale and offset, and NaN / infinity rejection.
 * If the simulator and the console ever disagree, one of these fails first.
 * The read plan tests (merging, max_gap, the 125-register limit) live here
 * too because they need only libjope and a hand-built model.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/codec.h"
#include "collect/readplan.h"

static struct point
make_point(enum value_type type, enum byte_order order)
{
	struct point p;

	memset(&p, 0, sizeof p);
	strcpy(p.id, "t");
	p.table = TABLE_HOLDING_REGISTER;
	p.type = type;
	p.order = order;
	p.scale = 1.0;
	p.offset = 0.0;
	return p;
}

static void
assert_regs(const uint16_t *got, uint16_t r0, uint16_t r1, int n)
{
	assert_int_equal(got[0], r0);
	if (n > 1)
		assert_int_equal(got[1], r1);
}

/* 123.456f is 0x42F6E979: A=42 B=F6 C=E9 D=79. */
static const struct {
	enum byte_order order;
	uint16_t r0, r1;
} f32_vectors[] = {
	{ ORDER_ABCD, 0x42F6, 0xE979 },
	{ ORDER_CDAB, 0xE979, 0x42F6 },
	{ ORDER_BADC, 0xF642, 0x79E9 },
	{ ORDER_DCBA, 0x79E9, 0xF642 },
};

static void
test_f32_orders(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof f32_vectors / sizeof f32_vectors[0];
	    i++) {
		struct point p = make_point(VALUE_F32, f32_vectors[i].order);
		uint16_t regs[2] = { 0, 0 };
		uint16_t in[2] = { f32_vectors[i].r0, f32_vectors[i].r1 };
		double v;

		codec_encode(&p, 123.456f, regs);
		assert_regs(regs, f32_vectors[i].r0, f32_vectors[i].r1, 2);
		assert_int_equal(codec_decode(&p, in, &v), 0);
		assert_true(v == (double)123.456f);
	}
}

static void
test_i32_orders(void **state)
{
	struct point p = make_point(VALUE_I32, ORDER_CDAB);
	uint16_t regs[2];
	uint16_t in[2];
	double v;

	(void)state;
	/* -2 is 0xFFFFFFFE: word-swapped, the low word comes first. */
	codec_encode(&p, -2.0, regs);
	assert_regs(regs, 0xFFFE, 0xFFFF, 2);
	assert_int_equal(codec_decode(&p, regs, &v), 0);
	assert_true(v == -2.0);

	/* 0x12345678 in every order. */
	p.order = ORDER_ABCD;
	codec_encode(&p, 0x12345678, regs);
	assert_regs(regs, 0x1234, 0x5678, 2);
	p.order = ORDER_CDAB;
	codec_encode(&p, 0x12345678, regs);
	assert_regs(regs, 0x5678, 0x1234, 2);
	p.order = ORDER_BADC;
	codec_encode(&p, 0x12345678, regs);
	assert_regs(regs, 0x3412, 0x7856, 2);
	p.order = ORDER_DCBA;
	codec_encode(&p, 0x12345678, regs);
	assert_regs(regs, 0x7856, 0x3412, 2);

	/* -100000 = 0xFFFE7960 read big-endian. */
	p.order = ORDER_ABCD;
	in[0] = 0xFFFE;
	in[1] = 0x7960;
	assert_int_equal(codec_decode(&p, in, &v), 0);
	assert_true(v == -100000.0);
}

static void
test_u32_orders(void **state)
{
	struct point p = make_point(VALUE_U32, ORDER_ABCD);
	uint16_t in[2] = { 0xFFFF, 0xFFFE };
	uint16_t regs[2];
	double v;

	(void)state;
	assert_int_equal(codec_decode(&p, in, &v), 0);
	assert_true(v == 4294967294.0);
	p.order = ORDER_DCBA;
	in[0] = 0x0001;         /* 256 = 00 00 01 00: D=00 C=01 */
	in[1] = 0x0000;         /* B=00 A=00 */
	assert_int_equal(codec_decode(&p, in, &v), 0);
	assert_true(v == 256.0);
	codec_encode(&p, 256.0, regs);
	assert_regs(regs, 0x0001, 0x0000, 2);
}

/* 64-bit vectors: four registers, the 32-bit scheme extended. */
struct vec64 {
	enum byte_order order;
	uint16_t r[4];
};

static void
check_vec64(enum value_type type, double value, const struct vec64 *vec,
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct point p = make_point(type, vec[i].order);
		uint16_t regs[4] = { 0, 0, 0, 0 };
		double v;

		codec_encode(&p, value, regs);
		for (int k = 0; k < 4; k++)
			assert_int_equal(regs[k], vec[i].r[k]);
		assert_int_equal(codec_decode(&p, vec[i].r, &v), 0);
		assert_true(v == value);
	}
}

static void
test_64bit_orders(void **state)
{
	/* 1.5 is 0x3FF8000000000000. */
	static const struct vec64 f64[] = {
		{ ORDER_ABCD, { 0x3FF8, 0x0000, 0x0000, 0x0000 } },
		{ ORDER_CDAB, { 0x0000, 0x0000, 0x0000, 0x3FF8 } },
		{ ORDER_BADC, { 0xF83F, 0x0000, 0x0000, 0x0000 } },
		{ ORDER_DCBA, { 0x0000, 0x0000, 0x0000, 0xF83F } },
	};
	/* -2 is 0xFFFFFFFFFFFFFFFE. */
	static const struct vec64 i64[] = {
		{ ORDER_ABCD, { 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE } },
		{ ORDER_CDAB, { 0xFFFE, 0xFFFF, 0xFFFF, 0xFFFF } },
		{ ORDER_BADC, { 0xFFFF, 0xFFFF, 0xFFFF, 0xFEFF } },
		{ ORDER_DCBA, { 0xFEFF, 0xFFFF, 0xFFFF, 0xFFFF } },
	};
	/* 2^40 + 5 is 0x0000010000000005. */
	static const struct vec64 u64[] = {
		{ ORDER_ABCD, { 0x0000, 0x0100, 0x0000, 0x0005 } },
		{ ORDER_CDAB, { 0x0005, 0x0000, 0x0100, 0x0000 } },
		{ ORDER_BADC, { 0x0000, 0x0001, 0x0000, 0x0500 } },
		{ ORDER_DCBA, { 0x0500, 0x0000, 0x0001, 0x0000 } },
	};
	/* Every byte distinct, 53 significant bits: exact in a double. */
	static const struct vec64 u64b[] = {
		{ ORDER_ABCD, { 0x0011, 0x2233, 0x4455, 0x6677 } },
		{ ORDER_CDAB, { 0x6677, 0x4455, 0x2233, 0x0011 } },
		{ ORDER_BADC, { 0x1100, 0x3322, 0x5544, 0x7766 } },
		{ ORDER_DCBA, { 0x7766, 0x5544, 0x3322, 0x1100 } },
	};
	/* -1.0e-300: a double no float32 can hold. */
	static const struct vec64 f64b[] = {
		{ ORDER_ABCD, { 0x81A5, 0x6E1F, 0xC2F8, 0xF359 } },
	};
	double tiny;

	(void)state;
	check_vec64(VALUE_F64, 1.5, f64, 4);
	check_vec64(VALUE_I64, -2.0, i64, 4);
	check_vec64(VALUE_U64, 1099511627781.0, u64, 4);
	check_vec64(VALUE_U64, (double)UINT64_C(0x0011223344556677), u64b, 4);
	tiny = -1.0e-300;
	check_vec64(VALUE_F64, tiny, f64b, 1);
	/* int64 -2 in CDAB reads as uint64 2^64 - 2, i.e. 2^64 as a double. */
	{
		struct point p = make_point(VALUE_U64, ORDER_CDAB);
		double v;

		assert_int_equal(codec_decode(&p, i64[1].r, &v), 0);
		assert_true(v == 18446744073709551616.0);
	}
}

/* Above 2^53 a 64-bit integer is the nearest double. */
static void
test_64bit_precision(void **state)
{
	struct point p = make_point(VALUE_U64, ORDER_ABCD);
	uint16_t two53p1[4] = { 0x0020, 0x0000, 0x0000, 0x0001 };
	uint16_t regs[4];
	double v;

	(void)state;
	assert_int_equal(codec_decode(&p, two53p1, &v), 0);
	assert_true(v == 9007199254740992.0);           /* 2^53, not +1 */
	codec_encode(&p, v, regs);
	assert_int_equal(regs[3], 0x0000);
	p = make_point(VALUE_I64, ORDER_ABCD);
	regs[0] = 0x8000;
	regs[1] = regs[2] = regs[3] = 0x0000;
	assert_int_equal(codec_decode(&p, regs, &v), 0);
	assert_true(v == -9223372036854775808.0);       /* INT64_MIN exact */
}

static void
test_64bit_saturation(void **state)
{
	struct point p = make_point(VALUE_U64, ORDER_ABCD);
	uint16_t regs[4];

	(void)state;
	codec_encode(&p, 1e30, regs);
	for (int k = 0; k < 4; k++)
		assert_int_equal(regs[k], 0xFFFF);
	codec_encode(&p, 18446744073709551616.0, regs); /* 2^64 */
	assert_int_equal(regs[3], 0xFFFF);
	codec_encode(&p, -1.0, regs);
	for (int k = 0; k < 4; k++)
		assert_int_equal(regs[k], 0x0000);
	codec_encode(&p, NAN, regs);
	assert_int_equal(regs[0] | regs[1] | regs[2] | regs[3], 0);
	codec_encode(&p, 2.5, regs);                    /* half away */
	assert_int_equal(regs[3], 3);

	p = make_point(VALUE_I64, ORDER_ABCD);
	codec_encode(&p, 1e30, regs);
	assert_int_equal(regs[0], 0x7FFF);
	assert_int_equal(regs[3], 0xFFFF);
	codec_encode(&p, 9223372036854775808.0, regs);  /* 2^63 */
	assert_int_equal(regs[0], 0x7FFF);
	codec_encode(&p, -INFINITY, regs);
	assert_int_equal(regs[0], 0x8000);
	assert_int_equal(regs[3], 0x0000);
	codec_encode(&p, NAN, regs);
	assert_int_equal(regs[0] | regs[1] | regs[2] | regs[3], 0);
	codec_encode(&p, -2.5, regs);
	assert_int_equal(regs[3], 0xFFFD);              /* -3 */
}

static void
test_f64_nan_rejected(void **state)
{
	struct point p = make_point(VALUE_F64, ORDER_ABCD);
	uint16_t qnan[4] = { 0x7FF8, 0x0000, 0x0000, 0x0000 };
	uint16_t ninf[4] = { 0xFFF0, 0x0000, 0x0000, 0x0000 };
	uint16_t pinf_dcba[4] = { 0x0000, 0x0000, 0x0000, 0xF07F };
	uint16_t regs[4];
	double v;

	(void)state;
	assert_int_equal(codec_decode(&p, qnan, &v), -1);
	assert_true(isnan(v));
	assert_int_equal(codec_decode(&p, ninf, &v), -1);
	p.order = ORDER_DCBA;
	assert_int_equal(codec_decode(&p, pinf_dcba, &v), -1);
	/* NaN and infinity are served as they are, and decode bad. */
	codec_encode(&p, NAN, regs);
	assert_int_equal(codec_decode(&p, regs, &v), -1);
	codec_encode(&p, INFINITY, regs);
	assert_int_equal(regs[3], 0xF07F);
	assert_int_equal(codec_decode(&p, regs, &v), -1);
	/* A finite double scaled past the range is rejected too. */
	p = make_point(VALUE_F64, ORDER_ABCD);
	p.scale = 1e300;
	codec_encode(&p, 1e300, regs);                  /* raw 1.0 */
	assert_int_equal(regs[0], 0x3FF0);
	p.scale = 1e10;
	regs[0] = 0x7FEF;                               /* DBL_MAX */
	regs[1] = regs[2] = regs[3] = 0xFFFF;
	assert_int_equal(codec_decode(&p, regs, &v), -1);
	/* float64 keeps what float32 would have saturated. */
	p.scale = 1.0;
	codec_encode(&p, 1e300, regs);
	assert_int_equal(codec_decode(&p, regs, &v), 0);
	assert_true(v == 1e300);
}

static void
test_16bit(void **state)
{
	struct point p = make_point(VALUE_U16, ORDER_ABCD);
	uint16_t regs[1];
	uint16_t in[1];
	double v;

	(void)state;
	codec_encode(&p, 0x1234, regs);
	assert_int_equal(regs[0], 0x1234);
	p.order = ORDER_CDAB;           /* only the first pair matters: AB */
	codec_encode(&p, 0x1234, regs);
	assert_int_equal(regs[0], 0x1234);
	p.order = ORDER_BADC;           /* BA */
	codec_encode(&p, 0x1234, regs);
	assert_int_equal(regs[0], 0x3412);
	p.order = ORDER_DCBA;
	codec_encode(&p, 0x1234, regs);
	assert_int_equal(regs[0], 0x3412);
	in[0] = 0x3412;
	assert_int_equal(codec_decode(&p, in, &v), 0);
	assert_true(v == 0x1234);

	p = make_point(VALUE_I16, ORDER_ABCD);
	in[0] = 0xFFFF;
	assert_int_equal(codec_decode(&p, in, &v), 0);
	assert_true(v == -1.0);
	in[0] = 0x8000;
	assert_int_equal(codec_decode(&p, in, &v), 0);
	assert_true(v == -32768.0);
	codec_encode(&p, -2.0, regs);
	assert_int_equal(regs[0], 0xFFFE);
	p.order = ORDER_BADC;
	codec_encode(&p, -2.0, regs);
	assert_int_equal(regs[0], 0xFEFF);
	assert_int_equal(codec_decode(&p, regs, &v), 0);
	assert_true(v == -2.0);
}

static void
test_bool(void **state)
{
	struct point p = make_point(VALUE_BOOL, ORDER_ABCD);
	uint16_t regs[1];
	uint16_t in[1];
	double v;

	(void)state;
	p.table = TABLE_COIL;
	p.scale = 10.0;                 /* does not apply to bool */
	p.offset = 3.0;
	in[0] = 1;
	assert_int_equal(codec_decode(&p, in, &v), 0);
	assert_true(v == 1.0);
	in[0] = 0;
	assert_int_equal(codec_decode(&p, in, &v), 0);
	assert_true(v == 0.0);
	codec_encode(&p, 1.0, regs);
	assert_int_equal(regs[0], 1);
	codec_encode(&p, 0.49, regs);
	assert_int_equal(regs[0], 0);
	codec_encode(&p, NAN, regs);
	assert_int_equal(regs[0], 0);

	/* A bool in a register: any non-zero register is true. */
	p.table = TABLE_HOLDING_REGISTER;
	in[0] = 0x0100;
	assert_int_equal(codec_decode(&p, in, &v), 0);
	assert_true(v == 1.0);
}

static void
test_scale_offset(void **state)
{
	struct point p = make_point(VALUE_I16, ORDER_ABCD);
	uint16_t regs[2];
	double v;

	(void)state;
	/* A pressure in 0.01 bar with a -1 bar offset. */
	p.scale = 0.01;
	p.offset = -1.0;
	codec_encode(&p, 2.5, regs);    /* raw 350 */
	assert_int_equal(regs[0], 350);
	assert_int_equal(codec_decode(&p, regs, &v), 0);
	assert_true(fabs(v - 2.5) < 1e-9);

	p = make_point(VALUE_F32, ORDER_CDAB);
	p.scale = 2.0;
	p.offset = 1.0;
	codec_encode(&p, 11.0, regs);   /* raw 5.0f = 0x40A00000 */
	assert_regs(regs, 0x0000, 0x40A0, 2);
	assert_int_equal(codec_decode(&p, regs, &v), 0);
	assert_true(v == 11.0);

	/* scale 0 never divides by zero; it acts as 1. */
	p = make_point(VALUE_U16, ORDER_ABCD);
	p.scale = 0.0;
	codec_encode(&p, 7.0, regs);
	assert_int_equal(regs[0], 7);
}

static void
test_rounding(void **state)
{
	struct point p = make_point(VALUE_I16, ORDER_ABCD);
	uint16_t regs[2];

	(void)state;
	codec_encode(&p, 2.5, regs);
	assert_int_equal(regs[0], 3);
	codec_encode(&p, 2.49, regs);
	assert_int_equal(regs[0], 2);
	codec_encode(&p, -2.5, regs);   /* half away from zero */
	assert_int_equal(regs[0], (uint16_t)-3);
	p = make_point(VALUE_U32, ORDER_ABCD);
	codec_encode(&p, 65535.6, regs);
	assert_regs(regs, 0x0001, 0x0000, 2);
}

static void
test_saturation(void **state)
{
	struct point p = make_point(VALUE_U16, ORDER_ABCD);
	uint16_t regs[2];
	double v;

	(void)state;
	codec_encode(&p, 70000.0, regs);
	assert_int_equal(regs[0], 0xFFFF);
	codec_encode(&p, -5.0, regs);
	assert_int_equal(regs[0], 0);
	codec_encode(&p, INFINITY, regs);
	assert_int_equal(regs[0], 0xFFFF);
	codec_encode(&p, NAN, regs);
	assert_int_equal(regs[0], 0);

	p = make_point(VALUE_I16, ORDER_ABCD);
	codec_encode(&p, 40000.0, regs);
	assert_int_equal(regs[0], 0x7FFF);
	codec_encode(&p, -40000.0, regs);
	assert_int_equal(regs[0], 0x8000);

	p = make_point(VALUE_U32, ORDER_CDAB);
	codec_encode(&p, 1e12, regs);
	assert_regs(regs, 0xFFFF, 0xFFFF, 2);
	codec_encode(&p, -1.0, regs);
	assert_regs(regs, 0x0000, 0x0000, 2);

	p = make_point(VALUE_I32, ORDER_ABCD);
	codec_encode(&p, 1e12, regs);
	assert_regs(regs, 0x7FFF, 0xFFFF, 2);
	codec_encode(&p, -1e12, regs);
	assert_regs(regs, 0x8000, 0x0000, 2);
	codec_encode(&p, -INFINITY, regs);
	assert_regs(regs, 0x8000, 0x0000, 2);

	/* A finite float beyond the float range saturates to FLT_MAX. */
	p = make_point(VALUE_F32, ORDER_ABCD);
	codec_encode(&p, 1e300, regs);
	assert_regs(regs, 0x7F7F, 0xFFFF, 2);
	assert_int_equal(codec_decode(&p, regs, &v), 0);
	assert_true(v == FLT_MAX);
	codec_encode(&p, -1e300, regs);
	assert_regs(regs, 0xFF7F, 0xFFFF, 2);
}

static void
test_nan_rejected(void **state)
{
	struct point p = make_point(VALUE_F32, ORDER_ABCD);
	uint16_t qnan[2] = { 0x7FC0, 0x0000 };
	uint16_t pinf[2] = { 0x7F80, 0x0000 };
	uint16_t ninf[2] = { 0xFF80, 0x0000 };
	uint16_t regs[2];
	double v;

	(void)state;
	assert_int_equal(codec_decode(&p, qnan, &v), -1);
	assert_int_equal(codec_decode(&p, pinf, &v), -1);
	assert_int_equal(codec_decode(&p, ninf, &v), -1);

	/* Infinity in another order is still infinity. */
	p.order = ORDER_DCBA;
	pinf[0] = 0x0000;
	pinf[1] = 0x807F;
	assert_int_equal(codec_decode(&p, pinf, &v), -1);

	/* The encoder serves NaN as NaN, so a simulated bad value decodes bad. */
	codec_encode(&p, NAN, regs);
	assert_int_equal(codec_decode(&p, regs, &v), -1);
	codec_encode(&p, INFINITY, regs);
	assert_int_equal(codec_decode(&p, regs, &v), -1);

	/* A huge float scaled past the double range is rejected too. */
	p.order = ORDER_ABCD;
	p.scale = 1e300;
	regs[0] = 0x7F7F;               /* FLT_MAX */
	regs[1] = 0xFFFF;
	assert_int_equal(codec_decode(&p, regs, &v), -1);
}

static void
test_round_trips(void **state)
{
	static const enum value_type types[] = {
		VALUE_U16, VALUE_I16, VALUE_U32, VALUE_I32, VALUE_F32,
		VALUE_U64, VALUE_I64, VALUE_F64
	};
	static const double values[] = {
		0.0, 1.0, -1.0, 42.0, -32768.0, 32767.0, 65535.0, 123456.0,
		-2147483648.0, 2147483647.0, 4294967295.0, 0.5, 3.25,
		1099511627781.0, -9007199254740992.0, 9007199254740992.0,
		1e300
	};
	(void)state;
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
		for (int o = ORDER_ABCD; o <= ORDER_DCBA; o++)
			for (size_t i = 0; i < sizeof values / sizeof values[0];
			    i++) {
				struct point p = make_point(types[t],
				    (enum byte_order)o);
				uint16_t regs[4] = { 0, 0, 0, 0 };
				uint16_t again[4] = { 0, 0, 0, 0 };
				double v, w;

				codec_encode(&p, values[i], regs);
				assert_int_equal(codec_decode(&p, regs, &v), 0);
				/* Decoding is exact: encode(decode(r)) == r. */
				codec_encode(&p, v, again);
				for (int k = 0; k < 4; k++)
					assert_int_equal(again[k], regs[k]);
				assert_int_equal(codec_decode(&p, again, &w), 0);
				assert_true(v == w);
				/* Values inside the type's range survive. */
				if (types[t] == VALUE_F32 &&
				    fabs(values[i]) <= FLT_MAX)
					assert_true(v == (double)(float)values[i]);
				if (types[t] == VALUE_F64 ||
				    (types[t] == VALUE_I64 &&
				    fabs(values[i]) <= 9007199254740992.0 &&
				    values[i] == round(values[i])))
					assert_true(v == values[i]);
			}
}

/* --- the read plan ---------------------------------------------------------- */

/* One device with max_gap gap; points as (table, address, type). */
struct plan_point {
	enum modbus_table table;
	int address;
	enum value_type type;
};

static struct model *
plan_model(int gap, const struct plan_point *pp, size_t n)
{
	static struct model m;
	static struct device dev;
	static struct point pts[16];

	assert_true(n <= 16);
	memset(&m, 0, sizeof m);
	memset(&dev, 0, sizeof dev);
	memset(pts, 0, sizeof pts);
	strcpy(dev.id, "dev");
	dev.max_gap = gap;
	dev.clock_address = -1;
	for (size_t i = 0; i < n; i++) {
		snprintf(pts[i].id, sizeof pts[i].id, "p%zu", i);
		pts[i].device = 0;
		pts[i].table = pp[i].table;
		pts[i].address = pp[i].address;
		pts[i].type = pp[i].type;
		pts[i].scale = 1.0;
	}
	m.devices = &dev;
	m.ndevices = 1;
	m.points = pts;
	m.npoints = n;
	return &m;
}

/* The blocks of all points of the plan model, as "address+count ...". */
static void
assert_plan(int gap, const struct plan_point *pp, size_t n,
    const char *want)
{
	struct model *m = plan_model(gap, pp, n);
	size_t idx[16];
	struct read_block blocks[16];
	char got[256] = "";
	size_t nb, len = 0;

	for (size_t i = 0; i < n; i++)
		idx[i] = n - 1 - i;             /* unsorted on purpose */
	nb = readplan_build(m, NULL, idx, n, blocks);
	for (size_t i = 0; i < nb; i++)
		len += (size_t)snprintf(got + len, sizeof got - len, "%s%d+%d",
		    i ? " " : "", blocks[i].address, blocks[i].count);
	assert_string_equal(got, want);
}

#define HR TABLE_HOLDING_REGISTER
#define NPP(a) (sizeof(a) / sizeof((a)[0]))

static void
test_plan_gap_zero(void **state)
{
	static const struct plan_point touch[] = {
		{ HR, 0, VALUE_U16 }, { HR, 1, VALUE_F32 }, { HR, 3, VALUE_F64 },
	};
	static const struct plan_point hole[] = {
		{ HR, 0, VALUE_U16 }, { HR, 2, VALUE_U16 },
	};
	static const struct plan_point overlap[] = {
		{ HR, 0, VALUE_U64 }, { HR, 2, VALUE_U16 },
	};

	(void)state;
	assert_plan(0, touch, NPP(touch), "0+7");
	assert_plan(0, hole, NPP(hole), "0+1 2+1");     /* never across */
	assert_plan(0, overlap, NPP(overlap), "0+4");
}

static void
test_plan_max_gap(void **state)
{
	static const struct plan_point hole3[] = {
		{ HR, 0, VALUE_U16 }, { HR, 4, VALUE_U16 },
	};
	static const struct plan_point hole4[] = {
		{ HR, 0, VALUE_U16 }, { HR, 5, VALUE_U16 },
	};
	static const struct plan_point chain[] = {
		{ HR, 0, VALUE_F32 }, { HR, 5, VALUE_F32 }, { HR, 10, VALUE_F32 },
		{ HR, 20, VALUE_F32 },
	};
	static const struct plan_point tables[] = {
		{ TABLE_INPUT_REGISTER, 0, VALUE_U16 }, { HR, 2, VALUE_U16 },
	};
	static const struct plan_point bits[] = {
		{ TABLE_COIL, 0, VALUE_BOOL }, { TABLE_COIL, 1, VALUE_BOOL },
		{ TABLE_COIL, 3, VALUE_BOOL },
	};

	(void)state;
	assert_plan(3, hole3, NPP(hole3), "0+5");
	assert_plan(3, hole4, NPP(hole4), "0+1 5+1");
	assert_plan(3, chain, NPP(chain), "0+12 20+2");
	assert_plan(124, tables, NPP(tables), "0+1 2+1"); /* never across tables */
	assert_plan(3, bits, NPP(bits), "0+2 3+1");     /* bits stay gap-free */
}

static void
test_plan_limit(void **state)
{
	static const struct plan_point fits[] = {
		{ HR, 0, VALUE_U16 }, { HR, 121, VALUE_F64 },   /* ends at 124 */
	};
	static const struct plan_point over[] = {
		{ HR, 0, VALUE_U16 }, { HR, 122, VALUE_F64 },   /* would be 126 */
	};
	static const struct plan_point far[] = {
		{ HR, 0, VALUE_U16 }, { HR, 125, VALUE_U16 },
	};
	static const struct plan_point alone[] = {
		{ HR, 0, VALUE_U16 }, { HR, 10, VALUE_U16 }, { HR, 20, VALUE_U16 },
	};
	struct model *m;
	unsigned char flags[3] = { 0, 1, 0 };
	size_t idx[3] = { 0, 1, 2 };
	struct read_block blocks[3];
	char *plan;

	(void)state;
	assert_plan(124, fits, NPP(fits), "0+125");
	assert_plan(124, over, NPP(over), "0+1 122+4");
	assert_plan(124, far, NPP(far), "0+1 125+1");
	/* A point marked alone is read alone, whatever the gap allows. */
	m = plan_model(124, alone, NPP(alone));
	assert_int_equal(readplan_build(m, flags, idx, 3, blocks), 3);
	/* The described plan keeps its format. */
	m = plan_model(10, alone, NPP(alone));
	plan = readplan_describe(m, 0, NULL);
	assert_string_equal(plan, "holding_register 0+21: p0 p1 p2\n");
	free(plan);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f32_orders),
		cmocka_unit_test(test_i32_orders),
		cmocka_unit_test(test_u32_orders),
		cmocka_unit_test(test_64bit_orders),
		cmocka_unit_test(test_64bit_precision),
		cmocka_unit_test(test_64bit_saturation),
		cmocka_unit_test(test_f64_nan_rejected),
		cmocka_unit_test(test_16bit),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_scale_offset),
		cmocka_unit_test(test_rounding),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_nan_rejected),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_plan_gap_zero),
		cmocka_unit_test(test_plan_max_gap),
		cmocka_unit_test(test_plan_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
