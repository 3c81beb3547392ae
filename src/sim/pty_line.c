/*
 * pty_line.c: a serial line for the simulator, out of a pseudo-terminal.
 *
 * posix_openpt() gives the master end; the slave end (/dev/pts/N) is what
 * the console opens, through a symbolic link at the configured serial path.
 * Three details make a pty behave like a port with devices on it:
 *
 * - The simulator keeps the slave open itself.  Otherwise every time the
 *   console closed the port the master would report POLLHUP (and EIO on
 *   read) until the next open, and the poll loop would have to spin.
 * - Raw mode (cfmakeraw) on the pair, so no byte of a binary frame is
 *   echoed, translated or taken as a control character.  The console's
 *   libmodbus sets its own raw termios on open and restores ours on close.
 * - A pty keeps what was written to it while nobody had the slave open and
 *   hands it to the next opener; a real port loses it.  An inotify watch on
 *   the slave counts the clients that have it open; when one closes it the
 *   loop flushes the slave's input queue (the unread rest of a frame), and
 *   while none has it open the loop throws replies away instead of writing
 *   them, so that each session starts on a quiet line, as it would after
 *   closing and reopening /dev/ttyUSB0.  A reply that comes due while a
 *   client has the port open is delivered, whoever that client is: which
 *   is how a late reply reaches the next session on a real bus too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core/util.h"
#include "sim/pty_line.h"

#define PTS_PREFIX "/dev/pts/"

static void
close_quietly(int *fd)
{
	int saved = errno;

	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	errno = saved;
}

static int
set_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) != 0)
		return -1;
	cfmakeraw(&t);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	return tcsetattr(fd, TCSANOW, &t);
}

int
pty_line_open(struct pty_line *pl)
{
	int flags;

	pl->slave = pl->watch = -1;
	pl->pts[0] = '\0';
	pl->link = NULL;
	pl->clients = 0;
	if ((pl->master = posix_openpt(O_RDWR | O_NOCTTY)) < 0)
		return -1;
	if ((flags = fcntl(pl->master, F_GETFL)) < 0 ||
	    fcntl(pl->master, F_SETFL, flags | O_NONBLOCK) != 0 ||
	    fcntl(pl->master, F_SETFD, FD_CLOEXEC) != 0 ||
	    grantpt(pl->master) != 0 || unlockpt(pl->master) != 0 ||
	    ptsname_r(pl->master, pl->pts, sizeof pl->pts) != 0)
		goto fail;
	pl->slave = open(pl->pts, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (pl->slave < 0 || set_raw(pl->slave) != 0)
		goto fail;
	/* Our own open is behind us: the watch sees only clients. */
	pl->watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (pl->watch < 0 || inotify_add_watch(pl->watch, pl->pts,
	    IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0)
		goto fail;
	return 0;
fail:
	close_quietly(&pl->watch);
	close_quietly(&pl->slave);
	close_quietly(&pl->master);
	return -1;
}

/* Whether path is a symbolic link into /dev/pts/, and so ours to replace. */
static int
is_pts_link(const char *path)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof target - 1);

	if (n < 0)
		return 0;
	target[n] = '\0';
	return strncmp(target, PTS_PREFIX, strlen(PTS_PREFIX)) == 0;
}

int
pty_line_link(struct pty_line *pl, const char *path)
{
	char tmp[PATH_MAX];
	struct stat st;

	if (pl->link != NULL)
		return 0;
	if (lstat(path, &st) == 0 && !(S_ISLNK(st.st_mode) &&
	    is_pts_link(path))) {
		errno = EEXIST;
		return -1;
	}
	/* Made under a temporary name and renamed: never seen half-made. */
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path,
	    (long)getpid()) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(tmp);
	if (symlink(pl->pts, tmp) != 0)
		return -1;
	if (rename(tmp, path) != 0) {
		int saved = errno;

		unlink(tmp);
		errno = saved;
		return -1;
	}
	pl->link = xstrdup(path);
	return 0;
}

void
pty_line_unlink(struct pty_line *pl)
{
	char target[PATH_MAX];
	ssize_t n;

	if (pl->link == NULL)
		return;
	n = readlink(pl->link, target, sizeof target - 1);
	if (n >= 0) {
		target[n] = '\0';
		if (strcmp(target, pl->pts) == 0)
			unlink(pl->link);
	}
	free(pl->link);
	pl->link = NULL;
}

int
pty_line_events(struct pty_line *pl)
{
	union {                     /* aligned as the events in it */
		struct inotify_event ev;
		char bytes[4096];
	} u;
	char *buf = u.bytes;
	int closed = 0;
	ssize_t n;

	while ((n = read(pl->watch, buf, sizeof u.bytes)) > 0) {
		for (char *p = buf; p < buf + n; ) {
			const struct inotify_event *ev = (const void *)p;

			if (ev->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) {
				closed = 1;
				if (pl->clients > 0)
					pl->clients--;
			} else if (ev->mask & IN_OPEN)
				pl->clients++;
			p += sizeof *ev + ev->len;
		}
	}
	return closed;
}

void
pty_line_discard(struct pty_line *pl, int drain_requests)
{
	char junk[512];

	tcflush(pl->slave, TCIFLUSH);
	if (drain_requests)
		while (read(pl->master, junk, sizeof junk) > 0)
			continue;
}

void
pty_line_close(struct pty_line *pl)
{
	pty_line_unlink(pl);
	close_quietly(&pl->watch);
	close_quietly(&pl->slave);
	close_quietly(&pl->master);
}
