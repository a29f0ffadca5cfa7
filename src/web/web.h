/*
 * web.h - `vigil web`: the dashboard.  A separate, unprivileged process
 * that follows eve.json into the event store (store.h) and serves the
 * dashboard and its JSON API (api.h) on 127.0.0.1:8081.  Every request
 * carries the access token (a cookie set by /login?token=..., or an
 * "Authorization: Bearer" header); the Host header must name the address
 * it listens on (no DNS rebinding); changes go as JSON with the token, and
 * policy actions (allow, block, suppress) go through the sensor's control
 * socket, never to the packet path directly.
 */
#ifndef VIGIL_WEB_H
#define VIGIL_WEB_H

#include <stdbool.h>
#include <stdint.h>

#include "vigil.h"

struct web_cfg {
	const char *listen;       /* address */
	unsigned port;
	const char *token;        /* the access token */
	const char *db;           /* the store */
	const char *eve;          /* followed into the store; NULL: none */
	const char *ctl_socket;   /* the sensor's control socket */
	uint64_t max_age, max_bytes;
	unsigned batch;
	const char *const *rule_files; /* the sensor's rule files (an alert's rule text) */
	unsigned nrule_files;
};

struct web;

/* Binds and starts serving (and following, if eve is set); NULL with e
 * set (the port is taken, ...). */
struct web *web_start(const struct web_cfg *c, struct verr *e);
/* The port bound (web_cfg.port 0 picks one). */
unsigned web_port(const struct web *w);
void web_stop(struct web *w);

/* The embedded front end (assets.c, made at build time). */
struct web_asset {
	const char *path, *type;
	const unsigned char *data;
	unsigned len;
};
extern const struct web_asset web_assets[];
extern const unsigned web_nassets;

#endif
