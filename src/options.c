/*
 * options.c: command-line parsing for every subcommand.
 *
 * Options may stand before or after the subcommand (GNU getopt permutes).
 * Executor options keep the letters of the meter-collector design so that
 * its operators find them where they expect: -n keep-alive, -s guard,
 * -r retries, -d HardError duration, -t threads.  Times are in seconds and
 * may be fractional.  Only for `log`, -n is a number of lines, as in
 * tail(1) (resolve_n).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/i18n.h"
#include "options.h"

enum { OPT_STATE_DIR = 256, OPT_JSON, OPT_DURATION, OPT_LOG_LEVEL, OPT_YES,
	OPT_FULL_NAME, OPT_ROLE, OPT_BOOTSTRAP, OPT_SINCE, OPT_OUT,
	OPT_HISTORIAN, OPT_IN, OPT_CSV, OPT_START, OPT_END, OPT_REASON,
	OPT_KEEP_ALIVE, OPT_FOLLOW, OPT_LEVEL, OPT_LINES };

static const struct option long_options[] = {
	{ "config-dir", required_argument, NULL, 'c' },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "keep-alive", required_argument, NULL, OPT_KEEP_ALIVE },
	{ "guard", required_argument, NULL, 's' },
	{ "retries", required_argument, NULL, 'r' },
	{ "hard-error", required_argument, NULL, 'd' },
	{ "threads", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "yes", no_argument, NULL, OPT_YES },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "full-name", required_argument, NULL, OPT_FULL_NAME },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "bootstrap", no_argument, NULL, OPT_BOOTSTRAP },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "historian", no_argument, NULL, OPT_HISTORIAN },
	{ "in", required_argument, NULL, OPT_IN },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "start", required_argument, NULL, OPT_START },
	{ "end", required_argument, NULL, OPT_END },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "lines", required_argument, NULL, OPT_LINES },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

void
options_usage(FILE *fp)
{
	fprintf(fp, _("Usage: jope-smb [OPTION]... [COMMAND] [ARG]...\n"
	    "Operator console of the Jope SMB chromatography plant.\n\n"));
	fprintf(fp, _("Commands:\n"
	    "  console         open the operator console (default)\n"
	    "  run             run the collecting engine without the console,\n"
	    "                  logging JSON lines to stderr\n"
	    "  check-config    validate app.json and devices.json; list every error\n"
	    "  status [DEVICE] report on the running console from its spool;\n"
	    "                  with a device, its detail and Modbus read plan\n"
	    "  db status       the historian's schema version and migrations\n"
	    "  db migrate      apply the pending historian migrations\n"
	    "  db down N --yes roll the historian schema back to version N\n"
	    "                  (signed; drops the newer tables and their data)\n"
	    "  user add NAME --full-name=TEXT --role=ROLE [--bootstrap]\n"
	    "                  add a user (ROLE: operator, supervisor, qa, admin);\n"
	    "                  --bootstrap makes the first admin\n"
	    "  user passwd NAME, user disable NAME, user role NAME ROLE\n"
	    "                  change a user (signed by an admin; passwd by the\n"
	    "                  user); answers are read from the terminal or,\n"
	    "                  one per line, from standard input\n"
	    "  user list       the users, their roles, lock-outs and keys\n"
	    "  audit verify [--historian]\n"
	    "                  check the audit trail's hashes and signatures\n"
	    "  audit export [--since=TIME] --out=DIR [--historian]\n"
	    "                  write the trail and the public keys for an auditor\n"
	    "  config diff     compare the config dir with the applied version\n"
	    "  config apply    take the config dir into use as a new version, with\n"
	    "                  its signatures (asked for like those of 'user')\n"
	    "  config versions every applied version, who signed it, which is in use\n"
	    "  config rollback N\n"
	    "                  make version N's content current again (signed)\n"
	    "  backup --out=FILE\n"
	    "                  write the state (spool, users, console key, config\n"
	    "                  versions) to one archive, encrypted under a\n"
	    "                  passphrase and signed by the console key\n"
	    "  restore --in=FILE [--state-dir=DIR]\n"
	    "                  verify an archive and make it the state dir's state\n"
	    "                  (signed like 'config apply'; refused while an\n"
	    "                  engine runs on DIR; the old state is kept aside)\n"
	    "  batch list      the batch records in the spool, newest first\n"
	    "  batch report ID [--csv=FILE|-]\n"
	    "                  a batch's record: recipe, state, every transition\n"
	    "                  and its signers, held time, counts; --csv writes\n"
	    "                  its samples (the spool's and the historian's)\n"
	    "  maintenance list\n"
	    "                  the maintenance windows this console knows, and\n"
	    "                  their phase now\n"
	    "  maintenance announce --start=TIME --end=TIME --reason=TEXT\n"
	    "                  announce a window to every console (signed like\n"
	    "                  'config apply')\n"
	    "  maintenance cancel ID\n"
	    "                  cancel an announced window (signed the same way)\n\n"));
	fprintf(fp, _("Troubleshooting, read only (beside a console, over SSH):\n"
	    "  spool           what waits in the spool for the historian, by point\n"
	    "                  (rows, oldest and newest sample, age of the oldest),\n"
	    "                  and the totals of every stream and the file size\n"
	    "  poll DEVICE [POINT]\n"
	    "                  read DEVICE's points (or only POINT) once, now,\n"
	    "                  under the executor's rules (-r, -s, the line's\n"
	    "                  timeout); stores nothing; refused while a console\n"
	    "                  or run holds the state dir\n"
	    "  log [--follow] [--level=LEVEL] [-n N]\n"
	    "                  the state dir's log, one line per event: the last\n"
	    "                  N (20), then with --follow each new one until\n"
	    "                  SIGINT or SIGTERM\n\n"));
	fprintf(fp, _("Options:\n"
	    "  -c, --config-dir=DIR   configuration directory (app.json, devices.json)\n"
	    "      --state-dir=DIR    spool, log and lock directory\n"
	    "  -n, --keep-alive=SEC   keep an idle connection open (default 10)\n"
	    "  -s, --guard=SEC        guard interval of a line after a disconnect\n"
	    "                         (default 20)\n"
	    "  -r, --retries=N        failed connects before HardError (default 3)\n"
	    "  -d, --hard-error=SEC   length of a HardError period (default 300)\n"
	    "  -t, --threads=N        most executor threads (default 512)\n"
	    "      --json             machine-readable output (check-config, status,\n"
	    "                         db status, user list, audit verify,\n"
	    "                         config diff, config versions, batch list,\n"
	    "                         batch report, maintenance list, spool, poll;\n"
	    "                         log: the log's own JSON lines)\n"
	    "      --yes              confirm a destructive command (db down)\n"
	    "      --duration=SEC     run: stop by itself after SEC seconds\n"
	    "      --log-level=LEVEL  debug, info (default), warn or error; debug\n"
	    "                         adds task_start and task_done for every task\n"
	    "      --full-name=TEXT   user add: the user's full name\n"
	    "      --role=ROLE        user add: operator, supervisor, qa or admin\n"
	    "      --bootstrap        user add: the first admin, while no user exists\n"
	    "      --since=TIME       audit export: events from TIME on (UTC unless\n"
	    "                         TIME has an offset: 2026-11-21, 2026-11-21T08:00Z)\n"
	    "      --out=DIR          audit export: the directory to write;\n"
	    "                         backup: the archive to write (--out=FILE)\n"
	    "      --in=FILE          restore: the archive to restore\n"
	    "      --historian        audit verify|export: the trail in the historian\n"
	    "                         instead of the spool\n"
	    "      --csv=FILE         batch report: write the batch's samples as CSV\n"
	    "                         (time,point,value,quality,tag) to FILE; - for\n"
	    "                         standard output\n"
	    "      --start=TIME, --end=TIME\n"
	    "                         maintenance announce: the window, RFC 3339 UTC\n"
	    "                         (2026-11-22T06:00:00Z); production may resume\n"
	    "                         at --end\n"
	    "      --reason=TEXT      maintenance announce: why, shown on every console\n"
	    "      --follow           log: go on showing new lines until SIGINT or\n"
	    "                         SIGTERM\n"
	    "      --level=LEVEL      log: only events of LEVEL (debug, info, warn,\n"
	    "                         error) and above\n"
	    "      --lines=N          log: the last N lines (default 20); log also\n"
	    "                         takes -n N, which is --keep-alive elsewhere\n"
	    "  -h, --help             show this help and exit\n"
	    "  -V, --version          show the version and exit\n\n"));
	fprintf(fp, _("Defaults: the config dir is $JOPE_SMB_CONFIG_DIR, ./config or "
	    "%s/jope-smb;\nthe state dir is $JOPE_SMB_STATE_DIR or "
	    "$XDG_STATE_HOME/jope-smb (~/.local/state/jope-smb).\n"
	    "JOPE_SMB_KDF=interactive makes new password keys cheaper (tests, slow\n"
	    "machines); the default is moderate.\n"),
	    SYSCONFDIR);
	fprintf(fp, _("Exit status: 0 success, 1 failure (invalid configuration, "
	    "engine error,\nhistorian unreachable), 2 usage error, 3 status: no "
	    "engine running,\n4 db status: migrations pending or changed, config diff: "
	    "the config dir\ndiffers from the applied version, 5 audit verify: the "
	    "trail is broken,\n6 batch report: the historian could not be "
	    "reached, the samples already\nuploaded are missing (what the spool "
	    "holds was written).\n"));
	fprintf(fp, _("Troubleshooting: spool and log exit 1 when the spool or the "
	    "log cannot be\nread; poll exits 2 for an unknown device or point, "
	    "3 when a point or more\nwas not read, 7 when refused because a "
	    "console or run holds the state dir.\n"));
}

static int
parse_seconds(const char *arg, const char *name, int64_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(v) ||
	    v < 0 || v > 86400.0 * 365) {
		fprintf(stderr, _("jope-smb: %s: not a valid number of "
		    "seconds: '%s'\n"), name, arg);
		return -1;
	}
	*ms = (int64_t)llround(v * 1000.0);
	return 0;
}

static int
parse_count(const char *arg, const char *name, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max) {
		fprintf(stderr, _("jope-smb: %s: expected a whole number from "
		    "%ld to %ld, got '%s'\n"), name, min, max, arg);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* The enum log_level of a name, or -1. */
