/*
 * codec.h: conversion between Modbus registers and engineering values.
 *
 * The driver reads raw 16-bit registers (or bits); codec turns the registers
 * of one point into its engineering value using the point's type, byte order,
 * scale and offset.  The simulator uses the inverse to serve a value.  Both
 * directions live here so that they can never disagree.
 */
#ifndef JOPE_CODEC_H
#define JOPE_CODEC_H

#include <stdint.h>

#include "config/model.h"

/*
 * Decode the point_width(p) registers at regs into an engineering value.
 * For bit tables regs[0] is 0 or 1.  Returns 0, or -1 when the raw value is
 * not a number (a float32 or float64 NaN or infinity): the caller records it as bad.
 */
int codec_decode(const struct point *p, const uint16_t *regs, double *value);

/*
 * Encode an engineering value into point_width(p) registers, rounding and
 * saturating to the type's range.  Used by the simulator and by writes.
 */
void codec_encode(const struct point *p, double value, uint16_t *regs);

#endif
