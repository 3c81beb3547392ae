/* pgcut: a TCP proxy for PostgreSQL that cuts a connection right after the
 * client's COMMIT has reached the server.
 *
 * The uploader's hardest failure is "the server committed, but the answer
 * was lost": the client cannot tell whether its batch is in, so it must
 * retry without duplicating anything.  A test starts a real cluster
 * (tests/pg_lib.sh), puts pgcut between the uploader and the server and
 * checks that every row arrives exactly once:
 *
 *   pgcut --listen 127.0.0.1:LPORT --to 127.0.0.1:PORT [--cut N]
 *         [--ready-file F] [--log F]
 *
 * Every client connection gets its own connection to the target; bytes are
 * relayed both ways.  The client's stream is parsed (startup packets, then
 * typed messages): once a simple query ('Q') whose text starts with COMMIT
 * or END has been written completely to the server, and fewer than N cuts
 * happened so far (default 1, 0 never cuts), both sockets of the pair are
 * closed at once, nothing more being forwarded either way.  The server
 * still runs the COMMIT; the client only sees the connection break.  Each
 * cut appends "cut after COMMIT <count>" to the --log file.  SSLRequest and
 * GSSENCRequest are answered 'N' by pgcut itself, as a server without
 * encryption would, so that libpq's default sslmode=prefer works.
 *
 * --ready-file is written once the listening socket is bound (it holds the
 * port, useful with port 0).  SIGTERM and SIGINT end pgcut with status 0;
 * bad arguments end it with status 2.  Single-threaded: one ppoll loop over
 * non-blocking sockets, a bounded buffer per direction.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#define BUF_SIZE (64 * 1024)
#define MAX_STARTUP_LEN 10000 /* the server's own limit for startup packets */

#define CODE_CANCEL 80877102u
#define CODE_SSL 80877103u
#define CODE_GSSENC 80877104u

enum phase {
    PH_STARTUP, /* untyped packets: int32 length, int32 code */
    PH_NORMAL,  /* typed messages: 1 byte type, int32 length */
    PH_RAW      /* unparsable: relay blindly, never cut */
};

/* Bytes flow in at len and out at off.  For the client's stream, only the
 * bytes up to parsed may be written: the parser stops right after a COMMIT,
 * so that the cut happens exactly when that message has been sent. */
struct buf {
    unsigned char data[BUF_SIZE];
    size_t off, parsed, len;
};

struct pair {
    int cfd, sfd;
    int connecting;    /* non-blocking connect to the target under way */
    int c_eof, s_eof;  /* read side saw EOF */
    int s_shut, c_shut; /* we sent our FIN to the server / client */
    int dead;
    struct buf c2s, s2c;
    /* frontend parser */
    enum phase phase;
    uint32_t remaining;  /* bytes left in the current message's body */
    int last_startup;    /* the current startup packet ends the phase */
    int in_q;            /* the current message is a simple query */
    int q_started;       /* its leading whitespace is behind us */
    char kw[8];          /* its first bytes after that, upper-cased */
    size_t kwlen;
    int cut_pending;     /* parsed ends right after a COMMIT */
};

static struct pair **pairs;
static size_t npairs, cappairs;
static long cut_limit = 1;
static long cuts;
static FILE *log_fp;
static volatile sig_atomic_t stop_flag;

