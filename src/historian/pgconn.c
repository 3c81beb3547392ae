/*
 * pgconn.c: connecting to the historian without ever hanging (pgconn.h).
 *
 * PQconnectdb would block for as long as the network lets it; instead the
 * connection is started with PQconnectStartParams and driven by
 * PQconnectPoll, each wait a poll() on the libpq socket and the caller's stop
 * fd, bounded by one deadline for the whole attempt (DNS aside: libpq
 * resolves names before the first poll; plant configs use addresses).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/i18n.h"
#include "core/util.h"
#include "historian/pgconn.h"

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copy msg to err on one line, without the trailing newline libpq adds. */
static void
one_line(char *err, size_t errlen, const char *msg)
{
	char *w = err;
	size_t n;

	str_copy(err, msg != NULL && *msg ? msg : _("unknown error"), errlen);
	/* Newlines and runs of blanks become one space. */
	for (const char *p = err; *p; p++) {
		bool blank = *p == '\n' || *p == '\r' || *p == '\t' ||
		    *p == ' ';

		if (!blank)
			*w++ = *p;
		else if (w > err && w[-1] != ' ')
			*w++ = ' ';
	}
	*w = '\0';
	n = strlen(err);
	while (n > 0 && err[n - 1] == ' ')
		err[--n] = '\0';
}

void
pg_error_text(PGconn *c, const PGresult *res, char *err, size_t errlen)
{
	const char *msg = NULL;

	if (res != NULL)
		msg = PQresultErrorMessage(res);
	if ((msg == NULL || *msg == '\0') && c != NULL)
		msg = PQerrorMessage(c);
	one_line(err, errlen, msg);
}

int
pg_read_password_file(const char *path, char *buf, size_t len, char *err,
    size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, _("password file %s: %s"), path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, _("password file %s: not a regular file"),
		    path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, _("password file %s: mode %04o lets others "
		    "read it; refused (chmod 600 %s)"), path,
		    (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	n = read(fd, buf, len);
	close(fd);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, n < 0 ? _("password file %s: cannot read "
		    "it") : _("password file %s: too long"), path);
		sodium_memzero(buf, len);
		return -1;
	}
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, _("password file %s: empty"), path);
		return -1;
	}
	return 0;
}

/* Wait until fd is ready for what PQconnectPoll asked; 0, or -1 with err. */
static int
wait_socket(int fd, short events, int stop_fd, int64_t deadline, char *err,
    size_t errlen)
{
	struct pollfd pfd[2] = {
		{ .fd = fd, .events = events },
		{ .fd = stop_fd, .events = POLLIN },
	};
	int64_t left;
	int rc;

	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0) {
			str_copy(err, _("the historian did not answer in time"),
			    errlen);
			return -1;
		}
		rc = poll(pfd, stop_fd >= 0 ? 2 : 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if (stop_fd >= 0 && (pfd[1].revents & POLLIN)) {
			str_copy(err, _("stopped"), errlen);
			return -1;
		}
		if (rc > 0)
			return 0;
	}
}

PGconn *
pg_connect(const struct pg_params *p, int stop_fd, char *err, size_t errlen)
{
	const char *keys[8], *vals[8];
	char password[256] = "";
	char timeout_s[16];
	int64_t deadline;
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	PGconn *c;
	int k = 0;

	if (p->password_file != NULL && p->password_file[0] != '\0' &&
	    pg_read_password_file(p->password_file, password, sizeof password,
	    err, errlen) != 0)
		return NULL;
	snprintf(timeout_s, sizeof timeout_s, "%d",
	    p->timeout_ms > 1999 ? p->timeout_ms / 1000 : 2);
	/* The conninfo first, so that its own settings win over ours... */
	keys[k] = "dbname"; vals[k++] = p->conninfo;
	/* ...except these, which the console needs whatever it says. */
	keys[k] = "application_name";
	vals[k++] = p->application_name != NULL ? p->application_name : "jope-smb";
	keys[k] = "connect_timeout"; vals[k++] = timeout_s;
	keys[k] = "keepalives"; vals[k++] = "1";
	keys[k] = "keepalives_idle"; vals[k++] = "10";
	if (password[0] != '\0') {
		keys[k] = "password"; vals[k++] = password;
	}
	keys[k] = NULL; vals[k] = NULL;

	c = PQconnectStartParams(keys, vals, 1);
	sodium_memzero(password, sizeof password);
	if (c == NULL) {
		str_copy(err, _("out of memory"), errlen);
		return NULL;
	}
	if (PQstatus(c) == CONNECTION_BAD) {
		pg_error_text(c, NULL, err, errlen);
		PQfinish(c);
		return NULL;
	}
	deadline = mono_ms() + (p->timeout_ms > 0 ? p->timeout_ms : 10000);
	for (;;) {
		if (ps == PGRES_POLLING_OK)
			break;
		if (ps == PGRES_POLLING_FAILED) {
			pg_error_text(c, NULL, err, errlen);
			PQfinish(c);
			return NULL;
		}
		if (wait_socket(PQsocket(c), ps == PGRES_POLLING_WRITING ?
		    POLLOUT : POLLIN, stop_fd, deadline, err, errlen) != 0) {
			PQfinish(c);
			return NULL;
		}
		ps = PQconnectPoll(c);
	}
	/* The console's timestamps are UTC; so is its session. */
	if (pg_command(c, "SET TIME ZONE 'UTC'", stop_fd,
	    p->timeout_ms > 0 ? p->timeout_ms : 10000, err, errlen) != 0) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

int
pg_exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *res = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(res);
	int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;

	if (!ok)
		pg_error_text(c, res, err, errlen);
	PQclear(res);
	return ok ? 0 : -1;
}

