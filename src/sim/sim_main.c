/*
 * sim_main.c: jope-smb-sim, the simulated plant for demos and tests.
 *
 * Loads the same configuration the console uses (config_load, so the two can
 * never disagree about a register), builds the plant, and serves every TCP
 * connector of devices.json on 127.0.0.1:port until SIGTERM or SIGINT.
 * Faults given with --fault make a connector misbehave on purpose, so tests
 * of the console's error handling run against real sockets.
 *
 * This file is the command line and the messages only: the plant lives in
 * plant.c, the Modbus loop in modbus_server.c, and neither prints.
 * Exit status: 0 after a requested stop, 1 on a configuration or run-time
 * error (port in use...), 2 on a command-line error.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/i18n.h"
#include "core/util.h"
#include "sim/modbus_server.h"
#include "sim/plant.h"

#define EXIT_USAGE 2

struct options {
	const char *dir;
	const char *ready_file;
	const char **only;          /* --only, each a connector id */
	size_t nonly;
	const char **faults;        /* --fault, each CONNECTOR:SPEC */
	size_t nfaults;
	uint64_t seed;
};

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp, _("Usage: jope-smb-sim -c DIR [OPTION]...\n"
	    "Serve the devices of DIR/devices.json as a simulated plant over "
	    "Modbus TCP on 127.0.0.1.\n"
	    "\n"
	    "  -c, --config DIR        configuration directory (app.json, "
	    "devices.json)\n"
	    "  -o, --only CONNECTOR    serve only this connector (repeatable)\n"
	    "  -f, --fault SPEC        misbehave on purpose (repeatable), SPEC "
	    "is CONNECTOR:FAULT\n"
	    "  -s, --seed N            seed of the simulated noise (default 1)\n"
	    "  -r, --ready-file PATH   create PATH once every listener is bound\n"
	    "  -h, --help              show this help and exit\n"
	    "  -V, --version           show the version and exit\n"
	    "\n"
	    "Faults:\n"
	    "  refuse                  do not listen (connection refused)\n"
	    "  garbage                 answer with random bytes\n"
	    "  close                   send half of each reply, then close\n"
	    "  slow=MS                 delay each reply by MS milliseconds\n"
	    "  exception=CODE          answer every request with exception "
	    "CODE (1-11)\n"
	    "\n"
	    "A unit id not configured on a connector gets exception 11 "
	    "(gateway target failed to respond).\n"
	    "Exit status: 0 when stopped by SIGTERM or SIGINT, 1 on error, "
	    "2 on a usage error.\n"));
}

static int
parse_seed(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || *s == '-')
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* 0 to go on, or an exit status + 1 (help and version end the run). */
static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "only", required_argument, NULL, 'o' },
		{ "fault", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 's' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	o->seed = 1;
	o->only = xcalloc((size_t)argc, sizeof *o->only);
	o->faults = xcalloc((size_t)argc, sizeof *o->faults);
	while ((ch = getopt_long(argc, argv, "c:o:f:s:r:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->dir = optarg;
			break;
		case 'o':
			o->only[o->nonly++] = optarg;
			break;
		case 'f':
			o->faults[o->nfaults++] = optarg;
			break;
		case 's':
			if (parse_seed(optarg, &o->seed) != 0) {
				fprintf(stderr, _("jope-smb-sim: invalid seed: "
				    "%s\n"), optarg);
				return EXIT_USAGE + 1;
			}
			break;
		case 'r':
			o->ready_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS + 1;
		case 'V':
			printf("jope-smb-sim (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			return EXIT_SUCCESS + 1;
		default:
			usage(stderr);
			return EXIT_USAGE + 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, _("jope-smb-sim: unexpected argument: %s\n"),
		    argv[optind]);
		return EXIT_USAGE + 1;
	}
	if (o->dir == NULL) {
		fprintf(stderr, _("jope-smb-sim: -c DIR is required\n"));
		usage(stderr);
		return EXIT_USAGE + 1;
	}
	return 0;
}

/* Which connectors to serve: all, or those named by --only. */
static int
select_connectors(const struct model *m, const struct options *o,
    unsigned char *serve)
{
	for (size_t c = 0; c < m->nconnectors; c++)
		serve[c] = o->nonly == 0;
	for (size_t k = 0; k < o->nonly; k++) {
		long c = model_find_connector(m, o->only[k]);

		if (c < 0) {
			fprintf(stderr, _("jope-smb-sim: --only: no connector "
			    "named %s\n"), o->only[k]);
			return -1;
		}
		serve[c] = 1;
	}
	return 0;
}

static int
parse_faults(const struct model *m, const struct options *o,
    struct sim_fault *faults)
{
	for (size_t k = 0; k < o->nfaults; k++) {
		const char *spec = o->faults[k];
		const char *colon = strchr(spec, ':');
		char id[MODEL_ID_MAX];
		long c;
		int rc;

		if (colon == NULL || (size_t)(colon - spec) >= sizeof id) {
			fprintf(stderr, _("jope-smb-sim: --fault %s: expected "
			    "CONNECTOR:FAULT\n"), spec);
			return -1;
		}
		memcpy(id, spec, (size_t)(colon - spec));
		id[colon - spec] = '\0';
		if ((c = model_find_connector(m, id)) < 0) {
			fprintf(stderr, _("jope-smb-sim: --fault %s: no "
			    "connector named %s\n"), spec, id);
			return -1;
		}
		rc = fault_parse(colon + 1, &faults[c]);
		if (rc == -1) {
			fprintf(stderr, _("jope-smb-sim: --fault %s: unknown "
			    "fault (refuse, garbage, close, slow=MS, "
			    "exception=1..11)\n"), spec);
			return -1;
		}
		if (rc == -2) {
			fprintf(stderr, _("jope-smb-sim: --fault %s: "
			    "conflicts with another fault of connector %s\n"),
			    spec, id);
			return -1;
		}
	}
	return 0;
}

/* "1,2,17": the unit ids served on connector c. */
static void
format_units(const struct model *m, size_t c, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t d = 0; d < m->ndevices && used + 8 < len; d++) {
		if (m->devices[d].connector != c)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%d",
		    used > 0 ? "," : "", m->devices[d].unit_id);
	}
	if (used == 0)
		str_copy(buf, "-", len);
}

