/*
 * pgconn.h: one libpq connection to the historian, opened so that it can be
 * abandoned at any moment.
 *
 * The conninfo comes from app.json and never holds a password (config.c
 * refuses one).  The password comes from historian.password_file (a file of
 * mode 0600 holding only the password), or from libpq's own PGPASSWORD and
 * PGPASSFILE; never from the command line.  pg_connect waits with poll() so
 * that a stop request (stop_fd readable) or the deadline ends the attempt at
 * once, whatever the network does.
 */
#ifndef JOPE_PGCONN_H
#define JOPE_PGCONN_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct pg_params {
	const char *conninfo;           /* libpq conninfo or URI */
	const char *password_file;      /* "" or NULL: none */
	const char *application_name;   /* shown in pg_stat_activity */
	int timeout_ms;                 /* connect deadline */
};

/*
 * Read a password file: refused (-1, message in err) when it is not a
 * regular file, is readable or writable by group or others, is empty or
 * longer than len - 1.  One trailing newline is dropped.
 */
int pg_read_password_file(const char *path, char *buf, size_t len, char *err,
    size_t errlen);

/*
 * Connect.  Returns the connection, or NULL with a one-line message in err
 * (libpq's, with the password never in it).  stop_fd < 0: no stop fd.
 */
PGconn *pg_connect(const struct pg_params *p, int stop_fd, char *err,
    size_t errlen);

/* libpq's message of the last failure on c (or of res when not NULL), on one line. */
void pg_error_text(PGconn *c, const PGresult *res, char *err, size_t errlen);

/* Run one command that returns no rows; 0, or -1 with the message in err. */
int pg_exec(PGconn *c, const char *sql, char *err, size_t errlen);

/*
 * The uploader's requests: each bounded by timeout_ms and abandoned at once
 * when stop_fd becomes readable (-1: none), so that a hung server or network
 * can never hold the console.  pg_query returns the result of a command or
 * query (PQclear it), or NULL with err; params are text, NULL for SQL NULL.
 */
PGresult *pg_query(PGconn *c, const char *sql, int nparams,
    const char *const *params, int stop_fd, int timeout_ms, char *err,
    size_t errlen);
int pg_command(PGconn *c, const char *sql, int stop_fd, int timeout_ms,
    char *err, size_t errlen);
/* COPY ... FROM STDIN of len bytes of data; 0, or -1 with err. */
int pg_copy_in(PGconn *c, const char *sql, const void *data, size_t len,
    int stop_fd, int timeout_ms, char *err, size_t errlen);

/* "host:port/dbname" of a connection, for status lines. */
void pg_describe(PGconn *c, char *buf, size_t len);

#endif
