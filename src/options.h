/*
 * options.h: the command line shared by every subcommand.
 *
 * Executor options keep the meter-collector's letters (-n -s -r -d -t); a
 * value given here overrides app.json, which overrides the built-in default.
 */
#ifndef JOPE_OPTIONS_H
#define JOPE_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

#include "config/model.h"

struct options {
	const char *config_dir;     /* -c, --config-dir */
	const char *state_dir;      /* --state-dir */
	int64_t keep_alive_ms;      /* -n seconds; -1 = not given */
	int64_t guard_ms;           /* -s seconds */
	int retries;                /* -r count */
	int64_t hard_error_ms;      /* -d seconds */
	int threads;                /* -t count */
	bool json;                  /* --json */
	bool yes;                   /* --yes: confirm a destructive command */
	int log_level;              /* --log-level: enum log_level */
	int duration_s;             /* run --duration N (0 = until signalled) */
	const char *full_name;      /* user add --full-name */
	const char *role;           /* user add --role */
	bool bootstrap;             /* user add --bootstrap: the first admin */
	const char *since;          /* audit export --since TIME */
	const char *out_dir;        /* audit export --out DIR, backup --out FILE */
	const char *in_file;        /* restore --in FILE */
	bool historian;             /* audit verify|export --historian */
	const char *csv;            /* batch report --csv FILE ("-": stdout) */
	const char *start;          /* maintenance announce --start TIME */
	const char *end;            /* maintenance announce --end TIME */
	const char *reason;         /* maintenance announce --reason TEXT */
	bool follow;                /* log --follow */
	int level;                  /* log --level: least enum log_level
	                               shown; -1 = every level */
	int lines;                  /* log -n/--lines N; -1 = the default */
	const char *command;        /* subcommand, default "console" */
	int argc;                   /* remaining operands */
	char **argv;
};

/*
 * Parse argv.  Returns 0 to go on, 1 when --help or --version was printed
 * (exit 0), -1 on a usage error (already printed; exit 2).
 */
int options_parse(int argc, char **argv, struct options *o);

/* Apply the command-line overrides to the model's executor defaults. */
void options_apply(const struct options *o, struct executor_defaults *ex);

/* The state dir: --state-dir, $JOPE_SMB_STATE_DIR, $XDG_STATE_HOME/jope-smb,
 * or ~/.local/state/jope-smb.  Returned string is static or from argv. */
const char *options_state_dir(const struct options *o);
/* The config dir: -c, $JOPE_SMB_CONFIG_DIR, ./config, SYSCONFDIR/jope-smb. */
const char *options_config_dir(const struct options *o);

void options_usage(FILE *fp);

#endif
