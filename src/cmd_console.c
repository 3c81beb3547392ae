/*
 * cmd_console.c: `jope-smb console`, the default command.
 *
 * Starts the engine, then gives the terminal to the UI thread (this one)
 * until the operator quits or the terminal goes away.  The engine's threads
 * are started with every signal blocked, so SIGWINCH, SIGTERM and SIGHUP
 * reach only the UI loop, whose handlers just set flags.  The log goes to
 * the state dir only: curses owns the terminal.
 *
 * SIGHUP, SIGTERM and SIGINT are caught here too, for the whole command,
 * and never left at their default action: a closed terminal usually sends
 * more than one SIGHUP (the kernel's hangup, then the terminal emulator's
 * or tmux's own), and the UI puts back the handlers it found when it
 * returns.  Were those the defaults, the second SIGHUP would kill the
 * process in the middle of engine_stop, before the last state is
 * published, the audit trail has console_stop and the log engine_stop.
 * Ours only note the signal: one that arrives while the engine starts
 * means "do not open the UI", and one that arrives while it stops is
 * already being obeyed.
 */
#include "config.h"

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config/config.h"
#include "core/i18n.h"
#include "engine.h"
#include "ui/ui.h"

static const int stop_signals[] = { SIGHUP, SIGTERM, SIGINT };
#define NSTOP (sizeof stop_signals / sizeof stop_signals[0])

static volatile sig_atomic_t stop_signal;

static void
on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void
stop_signals_catch(struct sigaction old[NSTOP])
{
	struct sigaction sa;

	stop_signal = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &sa, &old[i]);
}

static void
stop_signals_restore(const struct sigaction old[NSTOP])
{
	for (size_t i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &old[i], NULL);
}

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
	struct sigaction old[NSTOP];
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
	stop_signals_catch(old);
	if ((e = command_start_engine(o, m, "console", false)) == NULL) {
		stop_signals_restore(old);
		return EXIT_FAILURE_;
	}
	ui.model = m;
	ui.state = engine_state(e);
	ui.cmdq = engine_cmdq(e);
	ui.operator_name = login_name();
	ui.spool_path = engine_spool_path(e);
	/* Told to stop while the engine started: no terminal to open. */
	rc = stop_signal == 0 ? ui_run(&ui) : 1;
	engine_stop(e);
	model_free(m);
	stop_signals_restore(old);
	return rc == 0 ? EXIT_OK : EXIT_FAILURE_;
}
