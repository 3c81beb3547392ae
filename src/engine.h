/*
 * engine.h: the collecting engine as one object, with or without a UI.
 *
 * engine_start wires the parts of DESIGN.md together: it opens the log and the
 * spool in the state dir, starts the executor on the Modbus driver and the
 * scheduler on the model's periodic events, and a housekeeping thread that
 * carries out UI commands and publishes spool and disk figures.  The
 * model is always an applied configuration version (STATE_DIR/config-
 * versions/CURRENT; doc/change-control.md), never the config dir itself:
 * a reload (CMD_RELOAD_CONFIG, or CURRENT replaced by `config apply`)
 * validates that version whole and swaps the model between scheduler
 * ticks, or keeps the running one and logs every error.
 * `run` uses
 * it headless; `console` puts the UI on top through engine_state and
 * engine_cmdq, the only two things the UI may touch.
 */
#ifndef JOPE_ENGINE_H
#define JOPE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/model.h"
#include "core/cmdq.h"
#include "core/state.h"

struct engine_config {
	const struct model *model;  /* validated; engine does not free it
	                               (it runs the applied version, loaded
	                               from the store itself) */
	const char *config_dir;     /* staging: version 1 on a first start,
	                               then only compared with the applied */
	const char *state_dir;
	bool log_to_stderr;
	int log_level;              /* enum log_level; 0 = debug */
	const char *mode;           /* "console" or "run", for the state row */
	/* Applied to every reloaded model (command-line overrides). */
	void (*adjust_model)(void *ctx, struct model *m);
	void *adjust_ctx;
};

struct engine;

/* Start; on failure returns NULL with a translated message in err. */
struct engine *engine_start(const struct engine_config *cfg, char *err,
    size_t errlen);
struct state *engine_state(struct engine *e);
struct cmdq *engine_cmdq(struct engine *e);
/* Path of the spool file in use. */
const char *engine_spool_path(struct engine *e);
/* Stop collection cleanly: tasks finish or are cancelled and recorded. */
void engine_stop(struct engine *e);

/* Where the spool of this app config lives inside state_dir (malloc'ed). */
char *engine_spool_path_for(const struct app_config *app, const char *state_dir);

#endif
