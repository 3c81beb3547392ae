/*
 * cmd_console.c: `jope-smb console`, the default command.
 *
 * Starts the engine, then gives the terminal to the UI thread (this one)
 * until the operator quits or the terminal goes away.  The engine's threads
 * are started with every signal blocked, so SIGWINCH, SIGTERM and SIGHUP
 * reach only the UI loop, whose handlers just set flags.  The log goes to
 * the state dir only: curses owns the terminal.
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "commands.h"
#include "config/config.h"
#include "core/i18n.h"
#include "engine.h"
#include "ui/ui.h"

static const char *
login_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *env;

	if (pw != NULL && pw->pw_name != NULL)
		return pw->pw_name;
	env = getenv("USER");
	return env != NULL ? env : "?";
}

int
cmd_console(const struct options *o)
{
	struct ui_config ui = { 0 };
	struct model *m;
	struct engine *e;
	int rc;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, _("jope-smb: the console needs a terminal; "
		    "use 'jope-smb run' to collect without one\n"));
		return EXIT_FAILURE_;
	}
	if ((m = command_load_model(o)) == NULL)
		return EXIT_FAILURE_;
	if (m->app.language[0] != '\0' && getenv("LANGUAGE") == NULL) {
		setenv("LANGUAGE", m->app.language, 1);
		setlocale(LC_MESSAGES, "");
	}
	if ((e = command_start_engine(o, m, "console", false)) == NULL)
		return EXIT_FAILURE_;
	ui.model = m;
	ui.state = engine_state(e);
	ui.cmdq = engine_cmdq(e);
	ui.operator_name = login_name();
	ui.spool_path = engine_spool_path(e);
	rc = ui_run(&ui);
	engine_stop(e);
	model_free(m);
	return rc == 0 ? EXIT_OK : EXIT_FAILURE_;
}
