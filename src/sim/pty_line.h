/*
 * pty_line.h: a simulated serial line, made of a pseudo-terminal pair.
 *
 * The simulator is the slaves' side of the bus: it reads requests from the
 * master end and writes replies there.  The console opens the slave end as
 * if it were /dev/ttyUSB0, through a symbolic link at the path the
 * connector's "serial" names.  Nothing here prints; errors are -1 and errno.
 */
#ifndef JOPE_SIM_PTY_LINE_H
#define JOPE_SIM_PTY_LINE_H

#define PTY_NAME_MAX 64

struct pty_line {
	int master;                 /* requests in, replies out; non-blocking */
	int slave;                  /* held open: the line never hangs up */
	int watch;                  /* inotify on the slave: opens, closes */
	char pts[PTY_NAME_MAX];     /* /dev/pts/N */
	char *link;                 /* the symlink made, NULL when none */
	int clients;                /* clients that have the slave open */
};

/* Open a pair in raw mode; the fields are all -1 / empty on failure. */
int pty_line_open(struct pty_line *pl);

/*
 * Make path a symbolic link to the slave.  A path that exists is replaced
 * only if it is itself a symbolic link into /dev/pts/ (left behind by an
 * earlier run); anything else is refused with EEXIST.
 */
int pty_line_link(struct pty_line *pl, const char *path);

/* Remove the link, if it still points to this line. */
void pty_line_unlink(struct pty_line *pl);

/*
 * Read the pending open and close notifications of the slave and count the
 * clients that have it open (pl->clients).  1 when some client closed it
 * since the last call, 0 when none did.
 */
int pty_line_events(struct pty_line *pl);

/*
 * A client went away: what the simulator wrote and nobody read is lost,
 * as on a real port that was closed.  With drain_requests, so are the
 * requests the client wrote and the simulator has not read yet.
 */
void pty_line_discard(struct pty_line *pl, int drain_requests);

void pty_line_close(struct pty_line *pl);

#endif
