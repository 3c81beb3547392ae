/*
 * commands.h: the subcommands of jope-smb, one file each (cmd_*.c).
 *
 * Each takes the parsed options and returns the process exit status.
 */
#ifndef JOPE_COMMANDS_H
#define JOPE_COMMANDS_H

#include <stdbool.h>

#include "config/model.h"
#include "options.h"

/* Exit statuses shared by every subcommand (documented in --help). */
enum {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_RUNNING = 3,
	EXIT_SCHEMA = 4         /* db status: migrations pending or changed */
};

int cmd_console(const struct options *o);
int cmd_run(const struct options *o);
int cmd_check_config(const struct options *o);
int cmd_status(const struct options *o);
int cmd_db(const struct options *o);

/*
 * Load and validate the configuration of o; print every error to stderr
 * and return NULL when it is invalid.  Command-line executor options are
 * applied on top of app.json.
 */
struct model *command_load_model(const struct options *o);

struct engine;

/*
 * Start the engine of a subcommand on model m (mode "run" or "console");
 * on failure print why, free m and return NULL.
 */
struct engine *command_start_engine(const struct options *o, struct model *m,
    const char *mode, bool log_to_stderr);

#endif
