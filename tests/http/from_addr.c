/* Connections from a chosen local address (from_addr.h). */
#include "from_addr.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int raw_connect_from(struct server *s, const char *from, bool wait)
{
    int fd = socket(AF_INET, SOCK_STREAM | (wait ? 0 : SOCK_NONBLOCK), 0);
    cr_assert(wait ? fd >= 0 : true, "socket: %s", strerror(errno));
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET};
    cr_assert_eq(inet_pton(AF_INET, from, &a.sin_addr), 1, "an IPv4 address: %s", from);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind %s: %s", from,
                 strerror(errno));
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0 || (!wait && errno == EINPROGRESS))
        return fd;
    cr_assert(!wait, "connect from %s: %s", from, strerror(errno));
    close(fd);
    return -1;
}
