/*
 * staterole.c: the theme role of a link's and of a batch's state (see
 * staterole.h for the table).
 */
#include "config.h"

#include "ui/staterole.h"

enum theme_role
link_state_role(enum link_state s)
{
	switch (s) {
	case LINK_UP:
		return ROLE_GOOD;
	case LINK_DEGRADED:
		return ROLE_WARN;
	case LINK_DOWN:
		return ROLE_BAD;
	default:
		return ROLE_DIM;
	}
}

enum theme_role
batch_state_role(enum batch_state s)
{
	switch (s) {
	case BATCH_RUNNING:
		return ROLE_GOOD;
	case BATCH_HELD:
		return ROLE_WARN;
	case BATCH_STOPPING:
		return ROLE_ALARM;
	case BATCH_ABORTED:
		return ROLE_BAD;
	default:
		return ROLE_NORMAL;
	}
}