static int
level_index(const char *arg)
{
	static const char *const names[] = { "debug", "info", "warn",
	    "error" };

	for (int i = 0; i < 4; i++)
		if (strcmp(arg, names[i]) == 0)
			return i;       /* enum log_level order */
	return -1;
}

static int
parse_log_level(const char *arg, int *out)
{
	if ((*out = level_index(arg)) >= 0)
		return 0;
	fprintf(stderr, _("jope-smb: --log-level: expected debug, info, warn "
	    "or error, got '%s'\n"), arg);
	return -1;
}

static int
parse_level(const char *arg, int *out)
{
	if ((*out = level_index(arg)) >= 0)
		return 0;
	fprintf(stderr, _("jope-smb: --level: expected debug, info, warn or "
	    "error, got '%s'\n"), arg);
	return -1;
}

/*
 * -n is the keep-alive in seconds, except for `log`, where it is the
 * number of lines as in tail(1); the command is known only once every
 * option is read (they may follow it), so -n is resolved last.
 */
static int
resolve_n(const char *arg, struct options *o)
{
	if (strcmp(o->command, "log") == 0)
		return parse_count(arg, "-n", 0, 1000000, &o->lines);
	return parse_seconds(arg, "--keep-alive", &o->keep_alive_ms);
}

int
options_parse(int argc, char **argv, struct options *o)
{
	const char *n_arg = NULL;
	int c, rc = 0;

	memset(o, 0, sizeof *o);
	o->keep_alive_ms = o->guard_ms = o->hard_error_ms = -1;
	o->retries = o->threads = -1;
	o->level = o->lines = -1;
	o->log_level = 1;               /* LOG_INFO */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:n:s:r:d:t:hV", long_options,
	    NULL)) != -1) {
		int64_t ms;

		switch (c) {
		case 'c': o->config_dir = optarg; break;
		case OPT_STATE_DIR: o->state_dir = optarg; break;
		case 'n': n_arg = optarg; break;
		case OPT_KEEP_ALIVE: rc = parse_seconds(optarg,
		    "--keep-alive", &o->keep_alive_ms); break;
		case 's': rc = parse_seconds(optarg, "--guard", &o->guard_ms);
			break;
		case 'd': rc = parse_seconds(optarg, "--hard-error",
		    &o->hard_error_ms); break;
		case 'r': rc = parse_count(optarg, "--retries", 1, 1000,
		    &o->retries); break;
		case 't': rc = parse_count(optarg, "--threads", 1, 4096,
		    &o->threads); break;
		case OPT_JSON: o->json = true; break;
		case OPT_YES: o->yes = true; break;
		case OPT_FULL_NAME: o->full_name = optarg; break;
		case OPT_ROLE: o->role = optarg; break;
		case OPT_BOOTSTRAP: o->bootstrap = true; break;
		case OPT_SINCE: o->since = optarg; break;
		case OPT_OUT: o->out_dir = optarg; break;
		case OPT_HISTORIAN: o->historian = true; break;
		case OPT_IN: o->in_file = optarg; break;
		case OPT_CSV: o->csv = optarg; break;
		case OPT_START: o->start = optarg; break;
		case OPT_END: o->end = optarg; break;
		case OPT_REASON: o->reason = optarg; break;
		case OPT_FOLLOW: o->follow = true; break;
		case OPT_LEVEL: rc = parse_level(optarg, &o->level); break;
		case OPT_LINES: rc = parse_count(optarg, "--lines", 0, 1000000,
		    &o->lines); break;
		case OPT_LOG_LEVEL:
			rc = parse_log_level(optarg, &o->log_level);
			break;
		case OPT_DURATION:
			rc = parse_seconds(optarg, "--duration", &ms);
			o->duration_s = (int)((ms + 999) / 1000);
			break;
		case 'h':
			options_usage(stdout);
			return 1;
		case 'V':
			printf("jope-smb %s\n", PACKAGE_VERSION);
			return 1;
		case ':':
			fprintf(stderr, _("jope-smb: option '%s' needs a "
			    "value\n"), argv[optind - 1]);
			rc = -1;
			break;
		default:
			fprintf(stderr, _("jope-smb: unknown option '%s'\n"),
			    argv[optind - 1]);
			rc = -1;
			break;
		}
		if (rc != 0) {
			fprintf(stderr, _("Try 'jope-smb --help'.\n"));
			return -1;
		}
	}
	o->command = optind < argc ? argv[optind++] : "console";
	o->argc = argc - optind;
	o->argv = argv + optind;
	if (n_arg != NULL && resolve_n(n_arg, o) != 0) {
		fprintf(stderr, _("Try 'jope-smb --help'.\n"));
		return -1;
	}
	return 0;
}