void
pg_describe(PGconn *c, char *buf, size_t len)
{
	const char *host = PQhost(c), *port = PQport(c), *db = PQdb(c);

	snprintf(buf, len, "%s:%s/%s", host != NULL ? host : "?",
	    port != NULL ? port : "?", db != NULL ? db : "?");
}

/* Push libpq's output buffer to the server; 0 or -1. */
static int
flush_all(PGconn *c, int stop_fd, int64_t deadline, char *err, size_t errlen)
{
	int rc;

	while ((rc = PQflush(c)) == 1) {
		if (wait_socket(PQsocket(c), POLLIN | POLLOUT, stop_fd, deadline,
		    err, errlen) != 0)
			return -1;
		/* The server may talk while we send: read it, or it stalls. */
		if (!PQconsumeInput(c)) {
			pg_error_text(c, NULL, err, errlen);
			return -1;
		}
	}
	if (rc < 0) {
		pg_error_text(c, NULL, err, errlen);
		return -1;
	}
	return 0;
}

/*
 * Collect the results of the request in flight: the first failed one, or
 * the last one, or a COPY IN result at once.  NULL with err on a broken
 * connection, a timeout or a stop.
 */
static PGresult *
collect_result(PGconn *c, int stop_fd, int64_t deadline, char *err,
    size_t errlen)
{
	PGresult *keep = NULL, *r;

	for (;;) {
		while (PQisBusy(c)) {
			if (wait_socket(PQsocket(c), POLLIN, stop_fd, deadline,
			    err, errlen) != 0 || !PQconsumeInput(c)) {
				if (PQstatus(c) == CONNECTION_BAD ||
				    err[0] == '\0')
					pg_error_text(c, NULL, err, errlen);
				PQclear(keep);
				return NULL;
			}
		}
		if ((r = PQgetResult(c)) == NULL)
			break;
		if (PQresultStatus(r) == PGRES_COPY_IN) {
			PQclear(keep);
			return r;
		}
		if (keep != NULL && PQresultStatus(keep) == PGRES_FATAL_ERROR)
			PQclear(r);
		else {
			PQclear(keep);
			keep = r;
		}
	}
	if (keep == NULL) {
		pg_error_text(c, NULL, err, errlen);
		return NULL;
	}
	return keep;
}

PGresult *
pg_query(PGconn *c, const char *sql, int nparams, const char *const *params,
    int stop_fd, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = mono_ms() + timeout_ms;
	PGresult *r;
	ExecStatusType s;

	err[0] = '\0';
	/* Without parameters, the simple protocol: one message, one trip. */
	if (PQsetnonblocking(c, 1) != 0 || !(nparams == 0 ?
	    PQsendQuery(c, sql) :
	    PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0))) {
		pg_error_text(c, NULL, err, errlen);
		return NULL;
	}
	if (flush_all(c, stop_fd, deadline, err, errlen) != 0 ||
	    (r = collect_result(c, stop_fd, deadline, err, errlen)) == NULL)
		return NULL;
	s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		pg_error_text(c, r, err, errlen);
		PQclear(r);
		return NULL;
	}
	return r;
}

int
pg_command(PGconn *c, const char *sql, int stop_fd, int timeout_ms, char *err,
    size_t errlen)
{
	PGresult *r = pg_query(c, sql, 0, NULL, stop_fd, timeout_ms, err,
	    errlen);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

int
pg_copy_in(PGconn *c, const char *sql, const void *data, size_t len,
    int stop_fd, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = mono_ms() + timeout_ms;
	const char *p = data;
	PGresult *r;
	int rc;

	err[0] = '\0';
	if (PQsetnonblocking(c, 1) != 0 || !PQsendQuery(c, sql)) {
		pg_error_text(c, NULL, err, errlen);
		return -1;
	}
	if (flush_all(c, stop_fd, deadline, err, errlen) != 0 ||
	    (r = collect_result(c, stop_fd, deadline, err, errlen)) == NULL)
		return -1;
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		pg_error_text(c, r, err, errlen);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	/* Chunks of 1 MiB; 0 means libpq's buffer is full: flush and retry. */
	while (len > 0) {
		size_t n = len < (1u << 20) ? len : (1u << 20);

		rc = PQputCopyData(c, p, (int)n);
		if (rc < 0) {
			pg_error_text(c, NULL, err, errlen);
			return -1;
		}
		if (rc == 1) {
			p += n;
			len -= n;
		}
		if (flush_all(c, stop_fd, deadline, err, errlen) != 0)
			return -1;
	}
	while ((rc = PQputCopyEnd(c, NULL)) == 0)
		if (flush_all(c, stop_fd, deadline, err, errlen) != 0)
			return -1;
	if (rc < 0 || flush_all(c, stop_fd, deadline, err, errlen) != 0) {
		if (err[0] == '\0')
			pg_error_text(c, NULL, err, errlen);
		return -1;
	}
	if ((r = collect_result(c, stop_fd, deadline, err, errlen)) == NULL)
		return -1;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_error_text(c, r, err, errlen);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}
