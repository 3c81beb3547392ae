/*
 * main.c: jope-smb's entry point and its table of subcommands.
 *
 * Sets up the locale and the message catalogue, parses the command line
 * and hands over to one cmd_*.c file.  Like tmux, one small file per
 * command and one table here; adding a command touches only the two.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config/config.h"
#include "compliance/approval.h"
#include "compliance/config_change.h"
#include "compliance/config_store.h"
#include "compliance/keystore.h"
#include "core/i18n.h"
#include "core/util.h"
#include "engine.h"

struct command_entry {
	const char *name;
	int (*run)(const struct options *);
};

static const struct command_entry command_table[] = {
	{ "console", cmd_console },
	{ "run", cmd_run },
	{ "check-config", cmd_check_config },
	{ "status", cmd_status },
	{ "db", cmd_db },
	{ "user", cmd_user },
	{ "audit", cmd_audit },
	{ "config", cmd_config },
	{ "backup", cmd_backup },
	{ "restore", cmd_restore },
	{ "batch", cmd_batch },
	{ "maintenance", cmd_maintenance },
	{ "spool", cmd_spool },
	{ "poll", cmd_poll },
	{ "log", cmd_log },
};

/*
 * Change control: once an engine has run on the state dir, the
 * configuration in use is the applied version (config-versions/CURRENT),
 * not the config dir, which is where the next one is prepared
 * (doc/change-control.md).
 */
static bool
has_applied_version(const struct options *o)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/" CONFIG_STORE_DIR "/CURRENT",
	    options_state_dir(o));
	return access(path, F_OK) == 0;
}

static struct model *
load_applied_version(const struct options *o)
{
	struct config_errors errs = { 0 };
	struct config_store *cs;
	struct model *m = NULL;
	char err[1024] = "";
	int v = 0;

	if ((cs = config_store_open(options_state_dir(o), err,
	    sizeof err)) == NULL || config_store_current(cs, &v, err,
	    sizeof err) != 0 || config_version_load(cs, v, &m, &errs, err,
	    sizeof err) != 0) {
		config_errors_print(&errs, stderr);
		fprintf(stderr, _("jope-smb: the applied configuration cannot "
		    "be used: %s\n"), err);
		m = NULL;
	}
	config_errors_free(&errs);
	config_store_close(cs);
	return m;
}

struct model *
command_load_model(const struct options *o)
{
	struct config_errors errs = { 0 };
	struct model *m = NULL;

	if (has_applied_version(o)) {
		if ((m = load_applied_version(o)) != NULL)
			options_apply(o, &m->app.executor);
		return m;
	}
	if (config_load(options_config_dir(o), &m, &errs) != 0) {
		config_errors_print(&errs, stderr);
		fprintf(stderr, _("jope-smb: configuration in %s rejected: "
		    "%zu error(s); nothing was applied\n"),
		    options_config_dir(o), errs.n);
		config_errors_free(&errs);
		return NULL;
	}
	config_errors_free(&errs);
	options_apply(o, &m->app.executor);
	return m;
}

int
command_load_app(const struct options *o, struct app_config *app,
    char **spool_path)
{
	struct model *m;
	char path[4096];

	snprintf(path, sizeof path, "%s/app.json", options_config_dir(o));
	if (access(path, F_OK) != 0 && !has_applied_version(o)) {
		/* No configuration: the defaults that matter here. */
		memset(app, 0, sizeof *app);
		str_copy(app->storage_path, "spool.db",
		    sizeof app->storage_path);
		app->historian.timeout_ms = 30000;
		app->compliance.max_failures = 5;
		app->compliance.lockout_ms = INT64_C(15) * 60000;
		app->compliance.kdf = KS_KDF_DEFAULT;
		approval_defaults(&app->signatures);
	} else {
		if ((m = command_load_model(o)) == NULL)
			return -1;
		*app = m->app;
		model_free(m);
	}
	if (spool_path != NULL)
		*spool_path = engine_spool_path_for(app, options_state_dir(o));
	return 0;
}

/* engine_config.adjust_model for a reload: ctx is the struct options. */
static void
adjust_model(void *ctx, struct model *m)
{
	options_apply(ctx, &m->app.executor);
}

struct engine *
command_start_engine(const struct options *o, struct model *m,
    const char *mode, bool log_to_stderr)
{
	struct engine_config cfg = {
		.model = m,
		.config_dir = options_config_dir(o),
		.state_dir = options_state_dir(o),
		.log_to_stderr = log_to_stderr,
		.log_level = o->log_level,
		.mode = mode,
		.adjust_model = adjust_model,
		.adjust_ctx = (void *)o,
	};
	struct engine *e;
	char err[1024];

	if ((e = engine_start(&cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "jope-smb: %s\n", err);
		model_free(m);
	}
	return e;
}

static void
setup_locale(void)
{
	const char *dir = getenv("JOPE_SMB_LOCALEDIR");

	setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, dir != NULL && *dir ? dir : LOCALEDIR);
	bind_textdomain_codeset(PACKAGE, "UTF-8");
	textdomain(PACKAGE);
}

int
main(int argc, char **argv)
{
	struct options o;
	int rc;

	setup_locale();
	rc = options_parse(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	for (size_t i = 0; i < sizeof command_table / sizeof *command_table;
	    i++)
		if (strcmp(o.command, command_table[i].name) == 0)
			return command_table[i].run(&o);
	fprintf(stderr, _("jope-smb: unknown command '%s'\n"
	    "Try 'jope-smb --help'.\n"), o.command);
	return EXIT_USAGE;
}
