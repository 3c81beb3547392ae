/*
 * sim_main.c: jope-smb-sim, the simulated plant for demos and tests.
 *
 * Loads the same configuration the console uses (config_load, so the two can
 * never disagree about a register), builds the plant, and serves every
 * connector of devices.json until SIGTERM or SIGINT: a TCP connector on
 * 127.0.0.1:port, an RTU connector on a pseudo-terminal linked at its serial
 * path.  Faults given with --fault make a connector or a device misbehave
 * on purpose, so tests of the console's error handling run against real
 * sockets and ttys.
 *
 * Faults live in two tables, one entry per connector and one per device.
 * The --fault options build the base tables once.  A control file (--control)
 * is read at start, on SIGUSR1, and when the once-a-second tick finds that
 * its modification time, size or inode changed; each reading starts over
 * from the base tables and applies the file's lines in order, and only a
 * file without a mistake replaces the server's tables.  So the file always
 * says the whole truth about the run-time faults, and emptying it (or
 * removing it) returns to the command line's.
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
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/i18n.h"
#include "core/util.h"
#include "sim/fault.h"
#include "sim/modbus_server.h"
#include "sim/plant.h"

#define EXIT_USAGE 2
#define SPEC_MAX 256                /* one --fault or control line */

struct options {
	const char *dir;
	const char *ready_file;
	const char *control;
	const char **only;          /* --only, each a connector id */
	size_t nonly;
	const char **faults;        /* --fault, each NAME:SPEC */
	size_t nfaults;
	uint64_t seed;
};

/* Both fault tables: one entry per connector, one per device. */
struct faults {
	struct sim_fault *conn;
	struct sim_fault *dev;
};

