/*
 * readplan.h: how the points of one read task become Modbus requests.
 *
 * Points of the same table whose registers touch or overlap are merged into
 * one request, within the protocol's size limits.  By default points are
 * never merged across a gap, so a device is never asked for a register it
 * was not configured with; a device's max_gap lets a read of registers skip
 * up to that many unconfigured ones (bit tables never skip).  Some devices still refuse a merged read (exception 02,
 * illegal data address, e.g. a map with holes inside a 32-bit pair); the
 * executor then marks those points "alone" and the plan reads them one by
 * one from then on.
 */
#ifndef JOPE_READPLAN_H
#define JOPE_READPLAN_H

#include <stddef.h>

#include "config/model.h"

#define READPLAN_MAX_REGISTERS 125      /* Modbus: one read of registers */
#define READPLAN_MAX_BITS 2000          /* Modbus: one read of bits */

struct read_block {
	enum modbus_table table;
	int address, count;
	size_t first, n;        /* range of the sorted point list */
};

/* Sort point indices by table and address, as readplan_build wants them. */
void readplan_sort(const struct model *m, size_t *pts, size_t n);

/*
 * Sort pts (point indices) by table and address and merge them into
 * blocks (room for n).  alone, when not NULL, is indexed by point and
 * non-zero for points that must be read by themselves.  Returns the number
 * of blocks.
 */
size_t readplan_build(const struct model *m, const unsigned char *alone,
    size_t *pts, size_t n, struct read_block *blocks);

/*
 * The plan of every periodic read of device, one request a line, e.g.
 * "holding_register 100+4: FT-101 FT-102"; malloc'ed.
 */
char *readplan_describe(const struct model *m, size_t device,
    const unsigned char *alone);

#endif