static void
describe_faults(const struct options *o, const struct connector *conn)
{
	size_t idlen = strlen(conn->id);

	for (size_t k = 0; k < o->nfaults; k++)
		if (strncmp(o->faults[k], conn->id, idlen) == 0 &&
		    o->faults[k][idlen] == ':')
			printf(_("connector %s: fault %s\n"), conn->id,
			    o->faults[k] + idlen + 1);
}

static int
start_connectors(const struct model *m, const struct options *o,
    struct server *srv, const unsigned char *serve,
    const struct sim_fault *faults)
{
	char units[1024];

	for (size_t c = 0; c < m->nconnectors; c++) {
		const struct connector *conn = &m->connectors[c];

		if (!serve[c])
			continue;
		if (conn->kind != CONNECTOR_TCP) {
			fprintf(stderr, _("jope-smb-sim: connector %s: serial "
			    "(RTU) connectors are not simulated yet, "
			    "skipped\n"), conn->id);
			continue;
		}
		if (server_add(srv, c, &faults[c]) != 0) {
			fprintf(stderr, _("jope-smb-sim: connector %s: cannot "
			    "listen on %s:%d: %s\n"), conn->id, SERVER_ADDRESS,
			    conn->port, strerror(errno));
			return -1;
		}
		format_units(m, c, units, sizeof units);
		if (faults[c].refuse)
			printf(_("not listening on %s:%d (connector %s, units "
			    "%s): fault refuse\n"), SERVER_ADDRESS, conn->port,
			    conn->id, units);
		else
			printf(_("listening on %s:%d (connector %s, units "
			    "%s)\n"), SERVER_ADDRESS, conn->port, conn->id,
			    units);
		describe_faults(o, conn);
	}
	fflush(stdout);
	return 0;
}

/* Written whole under a temporary name, then renamed: never seen empty. */
static int
write_ready_file(const char *path)
{
	char tmp[4096];
	FILE *fp;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		int saved = errno;

		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

static void
notify(void *arg, enum server_event ev, const struct connector *c)
{
	(void)arg;
	if (ev == SERVER_CLIENT_REJECTED)
		fprintf(stderr, _("jope-smb-sim: connector %s: client limit "
		    "(%d) reached, connection closed\n"), c->id,
		    SERVER_MAX_CLIENTS);
}

static void
setup_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Delivered only inside ppoll(): see server_run(). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
}

/* Everything after the configuration is loaded; returns the exit status. */
static int
run(const struct model *m, const struct options *o)
{
	unsigned char *serve = xcalloc(m->nconnectors, 1);
	struct sim_fault *faults = xcalloc(m->nconnectors, sizeof *faults);
	struct plant *plant = NULL;
	struct server *srv = NULL;
	int status = EXIT_FAILURE;

	if (select_connectors(m, o, serve) != 0 ||
	    parse_faults(m, o, faults) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	if ((plant = plant_new(m, o->seed)) == NULL ||
	    (srv = server_new(m, plant, o->seed)) == NULL) {
		fprintf(stderr, _("jope-smb-sim: cannot set up the plant: "
		    "%s\n"), strerror(errno));
		goto out;
	}
	server_set_notify(srv, notify, NULL);
	if (start_connectors(m, o, srv, serve, faults) != 0)
		goto out;
	if (o->ready_file != NULL && write_ready_file(o->ready_file) != 0) {
		fprintf(stderr, _("jope-smb-sim: cannot write %s: %s\n"),
		    o->ready_file, strerror(errno));
		goto out;
	}
	if (server_run(srv, &stop_requested) != 0)
		fprintf(stderr, _("jope-smb-sim: %s\n"), strerror(errno));
	else
		status = EXIT_SUCCESS;
	if (o->ready_file != NULL)
		unlink(o->ready_file);
out:
	server_free(srv);
	plant_free(plant);
	free(faults);
	free(serve);
	return status;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct config_errors errs;
	struct model *m = NULL;
	int status;

	setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, LOCALEDIR);
	textdomain(PACKAGE);
	setup_signals();

	memset(&o, 0, sizeof o);
	if ((status = parse_options(argc, argv, &o)) != 0) {
		status--;
		goto out;
	}
	memset(&errs, 0, sizeof errs);
	if (config_load(o.dir, &m, &errs) != 0) {
		config_errors_print(&errs, stderr);
		config_errors_free(&errs);
		status = EXIT_FAILURE;
		goto out;
	}
	config_errors_free(&errs);
	status = run(m, &o);
	model_free(m);
out:
	free(o.only);
	free(o.faults);
	return status;
}
