/*
 * test_codec.c: the register codec, pinned down by known wire vectors.
 *
 * Each type and byte order is checked against registers written out by hand
 * (what a real device sends), then in round trips, then at the edges:
 * rounding, saturation, scale and offset, and NaN / infinity rejection.
 * If the simulator and the console ever disagree, one of these fails first.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <string.h>

#include "collect/codec.h"

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
		VALUE_U16, VALUE_I16, VALUE_U32, VALUE_I32, VALUE_F32
	};
	static const double values[] = {
		0.0, 1.0, -1.0, 42.0, -32768.0, 32767.0, 65535.0, 123456.0,
		-2147483648.0, 2147483647.0, 4294967295.0, 0.5, 3.25
	};
	(void)state;
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
		for (int o = ORDER_ABCD; o <= ORDER_DCBA; o++)
			for (size_t i = 0; i < sizeof values / sizeof values[0];
			    i++) {
				struct point p = make_point(types[t],
				    (enum byte_order)o);
				uint16_t regs[2] = { 0, 0 };
				uint16_t again[2] = { 0, 0 };
				double v, w;

				codec_encode(&p, values[i], regs);
				assert_int_equal(codec_decode(&p, regs, &v), 0);
				/* Decoding is exact: encode(decode(r)) == r. */
				codec_encode(&p, v, again);
				assert_int_equal(again[0], regs[0]);
				assert_int_equal(again[1], regs[1]);
				assert_int_equal(codec_decode(&p, again, &w), 0);
				assert_true(v == w);
				/* Values inside the type's range survive. */
				if (types[t] == VALUE_F32)
					assert_true(v == (double)(float)values[i]);
			}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f32_orders),
		cmocka_unit_test(test_i32_orders),
		cmocka_unit_test(test_u32_orders),
		cmocka_unit_test(test_16bit),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_scale_offset),
		cmocka_unit_test(test_rounding),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_nan_rejected),
		cmocka_unit_test(test_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
