/*
 * readplan.c: merging points into Modbus requests (see readplan.h).
 *
 * Sorting then one linear pass: a point joins the previous block when it is
 * in the same table, starts at most the device's max_gap registers after
 * the block's end (0, the default: at or before the end, no gap), and the
 * grown block stays within the read limit (125 registers, 2000 bits).
 * Coils and discrete inputs are always merged gap-free: max_gap counts
 * registers, and a bit read is cheap enough not to need it.  The same function builds the
 * plan the executor runs and the plan `jope-smb plan` prints, so what an
 * engineer reads is what the device is sent.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/readplan.h"
#include "core/util.h"

static int
cmp_points(const void *a, const void *b, void *ctx)
{
	const struct model *m = ctx;
	const struct point *pa = &m->points[*(const size_t *)a];
	const struct point *pb = &m->points[*(const size_t *)b];

	if (pa->table != pb->table)
		return (int)pa->table - (int)pb->table;
	if (pa->address != pb->address)
		return pa->address - pb->address;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int
read_limit(enum modbus_table t)
{
	return t == TABLE_COIL || t == TABLE_DISCRETE_INPUT ?
	    READPLAN_MAX_BITS : READPLAN_MAX_REGISTERS;
}

/* Registers a merged read of p's table may skip before p. */
static int
allowed_gap(const struct model *m, const struct point *p)
{
	if (p->table == TABLE_COIL || p->table == TABLE_DISCRETE_INPUT ||
	    p->device >= m->ndevices)
		return 0;
	return m->devices[p->device].max_gap;
}

void
readplan_sort(const struct model *m, size_t *pts, size_t n)
{
	/* Periodic tasks arrive sorted (the scheduler sorts once): skip. */
	for (size_t i = 1; i < n; i++)
		if (cmp_points(&pts[i - 1], &pts[i], (void *)m) > 0) {
			qsort_r(pts, n, sizeof *pts, cmp_points, (void *)m);
			return;
		}
}

size_t
readplan_build(const struct model *m, const unsigned char *alone, size_t *pts,
    size_t n, struct read_block *blocks)
{
	size_t nb = 0;
	bool prev_alone = false;

	readplan_sort(m, pts, n);
	for (size_t i = 0; i < n; i++) {
		const struct point *p = &m->points[pts[i]];
		int w = point_width(p);
		struct read_block *b = nb > 0 ? &blocks[nb - 1] : NULL;
		bool this_alone = alone != NULL && alone[pts[i]];

		if (b != NULL && !this_alone && !prev_alone &&
		    b->table == p->table &&
		    p->address <= b->address + b->count +
		    allowed_gap(m, p) &&
		    p->address + w - b->address <= read_limit(p->table)) {
			int end = p->address + w;

			if (end > b->address + b->count)
				b->count = end - b->address;
			b->n++;
			continue;
		}
		blocks[nb++] = (struct read_block){ p->table, p->address, w,
		    i, 1 };
		prev_alone = this_alone;
	}
	return nb;
}

char *
readplan_describe(const struct model *m, size_t device,
    const unsigned char *alone)
{
	size_t *pts = xcalloc(m->npoints + 1, sizeof *pts);
	struct read_block *blocks = xcalloc(m->npoints + 1, sizeof *blocks);
	size_t n = 0, nb, len = 0, cap = 256;
	char *out = xmalloc(cap);

	out[0] = '\0';
	for (size_t i = 0; i < m->npoints; i++)
		if (m->points[i].device == device)
			pts[n++] = i;
	nb = readplan_build(m, alone, pts, n, blocks);
	for (size_t i = 0; i < nb; i++) {
		const struct read_block *b = &blocks[i];
		char line[160];
		int k = snprintf(line, sizeof line, "%s %d+%d:",
		    modbus_table_name(b->table), b->address, b->count);

		for (size_t j = 0; j < b->n && k > 0 &&
		    (size_t)k < sizeof line; j++)
			k += snprintf(line + k, sizeof line - (size_t)k, " %s",
			    m->points[pts[b->first + j]].id);
		size_t need = strlen(line) + 2;
		while (len + need >= cap)
			out = xrealloc(out, cap *= 2);
		len += (size_t)snprintf(out + len, cap - len, "%s\n", line);
	}
	free(pts);
	free(blocks);
	return out;
}
