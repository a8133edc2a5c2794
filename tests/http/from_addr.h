/*
 * Connections from a chosen local address: Linux routes all of 127/8 to
 * lo, so a test can play several clients (127.0.0.2 flooding, 127.0.0.1
 * being served) against one server, which sees each address apart.
 */
#ifndef KINSHIP_TEST_FROM_ADDR_H
#define KINSHIP_TEST_FROM_ADDR_H

#include <stdbool.h>

#include "harness.h"

/* A TCP connection from the IPv4 address `from` to the server. With
 * `wait`, a blocking connect whose failure fails the test; without it, a
 * non-blocking socket whose connect may still be in progress (-1 when no
 * socket could be made), as a flood opens them. */
int raw_connect_from(struct server *s, const char *from, bool wait);

#endif
