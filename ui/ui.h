/*
 * ui.h: the console's entry point; everything under ui/ is behind it.
 *
 * ui_run owns the terminal for the whole session: it is the only code that
 * calls curses.  It reads the engine through a state snapshot and sends it
 * commands through the command queue, nothing else.
 */
#ifndef JOPE_UI_H
#define JOPE_UI_H

#include "config/model.h"
#include "core/cmdq.h"
#include "core/state.h"

struct ui_config {
	const struct model *model;
	struct state *state;
	struct cmdq *cmdq;
	const char *operator_name;  /* login user */
	const char *spool_path;     /* for the free-disk figure */
};

/* Run until the operator quits (0) or the terminal is lost (1). */
int ui_run(const struct ui_config *cfg);

#endif
