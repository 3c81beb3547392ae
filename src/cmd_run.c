/*
 * cmd_run.c: `jope-smb run`, the engine without the console.
 *
 * For tests and for troubleshooting over SSH: the same engine the console
 * runs, logging JSON lines to stderr as well as to the state dir's log.  It
 * runs until SIGINT or SIGTERM (or --duration seconds), then stops cleanly:
 * running tasks finish, queued ones are cancelled and recorded.  SIGHUP
 * reloads the configuration (validated whole; a rejected one leaves the
 * running one in place and every error in the log).  The main
 * thread only waits for signals with sigtimedwait, so no handler runs in an
 * arbitrary thread.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "commands.h"
#include "config/config.h"
#include "core/i18n.h"
#include "core/log.h"
#include "engine.h"

int
cmd_run(const struct options *o)
{
	struct model *m;
	struct engine *e;
	sigset_t wait_set;
	struct timespec tick = { 1, 0 };
	time_t end = o->duration_s > 0 ? time(NULL) + o->duration_s : 0;

	if ((m = command_load_model(o)) == NULL)
		return EXIT_FAILURE_;

	/* Block the signals before any thread starts, then wait for them. */
	sigemptyset(&wait_set);
	sigaddset(&wait_set, SIGINT);
	sigaddset(&wait_set, SIGTERM);
	sigaddset(&wait_set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &wait_set, NULL);

	if ((e = command_start_engine(o, m, "run", true)) == NULL)
		return EXIT_FAILURE_;
	for (;;) {
		int sig = sigtimedwait(&wait_set, NULL, &tick);

		if (sig == SIGINT || sig == SIGTERM) {
			log_event(LOG_INFO, "signal", "{s:i}", "signal", sig);
			break;
		}
		if (sig == SIGHUP) {
			struct command c = { .kind = CMD_RELOAD_CONFIG };

			if (!cmdq_push(engine_cmdq(e), &c))
				log_event(LOG_WARN, "reload_refused", "{s:s}",
				    "reason", "command queue full");
		}
		if (end != 0 && time(NULL) >= end)
			break;
	}
	engine_stop(e);
	model_free(m);
	return EXIT_OK;
}