static void die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void die(int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("pgcut: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(status);
}

static void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void warnmsg(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("pgcut: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(FILE *f)
{
    fputs("usage: pgcut --listen HOST:PORT --to HOST:PORT [--cut N]\n"
          "             [--ready-file FILE] [--log FILE]\n", f);
}

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* HOST:PORT (or [HOST]:PORT) into a socket address. */
static void resolve(const char *what, const char *spec, struct sockaddr_storage *sa,
                    socklen_t *salen, int passive)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    const char *h = spec;
    size_t hlen;
    struct addrinfo hints, *res;
    int rc;

    if (!colon || colon == spec || colon[1] == '\0')
        die(2, "%s: expected HOST:PORT, got \"%s\"", what, spec);
    hlen = (size_t)(colon - spec);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= sizeof host)
        die(2, "%s: bad host in \"%s\"", what, spec);
    memcpy(host, h, hlen);
    host[hlen] = '\0';

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0)
        die(2, "%s: cannot resolve \"%s\": %s", what, spec, gai_strerror(rc));
    if (res->ai_addrlen > sizeof *sa)
        die(2, "%s: address too long", what);
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *salen = res->ai_addrlen;
    freeaddrinfo(res);
}

/* Small messages must not wait for Nagle: the tests time things. */
static void set_nodelay(int fd)
{
    int one = 1;

    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

/* Keep room at the end of a buffer by moving what is left to the front. */
static void compact(struct buf *b)
{
    if (b->off == 0)
        return;
    if (b->off < b->len)
        memmove(b->data, b->data + b->off, b->len - b->off);
    b->len -= b->off;
    b->parsed -= b->off;
    b->off = 0;
}

static int is_ident(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Does the query text seen so far start with the keyword kw, as a word? */
static int kw_is(const struct pair *p, const char *kw)
{
    size_t n = strlen(kw);

    if (p->kwlen < n || memcmp(p->kw, kw, n) != 0)
        return 0;
    /* The body ends with its NUL, so a whole keyword is followed by a byte. */
    return p->kwlen > n && !is_ident(p->kw[n]);
}

static void q_feed(struct pair *p, const unsigned char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n && p->kwlen < sizeof p->kw - 1; i++) {
        if (!p->q_started) {
            if (s[i] != '\0' && isspace(s[i]))
                continue;
            p->q_started = 1;
        }
        p->kw[p->kwlen++] = (char)toupper(s[i]);
    }
}

static void end_message(struct pair *p)
{
    if (p->phase == PH_STARTUP && p->last_startup)
        p->phase = PH_NORMAL;
    if (p->in_q && (kw_is(p, "COMMIT") || kw_is(p, "END")) && cuts < cut_limit)
        p->cut_pending = 1;
    p->in_q = 0;
}

/* Queue bytes for the client that did not come from the server. */
static int inject_to_client(struct pair *p, const void *s, size_t n)
{
    compact(&p->s2c);
    if (BUF_SIZE - p->s2c.len < n)
        return -1;
    memcpy(p->s2c.data + p->s2c.len, s, n);
    p->s2c.len += n;
    p->s2c.parsed = p->s2c.len;
    return 0;
}

/* Advance c2s.parsed over the client's bytes; stop after a COMMIT. */
static void parse(struct pair *p)
{
    struct buf *b = &p->c2s;

    while (!p->cut_pending && !p->dead && b->parsed < b->len) {
        size_t avail = b->len - b->parsed;
        unsigned char *at = b->data + b->parsed;

        if (p->phase == PH_RAW) {
            b->parsed = b->len;
            break;
        }
        if (p->remaining > 0) {
            size_t n = avail < p->remaining ? avail : p->remaining;

            if (p->in_q)
                q_feed(p, at, n);
            b->parsed += n;
            p->remaining -= (uint32_t)n;
            if (p->remaining == 0)
                end_message(p);
            continue;
        }
        if (p->phase == PH_STARTUP) {
            uint32_t len, code;

            if (avail < 8)
                break; /* held back until the header is whole */
            len = be32(at);
            code = be32(at + 4);
            if (len < 8 || len > MAX_STARTUP_LEN) {
                p->phase = PH_RAW;
                continue;
            }
            if ((code == CODE_SSL || code == CODE_GSSENC) && len == 8) {
                /* Not forwarded: answered here, and the bytes dropped. */
                memmove(at, at + 8, avail - 8);
                b->len -= 8;
                if (inject_to_client(p, "N", 1) < 0)
                    p->dead = 1;
                continue;
            }
            /* StartupMessage: typed messages follow.  CancelRequest: the
             * server closes after it; nothing else is expected. */
            p->last_startup = (code >> 16) == 3;
            if (code != CODE_CANCEL && !p->last_startup) {
                p->phase = PH_RAW;
                continue;
            }
            b->parsed += 8;
            p->remaining = len - 8;
            p->in_q = 0;
            if (p->remaining == 0)
                end_message(p);
            continue;
        }
        /* PH_NORMAL */
        {
            uint32_t len;

            if (avail < 5)
                break;
            len = be32(at + 1);
            if (len < 4) {
                p->phase = PH_RAW;
                continue;
            }
            p->in_q = at[0] == 'Q';
            p->q_started = 0;
            p->kwlen = 0;
            b->parsed += 5;
            p->remaining = len - 4;
            if (p->remaining == 0)
                end_message(p);
        }
    }
    /* The client is gone: whatever was held back will never be whole. */
    if (p->c_eof && !p->cut_pending && b->parsed < b->len) {
        p->phase = PH_RAW;
        b->parsed = b->len;
    }
}

static void close_pair(struct pair *p)
{
    if (p->cfd >= 0)
        close(p->cfd);
    if (p->sfd >= 0)
        close(p->sfd);
    p->cfd = p->sfd = -1;
    p->dead = 1;
}

/* The COMMIT is with the server: drop the pair, forwarding nothing more.
 * Whatever the server already sent is read and thrown away first, so that
 * its side sees a plain FIN rather than a reset. */
static void cut(struct pair *p)
{
    unsigned char junk[4096];
    int i;

    for (i = 0; i < 64; i++)
        if (recv(p->sfd, junk, sizeof junk, MSG_DONTWAIT) <= 0)
            break;
    close_pair(p);
    cuts++;
    if (log_fp) {
        fprintf(log_fp, "cut after COMMIT %ld\n", cuts);
        fflush(log_fp);
    }
}

/* Write what may go from b to fd; -1 on a broken connection. */
static int flush_buf(int fd, struct buf *b)
{
    while (b->off < b->parsed) {
        ssize_t n = send(fd, b->data + b->off, b->parsed - b->off, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        b->off += (size_t)n;
    }
    /* Keep the free space at the end, where reads go: poll asks for input
     * only while len < BUF_SIZE. */
    compact(b);
    return 0;
}

/* Read what fits into b; -1 on error, sets *eof on EOF. */
static int fill_buf(int fd, struct buf *b, int *eof)
{
    compact(b);
    while (b->len < BUF_SIZE) {
        ssize_t n = recv(fd, b->data + b->len, BUF_SIZE - b->len, 0);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        if (n == 0) {
            *eof = 1;
            return 0;
        }
        b->len += (size_t)n;
    }
    return 0;
}

/* Move everything that can move now, cut when due, half-close on EOF. */
static void pump(struct pair *p)
{
    if (p->dead || p->connecting)
        return;
    for (;;) {
        parse(p);
        if (p->dead) {
            close_pair(p);
            return;
        }
        if (flush_buf(p->sfd, &p->c2s) < 0) {
            close_pair(p);
            return;
        }
        if (!p->cut_pending || p->c2s.off != p->c2s.parsed)
            break;
        /* The whole COMMIT is written. */
        if (cuts < cut_limit) {
            cut(p);
            return;
        }
        p->cut_pending = 0; /* another pair used the last cut meanwhile */
    }
    p->s2c.parsed = p->s2c.len; /* nothing to parse that way */
    if (flush_buf(p->cfd, &p->s2c) < 0) {
        close_pair(p);
        return;
    }
    if (p->c_eof && !p->s_shut && p->c2s.len == 0) {
        shutdown(p->sfd, SHUT_WR);
        p->s_shut = 1;
    }
    if (p->s_eof && !p->c_shut && p->s2c.len == 0) {
        shutdown(p->cfd, SHUT_WR);
        p->c_shut = 1;
    }
    if (p->s_shut && p->c_shut)
        close_pair(p);
}

static void add_pair(int cfd, const struct sockaddr_storage *to, socklen_t tolen)
{
    struct pair *p;
    int sfd;

    sfd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (sfd < 0) {
        warnmsg("socket: %s", strerror(errno));
        close(cfd);
        return;
    }
    set_nodelay(sfd);
    set_nodelay(cfd);
    p = calloc(1, sizeof *p);
    if (!p) {
        close(sfd);
        close(cfd);
        return;
    }
    p->cfd = cfd;
    p->sfd = sfd;
    p->phase = PH_STARTUP;
    if (connect(sfd, (const struct sockaddr *)to, tolen) < 0) {
        if (errno != EINPROGRESS) {
            warnmsg("connect to target: %s", strerror(errno));
            close_pair(p);
            free(p);
            return;
        }
        p->connecting = 1;
    }
    if (npairs == cappairs) {
        size_t ncap = cappairs ? 2 * cappairs : 16;
        struct pair **np = realloc(pairs, ncap * sizeof *np);

        if (!np) {
            close_pair(p);
            free(p);
            return;
        }
        pairs = np;
        cappairs = ncap;
    }
    pairs[npairs++] = p;
}

static void connect_done(struct pair *p)
{
    int err = 0;
    socklen_t len = sizeof err;

    if (getsockopt(p->sfd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err != 0) {
        warnmsg("connect to target: %s", strerror(err));
        close_pair(p);
        return;
    }
    p->connecting = 0;
}

static void write_ready_file(const char *path, int lfd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    char tmp[PATH_MAX];
    unsigned port = 0;
    FILE *f;

    if (getsockname(lfd, (struct sockaddr *)&sa, &len) == 0) {
        if (sa.ss_family == AF_INET)
            port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
        else if (sa.ss_family == AF_INET6)
            port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    }
    /* Written aside and renamed: whoever sees the file sees it whole. */
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        die(2, "--ready-file: path too long");
    f = fopen(tmp, "w");
    if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0)
        die(1, "cannot write %s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
    const char *listen_spec = NULL, *to_spec = NULL;
    const char *ready_file = NULL, *log_file = NULL;
    struct sockaddr_storage lsa, tsa;
    socklen_t lsalen, tsalen;
    struct sigaction sa;
    sigset_t block, orig;
    struct pollfd *pfds = NULL;
    size_t pfcap = 0;
    int lfd, one = 1, i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            usage(stderr);
            die(2, "%s: missing value or unknown option", a);
        }
        if (strcmp(a, "--listen") == 0) {
            listen_spec = argv[++i];
        } else if (strcmp(a, "--to") == 0) {
            to_spec = argv[++i];
        } else if (strcmp(a, "--ready-file") == 0) {
            ready_file = argv[++i];
        } else if (strcmp(a, "--log") == 0) {
            log_file = argv[++i];
        } else if (strcmp(a, "--cut") == 0) {
            char *end;

            errno = 0;
            cut_limit = strtol(argv[++i], &end, 10);
            if (errno || end == argv[i] || *end || cut_limit < 0)
                die(2, "--cut: expected a count >= 0, got \"%s\"", argv[i]);
        } else {
            usage(stderr);
            die(2, "unknown option \"%s\"", a);
        }
    }
    if (!listen_spec || !to_spec) {
        usage(stderr);
        die(2, "--listen and --to are required");
    }
    resolve("--listen", listen_spec, &lsa, &lsalen, 1);
    resolve("--to", to_spec, &tsa, &tsalen, 0);
    if (log_file) {
        log_fp = fopen(log_file, "a");
        if (!log_fp)
            die(2, "--log: cannot open %s: %s", log_file, strerror(errno));
    }

    /* The signals stay blocked but inside ppoll, so that none is lost
     * between the check of stop_flag and the wait. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &orig);
    sigdelset(&orig, SIGTERM);
    sigdelset(&orig, SIGINT);

    lfd = socket(lsa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        die(1, "socket: %s", strerror(errno));
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&lsa, lsalen) < 0)
        die(1, "cannot bind %s: %s", listen_spec, strerror(errno));
    if (listen(lfd, 64) < 0)
        die(1, "listen: %s", strerror(errno));
    if (ready_file)
        write_ready_file(ready_file, lfd);

    while (!stop_flag) {
        size_t n = 0, k, want = 1 + 2 * npairs;

        if (want > pfcap) {
            struct pollfd *np = realloc(pfds, want * sizeof *np);

            if (!np)
                die(1, "out of memory");
            pfds = np;
            pfcap = want;
        }
        pfds[n].fd = lfd;
        pfds[n].events = POLLIN;
        n++;
        for (k = 0; k < npairs; k++) {
            struct pair *p = pairs[k];
            short ce = 0, se = 0;

            if (p->connecting) {
                se = POLLOUT;
            } else {
                if (!p->c_eof && p->c2s.len < BUF_SIZE)
                    ce |= POLLIN;
                if (p->s2c.off < p->s2c.len)
                    ce |= POLLOUT;
                if (!p->s_eof && p->s2c.len < BUF_SIZE)
                    se |= POLLIN;
                if (p->c2s.off < p->c2s.parsed)
                    se |= POLLOUT;
            }
            /* A side with nothing to do is left out (fd -1): POLLHUP,
             * which poll reports even unasked, would spin the loop. */
            pfds[n].fd = ce ? p->cfd : -1;
            pfds[n].events = ce;
            pfds[n].revents = 0;
            n++;
            pfds[n].fd = se ? p->sfd : -1;
            pfds[n].events = se;
            pfds[n].revents = 0;
            n++;
        }
        if (ppoll(pfds, n, NULL, &orig) < 0) {
            if (errno == EINTR)
                continue;
            die(1, "ppoll: %s", strerror(errno));
        }

        for (k = 0; k < npairs; k++) {
            struct pair *p = pairs[k];
            short cr = pfds[1 + 2 * k].revents, sr = pfds[2 + 2 * k].revents;

            if (p->connecting) {
                if (sr)
                    connect_done(p);
                if (p->dead || p->connecting)
                    continue;
            }
            if ((cr & (POLLIN | POLLHUP | POLLERR)) && !p->c_eof &&
                fill_buf(p->cfd, &p->c2s, &p->c_eof) < 0) {
                close_pair(p);
                continue;
            }
            if ((sr & (POLLIN | POLLHUP | POLLERR)) && !p->s_eof &&
                fill_buf(p->sfd, &p->s2c, &p->s_eof) < 0) {
                close_pair(p);
                continue;
            }
            if ((cr | sr) & POLLNVAL) {
                close_pair(p);
                continue;
            }
            pump(p);
        }
        /* Pairs accepted now are polled from the next round on. */
        if (pfds[0].revents & POLLIN) {
            for (;;) {
                int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

                if (cfd < 0) {
                    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                        errno != ECONNABORTED)
                        warnmsg("accept: %s", strerror(errno));
                    break;
                }
                add_pair(cfd, &tsa, tsalen);
            }
        }
        for (k = 0; k < npairs;) {
            if (pairs[k]->dead) {
                free(pairs[k]);
                pairs[k] = pairs[--npairs];
            } else {
                k++;
            }
        }
    }
    for (size_t k = 0; k < npairs; k++) {
        close_pair(pairs[k]);
        free(pairs[k]);
    }
    free(pairs);
    free(pfds);
    close(lfd);
    if (log_fp)
        fclose(log_fp);
    return 0;
}
