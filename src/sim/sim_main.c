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
 * With an inference endpoint (--inference, or app.json's when it is a
 * loopback one) it also serves the inference protocol over ZeroMQ with the
 * linear model of --model (inference_server.c, in a thread of its own), so
 * that the console's predictions track the concentrations the simulated
 * spectra were made from.  The reserved name "inference" stands for that
 * server in --fault, --only and the control file, and SIGUSR2 restarts it.
 *
 * Faults live in two tables, one entry per connector and one per device,
 * plus the inference server's.  The --fault options build the base tables
 * once.  A control file (--control)
 * is read at start, on SIGUSR1, and when the once-a-second tick finds that
 * its modification time, size or inode changed; each reading starts over
 * from the base tables and applies the file's lines in order, and only a
 * file without a mistake replaces the server's tables.  So the file always
 * says the whole truth about the run-time faults, and emptying it (or
 * removing it) returns to the command line's.
 *
 * This file is the command line and the messages only: the plant lives in
 * plant.c, the Modbus loop in modbus_server.c, the inference host in
 * inference_server.c, and none of them prints.
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
#include "sim/inference_server.h"
#include "sim/modbus_server.h"
#include "sim/plant.h"
#include "sim/pls_model.h"

#define EXIT_USAGE 2
#define SPEC_MAX 256                /* one --fault or control line */
#define INFERENCE_NAME "inference"  /* reserved in --fault, --only */
#define MODEL_FILE "inference-model.json"   /* default, in the config dir */
#define PATH_MAX_LEN 4096

enum { OPT_NO_INFERENCE = 256 };

struct options {
	const char *dir;
	const char *ready_file;
	const char *control;
	const char **only;          /* --only, each a connector id */
	size_t nonly;
	const char **faults;        /* --fault, each NAME:SPEC */
	size_t nfaults;
	uint64_t seed;
	const char *inference;      /* --inference ENDPOINT */
	const char *model;          /* --model FILE */
	int no_inference;
	int only_inference;         /* --only inference */
};

/* The fault tables: one entry per connector, one per device, and the
 * inference server's. */
struct faults {
	struct sim_fault *conn;
	struct sim_fault *dev;
	struct sim_fault inference;
};

