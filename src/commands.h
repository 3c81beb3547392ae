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
	EXIT_SCHEMA = 4,        /* db status: migrations pending or changed */
	EXIT_AUDIT_BROKEN = 5,  /* audit verify: the trail is broken */
	EXIT_CONFIG_DIFFERS = 4, /* config diff: the config dir differs */
	EXIT_HISTORIAN_MISSING = 6, /* batch report: the historian's part
	                              is missing (unreachable) */
	EXIT_READ_FAILED = 3,   /* poll: a point or more was not read */
	EXIT_ENGINE_BUSY = 7    /* poll: a console or run holds the state
	                           dir, and with it every line */
};

int cmd_console(const struct options *o);
int cmd_run(const struct options *o);
int cmd_check_config(const struct options *o);
int cmd_status(const struct options *o);
int cmd_db(const struct options *o);
int cmd_user(const struct options *o);
int cmd_audit(const struct options *o);
int cmd_config(const struct options *o);
int cmd_backup(const struct options *o);
int cmd_restore(const struct options *o);
int cmd_batch(const struct options *o);
int cmd_maintenance(const struct options *o);
int cmd_spool(const struct options *o);
int cmd_poll(const struct options *o);
int cmd_log(const struct options *o);

/*
 * Load and validate the configuration in use of o: the applied version of
 * the state dir (config-versions/CURRENT) once there is one, else the
 * config dir (a first start makes it version 1).  Print every error to
 * stderr and return NULL when it is invalid.  Command-line executor
 * options are applied on top of app.json.
 */
struct model *command_load_model(const struct options *o);

/*
 * The settings of app.json (which must be valid: its errors are printed)
 * and, when spool_path is not NULL, the spool of o's state dir (malloc'ed).
 * A config dir without app.json (a bare state dir, a first `user add
 * --bootstrap`) gives the defaults: spool.db, the lock-out, KDF level and
 * signature policy of issue 5.  0, or -1 after printing why.
 */
int command_load_app(const struct options *o, struct app_config *app,
    char **spool_path);

struct engine;

/*
 * Start the engine of a subcommand on model m (mode "run" or "console");
 * on failure print why, free m and return NULL.
 */
struct engine *command_start_engine(const struct options *o, struct model *m,
    const char *mode, bool log_to_stderr);

#endif
