/*
 * model.c: the few functions that go with the configuration model.
 *
 * The model is plain data built once by config_load(); this file frees it,
 * finds elements by id and names the enums as the JSON files spell them.
 * The finders are linear: they serve the loader's error paths, the command
 * line and the UI, never a per-sample path (those hold indices).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config/model.h"
#include "core/util.h"

void
model_free(struct model *m)
{
	size_t k;

	if (m == NULL)
		return;
	for (k = 0; k < m->nevents; k++) {
		free(m->events[k].points);
		free(m->events[k].spectra);
	}
	free(m->events);
	for (k = 0; k < m->nrecipes; k++)
		free(m->recipes[k].points);
	free(m->recipes);
	free(m->maintenance);
	free(m->spectra);
	free(m->points);
	free(m->devices);
	free(m->connectors);
	free(m);
}

long
model_find_connector(const struct model *m, const char *id)
{
	size_t k;

	for (k = 0; k < m->nconnectors; k++)
		if (strcmp(m->connectors[k].id, id) == 0)
			return (long)k;
	return -1;
}

long
model_find_recipe(const struct model *m, const char *id)
{
	size_t k;

	for (k = 0; k < m->nrecipes; k++)
		if (strcmp(m->recipes[k].id, id) == 0)
			return (long)k;
	return -1;
}

long
model_find_device(const struct model *m, const char *id)
{
	size_t k;

	for (k = 0; k < m->ndevices; k++)
		if (strcmp(m->devices[k].id, id) == 0)
			return (long)k;
	return -1;
}

long
model_find_point(const struct model *m, const char *id)
{
	size_t k;

	for (k = 0; k < m->npoints; k++)
		if (strcmp(m->points[k].id, id) == 0)
			return (long)k;
	return -1;
}

long
model_find_spectrum(const struct model *m, const char *id)
{
	size_t k;

	for (k = 0; k < m->nspectra; k++)
		if (strcmp(m->spectra[k].id, id) == 0)
			return (long)k;
	return -1;
}

int
value_type_width(enum value_type t)
{
	switch (t) {
	case VALUE_U64:
	case VALUE_I64:
	case VALUE_F64:
		return 4;
	case VALUE_U32:
	case VALUE_I32:
	case VALUE_F32:
		return 2;
	case VALUE_BOOL:
	case VALUE_U16:
	case VALUE_I16:
		break;
	}
	return 1;
}

int
point_width(const struct point *p)
{
	if (p->table == TABLE_COIL || p->table == TABLE_DISCRETE_INPUT)
		return 1;       /* one bit */
	return value_type_width(p->type);
}

const char *
modbus_table_name(enum modbus_table t)
{
	switch (t) {
	case TABLE_COIL:
		return "coil";
	case TABLE_DISCRETE_INPUT:
		return "discrete_input";
	case TABLE_INPUT_REGISTER:
		return "input_register";
	case TABLE_HOLDING_REGISTER:
		return "holding_register";
	}
	return "?";
}

const char *
value_type_name(enum value_type t)
{
	switch (t) {
	case VALUE_BOOL:
		return "bool";
	case VALUE_U16:
		return "uint16";
	case VALUE_I16:
		return "int16";
	case VALUE_U32:
		return "uint32";
	case VALUE_I32:
		return "int32";
	case VALUE_F32:
		return "float32";
	case VALUE_U64:
		return "uint64";
	case VALUE_I64:
		return "int64";
	case VALUE_F64:
		return "float64";
	}
	return "?";
}

const char *
byte_order_name(enum byte_order o)
{
	switch (o) {
	case ORDER_ABCD:
		return "ABCD";
	case ORDER_CDAB:
		return "CDAB";
	case ORDER_BADC:
		return "BADC";
	case ORDER_DCBA:
		return "DCBA";
	}
	return "?";
}