/* The control file and what the last reading saw of it. */
struct control {
	const char *path;
	const struct model *model;
	struct server *srv;
	const struct faults *base;  /* from --fault */
	int seen;                   /* stat succeeded last time */
	struct stat st;
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp, _("Usage: jope-smb-sim -c DIR [OPTION]...\n"
	    "Serve the devices of DIR/devices.json as a simulated plant: TCP "
	    "connectors\n"
	    "on 127.0.0.1, RTU connectors on a pseudo-terminal linked at their "
	    "serial path.\n"
	    "\n"
	    "  -c, --config DIR        configuration directory (app.json, "
	    "devices.json)\n"
	    "  -o, --only CONNECTOR    serve only this connector (repeatable)\n"
	    "  -f, --fault NAME:FAULT  misbehave on purpose (repeatable); NAME "
	    "is a connector\n"
	    "                          or a device id\n"
	    "  -C, --control FILE      read more faults from FILE (NAME:FAULT "
	    "or NAME:clear\n"
	    "                          a line), again on SIGUSR1 or when it "
	    "changes\n"
	    "  -s, --seed N            seed of the simulated noise (default 1)\n"
	    "  -r, --ready-file PATH   create PATH once every connector is "
	    "served\n"
	    "  -h, --help              show this help and exit\n"
	    "  -V, --version           show the version and exit\n"
	    "\n"
	    "Faults (join several with +):\n"
	    "  refuse                  connector only: do not listen / no serial "
	    "path\n"
	    "  garbage                 answer with random bytes (RTU: a bad "
	    "CRC)\n"
	    "  close                   send half of each reply, then close (TCP)\n"
	    "  drop                    do not answer at all\n"
	    "  mismatch                answer with a wrong transaction id (RTU: "
	    "unit id)\n"
	    "  exception=CODE          answer every request with exception "
	    "CODE (1-11)\n"
	    "  slow=MS                 delay each reply by MS milliseconds\n"
	    "  late=MS                 delay each reply by MS milliseconds but "
	    "read on\n"
	    "\n"
	    "Every device also serves its clock in holding registers "
	    "9000..9003 (writable),\n"
	    "and a device whose id contains \"raman\" a spectrum in input "
	    "registers 999..3047.\n"
	    "A unit id not configured on a TCP connector gets exception 11; on "
	    "RTU, no reply.\n"
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
		{ "control", required_argument, NULL, 'C' },
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
	while ((ch = getopt_long(argc, argv, "c:o:f:C:s:r:hV", longopts,
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
		case 'C':
			o->control = optarg;
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

static void
faults_init(struct faults *f, const struct model *m)
{
	f->conn = xcalloc(m->nconnectors + 1, sizeof *f->conn);
	f->dev = xcalloc(m->ndevices + 1, sizeof *f->dev);
}

static void
faults_copy(struct faults *dst, const struct faults *src,
    const struct model *m)
{
	memcpy(dst->conn, src->conn, m->nconnectors * sizeof *dst->conn);
	memcpy(dst->dev, src->dev, m->ndevices * sizeof *dst->dev);
}

static void
faults_free(struct faults *f)
{
	free(f->conn);
	free(f->dev);
}

/*
 * Apply one "NAME:FAULT[+FAULT...]" or "NAME:clear" to f.  where prefixes
 * the messages ("--fault X:Y", "FILE:LINE").  0, or -1 with the reason
 * printed.  A name that is both a connector and a device is the connector.
 */
static int
apply_spec(const struct model *m, const char *where, const char *spec,
    struct faults *f)
{
	char buf[SPEC_MAX], *name, *word, *save = NULL;
	struct sim_fault *target, merged;
	long c, d;

	if (str_copy(buf, spec, sizeof buf) >= sizeof buf ||
	    (word = strchr(buf, ':')) == NULL || word == buf) {
		fprintf(stderr, _("jope-smb-sim: %s: expected NAME:FAULT or "
		    "NAME:clear\n"), where);
		return -1;
	}
	*word++ = '\0';
	name = buf;
	c = model_find_connector(m, name);
	d = model_find_device(m, name);
	if (c < 0 && d < 0) {
		fprintf(stderr, _("jope-smb-sim: %s: no connector or device "
		    "named %s\n"), where, name);
		return -1;
	}
	if (c >= 0 && d >= 0)
		fprintf(stderr, _("jope-smb-sim: %s: %s is both a connector and "
		    "a device; the fault applies to the connector\n"), where,
		    name);
	target = c >= 0 ? &f->conn[c] : &f->dev[d];
	if (strcmp(word, "clear") == 0) {
		memset(target, 0, sizeof *target);
		return 0;
	}
	merged = *target;
	for (word = strtok_r(word, "+", &save); word != NULL;
	    word = strtok_r(NULL, "+", &save)) {
		int rc = fault_parse(word, &merged);

		if (rc == -1) {
			fprintf(stderr, _("jope-smb-sim: %s: unknown fault %s "
			    "(refuse, garbage, close, drop, mismatch, "
			    "exception=1..11, slow=MS, late=MS)\n"), where, word);
			return -1;
		}
		if (rc == -2) {
			fprintf(stderr, _("jope-smb-sim: %s: %s conflicts with "
			    "another fault of %s\n"), where, word, name);
			return -1;
		}
	}
	if (c < 0 && merged.refuse) {
		fprintf(stderr, _("jope-smb-sim: %s: refuse applies to a "
		    "connector, and %s is a device\n"), where, name);
		return -1;
	}
	*target = merged;
	return 0;
}

static int
parse_faults(const struct model *m, const struct options *o,
    struct faults *f)
{
	char where[SPEC_MAX + 16];

	for (size_t k = 0; k < o->nfaults; k++) {
		snprintf(where, sizeof where, "--fault %s", o->faults[k]);
		if (apply_spec(m, where, o->faults[k], f) != 0)
			return -1;
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

/* One line per connector or device with a fault. */
static void
describe_faults(const struct model *m, const struct faults *f)
{
	char text[128];

	for (size_t c = 0; c < m->nconnectors; c++) {
		if (!fault_is_set(&f->conn[c]))
			continue;
		fault_format(&f->conn[c], text, sizeof text);
		printf(_("connector %s: fault %s\n"), m->connectors[c].id, text);
	}
	for (size_t d = 0; d < m->ndevices; d++) {
		if (!fault_is_set(&f->dev[d]))
			continue;
		fault_format(&f->dev[d], text, sizeof text);
		printf(_("device %s: fault %s\n"), m->devices[d].id, text);
	}
}

static void
announce(const struct model *m, struct server *srv, size_t c,
    const struct faults *f)
{
	const struct connector *conn = &m->connectors[c];
	char units[1024];

	format_units(m, c, units, sizeof units);
	if (conn->kind == CONNECTOR_RTU && f->conn[c].refuse)
		printf(_("serving %s, not linked at %s (connector %s, units "
		    "%s): fault refuse\n"), server_pty_name(srv, c),
		    conn->serial, conn->id, units);
	else if (conn->kind == CONNECTOR_RTU)
		printf(_("listening on %s -> %s (connector %s, units %s)\n"),
		    server_pty_name(srv, c), conn->serial, conn->id, units);
	else if (f->conn[c].refuse)
		printf(_("not listening on %s:%d (connector %s, units "
		    "%s): fault refuse\n"), SERVER_ADDRESS, conn->port,
		    conn->id, units);
	else
		printf(_("listening on %s:%d (connector %s, units %s)\n"),
		    SERVER_ADDRESS, conn->port, conn->id, units);
}

static int
start_connectors(const struct model *m, struct server *srv,
    const unsigned char *serve, const struct faults *f)
{
	for (size_t c = 0; c < m->nconnectors; c++) {
		const struct connector *conn = &m->connectors[c];

		if (!serve[c])
			continue;
		if (server_add(srv, c) == 0) {
			announce(m, srv, c, f);
			continue;
		}
		if (conn->kind == CONNECTOR_RTU && errno == EEXIST)
			fprintf(stderr, _("jope-smb-sim: connector %s: %s "
			    "exists and is not a symbolic link to a "
			    "pseudo-terminal; not replacing it\n"), conn->id,
			    conn->serial);
		else if (conn->kind == CONNECTOR_RTU)
			fprintf(stderr, _("jope-smb-sim: connector %s: cannot "
			    "serve a pseudo-terminal at %s: %s\n"), conn->id,
			    conn->serial, strerror(errno));
		else
			fprintf(stderr, _("jope-smb-sim: connector %s: cannot "
			    "listen on %s:%d: %s\n"), conn->id, SERVER_ADDRESS,
			    conn->port, strerror(errno));
		return -1;
	}
	fflush(stdout);
	return 0;
}

/* --- the control file ------------------------------------------------ */

/* Strip comments and surrounding blanks; the line is then empty or a spec. */
static char *
trim_line(char *line)
{
	char *end;

	line[strcspn(line, "#\r\n")] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return line;
}

/*
 * Read the control file into f (which holds the base faults on entry).
 * A missing file is an empty one.  0, or -1 after reporting every bad line.
 */
static int
read_control(const struct control *ctl, struct faults *f)
{
	char line[SPEC_MAX + 2], where[4096 + 32];
	int lineno = 0, bad = 0;
	FILE *fp;

	if ((fp = fopen(ctl->path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, _("jope-smb-sim: cannot read %s: %s\n"),
		    ctl->path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		char *spec = trim_line(line);

		lineno++;
		if (*spec == '\0')
			continue;
		snprintf(where, sizeof where, "%s:%d", ctl->path, lineno);
		if (apply_spec(ctl->model, where, spec, f) != 0)
			bad = 1;
	}
	fclose(fp);
	return bad ? -1 : 0;
}

/* Whether the file looks different from the last reading. */
static int
control_changed(struct control *ctl)
{
	struct stat st;
	int seen = stat(ctl->path, &st) == 0;
	int changed;

	if (!seen)
		memset(&st, 0, sizeof st);
	changed = seen != ctl->seen || st.st_ino != ctl->st.st_ino ||
	    st.st_size != ctl->st.st_size ||
	    st.st_mtim.tv_sec != ctl->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != ctl->st.st_mtim.tv_nsec;
	ctl->seen = seen;
	ctl->st = st;
	return changed;
}

/* Read the file and, if it is right, make its faults the server's. */
static void
reload_control(struct control *ctl)
{
	const struct model *m = ctl->model;
	struct faults f;
	size_t failed = 0;

	faults_init(&f, m);
	faults_copy(&f, ctl->base, m);
	if (read_control(ctl, &f) != 0) {
		fprintf(stderr, _("jope-smb-sim: %s: not applied, the faults "
		    "stay as they were\n"), ctl->path);
	} else if (server_set_faults(ctl->srv, f.conn, f.dev, &failed) != 0) {
		fprintf(stderr, _("jope-smb-sim: %s: connector %s cannot go "
		    "back on the air: %s\n"), ctl->path,
		    m->connectors[failed].id, strerror(errno));
	} else {
		printf(_("control %s: applied\n"), ctl->path);
		describe_faults(m, &f);
	}
	fflush(stdout);
	fflush(stderr);
	faults_free(&f);
}

static void
control_tick(void *arg, int poked)
{
	struct control *ctl = arg;

	if (control_changed(ctl) || poked)
		reload_control(ctl);
}

/* --- the run --------------------------------------------------------- */

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
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Delivered only inside ppoll(): see server_run(). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
}

/* The control file's first reading, before anything is served. */
static int
first_control(struct control *ctl, struct faults *f)
{
	control_changed(ctl);
	if (read_control(ctl, f) != 0)
		return -1;
	return 0;
}

/* Everything after the configuration is loaded; returns the exit status. */
static int
run(const struct model *m, const struct options *o)
{
	unsigned char *serve = xcalloc(m->nconnectors + 1, 1);
	struct faults base, now;
	struct control ctl;
	struct plant *plant = NULL;
	struct server *srv = NULL;
	int status = EXIT_FAILURE;

	faults_init(&base, m);
	faults_init(&now, m);
	memset(&ctl, 0, sizeof ctl);
	ctl.path = o->control;
	ctl.model = m;
	ctl.base = &base;
	if (select_connectors(m, o, serve) != 0 ||
	    parse_faults(m, o, &base) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	faults_copy(&now, &base, m);
	if (ctl.path != NULL && first_control(&ctl, &now) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	if ((plant = plant_new(m, o->seed)) == NULL ||
	    (srv = server_new(m, plant, o->seed)) == NULL) {
		fprintf(stderr, _("jope-smb-sim: cannot set up the plant: "
		    "%s\n"), strerror(errno));
		goto out;
	}
	ctl.srv = srv;
	server_set_notify(srv, notify, NULL);
	server_set_faults(srv, now.conn, now.dev, NULL);
	if (ctl.path != NULL)
		server_set_tick(srv, control_tick, &ctl, &reload_requested);
	if (start_connectors(m, srv, serve, &now) != 0)
		goto out;
	describe_faults(m, &now);
	fflush(stdout);
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
	server_free(srv);       /* removes the serial links */
	plant_free(plant);
	faults_free(&base);
	faults_free(&now);
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