/* The control file and what the last reading saw of it. */
struct control {
	const char *path;
	const struct model *model;
	struct server *srv;
	struct inference_server *inf;   /* NULL: not serving inference */
	const struct faults *base;  /* from --fault */
	int seen;                   /* stat succeeded last time */
	struct stat st;
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
/* SIGUSR2 restarts it; only the main thread takes that signal. */
static struct inference_server *volatile restart_target;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		reload_requested = 1;
	else if (sig == SIGUSR2) {
		if (restart_target != NULL)
			inference_server_restart(restart_target);
	} else
		stop_requested = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp, _("Usage: jope-smb-sim -c DIR [OPTION]...\n"
	    "Serve the devices of DIR/devices.json as a simulated plant: TCP "
	    "connectors\n"
	    "on 127.0.0.1, RTU connectors on a pseudo-terminal linked at their "
	    "serial path;\n"
	    "and the inference protocol (ZeroMQ) on a loopback endpoint.\n"
	    "\n"
	    "  -c, --config DIR        configuration directory (app.json, "
	    "devices.json)\n"
	    "  -o, --only NAME         serve only this connector, or "
	    "\"inference\" (repeatable)\n"
	    "  -f, --fault NAME:FAULT  misbehave on purpose (repeatable); NAME "
	    "is a connector,\n"
	    "                          a device id or \"inference\"\n"
	    "  -C, --control FILE      read more faults from FILE (NAME:FAULT "
	    "or NAME:clear\n"
	    "                          a line), again on SIGUSR1 or when it "
	    "changes\n"
	    "  -i, --inference ENDPOINT\n"
	    "                          serve inference at ENDPOINT: "
	    "tcp://127.0.0.1:PORT,\n"
	    "                          tcp://[::1]:PORT, tcp://localhost:PORT "
	    "or ipc://PATH\n"
	    "                          (default: app.json's inference.endpoint "
	    "if loopback)\n"
	    "  -m, --model FILE        inference model (default: DIR/"
	    "inference-model.json)\n"
	    "      --no-inference      do not serve inference\n"
	    "  -s, --seed N            seed of the simulated noise (default 1)\n"
	    "  -r, --ready-file PATH   create PATH once everything is served\n"
	    "  -h, --help              show this help and exit\n"
	    "  -V, --version           show the version and exit\n"
	    "\n"
	    "Faults (join several with +):\n"
	    "  refuse                  connector only: do not listen / no serial "
	    "path\n"
	    "  garbage                 answer with random bytes (RTU: a bad "
	    "CRC;\n"
	    "                          inference: a reply no decoder accepts)\n"
	    "  close                   send half of each reply, then close (TCP)\n"
	    "  drop                    do not answer at all\n"
	    "  mismatch                answer with a wrong transaction id (RTU: "
	    "unit id;\n"
	    "                          inference: request id)\n"
	    "  exception=CODE          answer every request with exception "
	    "CODE (1-11)\n"
	    "  slow=MS                 delay each reply by MS milliseconds\n"
	    "  late=MS                 delay each reply by MS milliseconds but "
	    "read on\n"
	    "The inference server takes garbage, drop, mismatch, slow and late; "
	    "SIGUSR2\n"
	    "restarts it (300 ms off the air, then a new server id).\n"
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
		{ "inference", required_argument, NULL, 'i' },
		{ "model", required_argument, NULL, 'm' },
		{ "no-inference", no_argument, NULL, OPT_NO_INFERENCE },
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
	while ((ch = getopt_long(argc, argv, "c:o:f:C:i:m:s:r:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->dir = optarg;
			break;
		case 'o':
			o->only[o->nonly++] = optarg;
			if (strcmp(optarg, INFERENCE_NAME) == 0)
				o->only_inference = 1;
			break;
		case 'f':
			o->faults[o->nfaults++] = optarg;
			break;
		case 'C':
			o->control = optarg;
			break;
		case 'i':
			o->inference = optarg;
			break;
		case 'm':
			o->model = optarg;
			break;
		case OPT_NO_INFERENCE:
			o->no_inference = 1;
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
	if (o->inference != NULL && o->no_inference) {
		fprintf(stderr, _("jope-smb-sim: --inference and --no-inference "
		    "exclude each other\n"));
		return EXIT_USAGE + 1;
	}
	if (o->inference != NULL &&
	    !inference_endpoint_is_loopback(o->inference)) {
		fprintf(stderr, _("jope-smb-sim: --inference %s: the simulator "
		    "serves only tcp://127.0.0.1:PORT, tcp://[::1]:PORT, "
		    "tcp://localhost:PORT or ipc://PATH\n"), o->inference);
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

		if (c < 0 && strcmp(o->only[k], INFERENCE_NAME) == 0)
			continue;       /* the inference server */
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
	memset(&f->inference, 0, sizeof f->inference);
}

static void
faults_copy(struct faults *dst, const struct faults *src,
    const struct model *m)
{
	memcpy(dst->conn, src->conn, m->nconnectors * sizeof *dst->conn);
	memcpy(dst->dev, src->dev, m->ndevices * sizeof *dst->dev);
	dst->inference = src->inference;
}

static void
faults_free(struct faults *f)
{
	free(f->conn);
	free(f->dev);
}

/*
 * The inference server's part of apply_spec(): words is "clear" or
 * "FAULT[+FAULT...]", of the faults that mean something for a ZeroMQ
 * server (no refuse, close or exception).
 */
static int
apply_inference_spec(const struct model *m, const char *where, char *words,
    struct sim_fault *target)
{
	struct sim_fault merged;
	char *word, *save = NULL;

	if (model_find_connector(m, INFERENCE_NAME) >= 0 ||
	    model_find_device(m, INFERENCE_NAME) >= 0)
		fprintf(stderr, _("jope-smb-sim: %s: \"inference\" names the "
		    "inference server; the connector or device of that name "
		    "cannot be given faults\n"), where);
	if (strcmp(words, "clear") == 0) {
		memset(target, 0, sizeof *target);
		return 0;
	}
	merged = *target;
	for (word = strtok_r(words, "+", &save); word != NULL;
	    word = strtok_r(NULL, "+", &save)) {
		struct sim_fault one;
		int rc;

		memset(&one, 0, sizeof one);
		if (fault_parse(word, &one) == -1) {
			fprintf(stderr, _("jope-smb-sim: %s: unknown fault %s "
			    "(inference: garbage, drop, mismatch, slow=MS, "
			    "late=MS)\n"), where, word);
			return -1;
		}
		if (one.refuse || one.mode == FAULT_CLOSE ||
		    one.mode == FAULT_EXCEPTION) {
			fprintf(stderr, _("jope-smb-sim: %s: %s makes no sense "
			    "for the inference server (garbage, drop, mismatch, "
			    "slow=MS, late=MS)\n"), where, word);
			return -1;
		}
		rc = fault_parse(word, &merged);
		if (rc != 0) {
			fprintf(stderr, _("jope-smb-sim: %s: %s conflicts with "
			    "another fault of %s\n"), where, word,
			    INFERENCE_NAME);
			return -1;
		}
	}
	*target = merged;
	return 0;
}

/*
 * Apply one "NAME:FAULT[+FAULT...]" or "NAME:clear" to f.  where prefixes
 * the messages ("--fault X:Y", "FILE:LINE").  0, or -1 with the reason
 * printed.  A name that is both a connector and a device is the connector;
 * "inference" is always the inference server.
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
	if (strcmp(name, INFERENCE_NAME) == 0)
		return apply_inference_spec(m, where, word, &f->inference);
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
	if (fault_is_set(&f->inference)) {
		fault_format(&f->inference, text, sizeof text);
		printf(_("inference: fault %s\n"), text);
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

/* Read the file and, if it is right, make its faults the servers'. */
static void
reload_control(struct control *ctl)
{
	const struct model *m = ctl->model;
	struct faults f;
	size_t failed = 0;
	int bad;

	faults_init(&f, m);
	faults_copy(&f, ctl->base, m);
	bad = read_control(ctl, &f) != 0;
	if (!bad && ctl->inf != NULL)
		inference_server_set_fault(ctl->inf, &f.inference);
	if (bad) {
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
	/* Not blocked: it only pokes the inference thread, from anywhere. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Delivered only inside ppoll(): see server_run(). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
}

/* --- the inference server --------------------------------------------- */

/*
 * Where to serve inference: --inference, else app.json's endpoint when it
 * is a loopback one and --only does not leave inference out.  *endpoint is
 * NULL when there is nothing to serve.
 */
static void
choose_endpoint(const struct model *m, const struct options *o,
    const char **endpoint)
{
	const char *e = m->app.inference_endpoint;

	*endpoint = NULL;
	if (o->no_inference)
		return;
	if (o->inference != NULL) {
		*endpoint = o->inference;
		return;
	}
	if (*e == '\0' || (o->nonly > 0 && !o->only_inference))
		return;
	if (!inference_endpoint_is_loopback(e)) {
		printf(_("inference: not serving %s (app.json): the simulator "
		    "serves only loopback endpoints; see --inference\n"), e);
		return;
	}
	*endpoint = e;
}

static struct pls_model *
load_model(const struct options *o)
{
	char path[PATH_MAX_LEN], err[1024];
	struct pls_model *model;

	if (o->model != NULL)
		str_copy(path, o->model, sizeof path);
	else
		snprintf(path, sizeof path, "%s/%s", o->dir, MODEL_FILE);
	if (pls_model_load(path, &model, err, sizeof err) != 0) {
		fprintf(stderr, _("jope-smb-sim: inference model: %s\n"), err);
		return NULL;
	}
	return model;
}

/* Called from the inference thread during a restart (SIGUSR2). */
static void
inference_notify(void *arg, enum inference_server_event ev,
    const char *endpoint, const char *id, int err)
{
	(void)arg;
	switch (ev) {
	case INFER_SERVER_DOWN:
		printf(_("inference: restarting, %s closed\n"), endpoint);
		break;
	case INFER_SERVER_UP:
		printf(_("inference: listening again on %s (server %s)\n"),
		    endpoint, id);
		break;
	case INFER_SERVER_BIND_FAILED:
		fprintf(stderr, _("jope-smb-sim: inference: cannot bind %s "
		    "again: %s; retrying\n"), endpoint,
		    inference_server_strerror(err));
		break;
	}
	fflush(stdout);
	fflush(stderr);
}

static struct inference_server *
start_inference(const struct options *o, const struct pls_model *model,
    const char *endpoint, const struct sim_fault *fault)
{
	struct inference_server *s;
	char id[INFER_SERVER_ID_MAX], names[INFER_MAX_OUTPUTS * INFER_ID_MAX];
	size_t used = 0;

	if ((s = inference_server_new(model, endpoint, o->seed)) == NULL) {
		fprintf(stderr, _("jope-smb-sim: inference: cannot set up "
		    "ZeroMQ: %s\n"), strerror(errno));
		return NULL;
	}
	inference_server_set_notify(s, inference_notify, NULL);
	inference_server_set_fault(s, fault);
	if (inference_server_start(s) != 0) {
		fprintf(stderr, _("jope-smb-sim: inference: cannot bind %s: "
		    "%s\n"), endpoint, inference_server_strerror(errno));
		inference_server_free(s);
		return NULL;
	}
	names[0] = '\0';
	for (size_t k = 0; k < model->noutputs; k++)
		used += (size_t)snprintf(names + used, sizeof names - used,
		    "%s%s", k > 0 ? "," : "", model->outputs[k].name);
	inference_server_id(s, id, sizeof id);
	printf(_("inference on %s (model %s %s, %zu pixels, outputs %s; "
	    "server %s)\n"), endpoint, model->id, model->version,
	    model->pixels, names, id);
	return s;
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
	struct pls_model *model = NULL;
	struct inference_server *inf = NULL;
	const char *endpoint;
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
	choose_endpoint(m, o, &endpoint);
	if (endpoint != NULL && (model = load_model(o)) == NULL)
		goto out;
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
	if (endpoint != NULL) {
		if ((inf = start_inference(o, model, endpoint,
		    &now.inference)) == NULL)
			goto out;
		ctl.inf = inf;
		restart_target = inf;
	}
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
	restart_target = NULL;
	inference_server_free(inf);
	pls_model_free(model);
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
