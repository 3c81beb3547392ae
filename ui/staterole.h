/*
 * staterole.h: the theme role of a link's and of a batch's state, so that
 * a state has the same colour on every screen.
 *
 *	state                           role
 *	link up                         ROLE_GOOD
 *	link degraded                   ROLE_WARN
 *	link down                       ROLE_BAD
 *	link not configured, unknown    ROLE_DIM
 *	batch running                   ROLE_GOOD
 *	batch held                      ROLE_WARN
 *	batch stopping                  ROLE_ALARM
 *	batch aborted                   ROLE_BAD
 *	batch idle, complete            ROLE_NORMAL
 *
 * Nothing here calls curses.
 */
#ifndef JOPE_UI_STATEROLE_H
#define JOPE_UI_STATEROLE_H

#include "core/state.h"
#include "plant/batch.h"
#include "ui/theme.h"

enum theme_role link_state_role(enum link_state s);
enum theme_role batch_state_role(enum batch_state s);

#endif