void
options_apply(const struct options *o, struct executor_defaults *ex)
{
	if (o->keep_alive_ms >= 0)
		ex->keep_alive_ms = o->keep_alive_ms;
	if (o->guard_ms >= 0)
		ex->guard_ms = o->guard_ms;
	if (o->hard_error_ms >= 0)
		ex->hard_error_ms = o->hard_error_ms;
	if (o->retries > 0)
		ex->retries = o->retries;
	if (o->threads > 0)
		ex->threads = o->threads;
}

const char *
options_state_dir(const struct options *o)
{
	static char buf[4096];
	const char *env;

	if (o->state_dir != NULL)
		return o->state_dir;
	if ((env = getenv("JOPE_SMB_STATE_DIR")) != NULL && *env)
		return env;
	if ((env = getenv("XDG_STATE_HOME")) != NULL && *env) {
		snprintf(buf, sizeof buf, "%s/jope-smb", env);
		return buf;
	}
	env = getenv("HOME");
	snprintf(buf, sizeof buf, "%s/.local/state/jope-smb",
	    env != NULL && *env ? env : ".");
	return buf;
}

const char *
options_config_dir(const struct options *o)
{
	const char *env;

	if (o->config_dir != NULL)
		return o->config_dir;
	if ((env = getenv("JOPE_SMB_CONFIG_DIR")) != NULL && *env)
		return env;
	if (access("config/app.json", R_OK) == 0)
		return "config";
	return SYSCONFDIR "/jope-smb";
}
