/*
 * overrides.c - see overrides.h.
 */
#include "overrides.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "identity.h"
#include "json.h"
#include "lists.h"
#include "util.h"
#include "vigil.h"

const char *const ovr_action_names[] = { "allow", "deny", "block", "suppress" };

const char *policy_state_path(const struct config *cfg, const char *file, char *buf, size_t cap)
{
	const char *dir = cfg->control_state_dir && *cfg->control_state_dir ? cfg->control_state_dir
									  : ".";
	int n;
	if (dir[0] == '/')
		n = snprintf(buf, cap, "%s/%s", dir, file);
	else
		n = snprintf(buf, cap, "%s/%s/%s", cfg->log_dir ? cfg->log_dir : ".", dir, file);
	if (n < 0 || (size_t)n >= cap)
		*buf = '\0';
	return buf;
}

bool ovr_target_is_addr(const char *t)
{
	char a[64];
	uint8_t b[16];
	str_lcpy(a, t, sizeof(a));
	char *slash = strchr(a, '/');
	if (slash)
		*slash = '\0';
	return inet_pton(AF_INET, a, b) == 1 || inet_pton(AF_INET6, a, b) == 1;
}

bool ovr_same(const struct ovr *a, const struct ovr *b)
{
	if (a->action != b->action || strcmp(a->vm, b->vm))
		return false;
	if (a->action == OVR_SUPPRESS)
		return a->gid == b->gid && a->sid == b->sid;
	return !strcmp(a->target, b->target);
}

/* A block target: a domain name (letters, digits, '-', '_', '.'; a
 * leading "*." is allowed and means the same, lists match subdomains) or
 * an address or network. */
static int check_block(const char *t, struct verr *e)
{
	if (ovr_target_is_addr(t)) {
		char a[64];
		uint8_t b[16];
		str_lcpy(a, t, sizeof(a));
		char *slash = strchr(a, '/');
		if (slash) {
			*slash = '\0';
			char *end;
			unsigned long pl = strtoul(slash + 1, &end, 10);
			if (!slash[1] || *end || pl > (strchr(a, ':') ? 128u : 32u))
				return verr_set(e, V_EINVAL, "\"%s\": bad prefix length", t);
		}
		bool v6 = strchr(a, ':') != NULL;
		inet_pton(v6 ? AF_INET6 : AF_INET, a, b);
		if (addr_is_reserved(v6 ? 6 : 4, b))
			return verr_set(e, V_EINVAL,
					"\"%s\" is private or reserved space: block it for a VM (deny) "
					"instead",
					t);
		return 0;
	}
	const char *n = t[0] == '*' && t[1] == '.' ? t + 2 : t;
	size_t len = strlen(n);
	if (!len || len > 253 || !strchr(n, '.'))
		return verr_set(e, V_EINVAL, "\"%s\" is not a domain name or address", t);
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		      (n[i] >= '0' && n[i] <= '9') || n[i] == '-' || n[i] == '_' || n[i] == '.'))
			return verr_set(e, V_EINVAL, "\"%s\" is not a domain name or address", t);
	return 0;
}

static int check_name(const char *vm, struct verr *e)
{
	size_t len = strlen(vm);
	if (len > 64)
		return verr_set(e, V_EINVAL, "a VM name has at most 64 characters");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)vm[i] < 0x20 || vm[i] == '"' || vm[i] == '\\')
			return verr_set(e, V_EINVAL, "bad VM name");
	return 0;
}

int overrides_add(struct overrides *o, const struct ovr *x, struct verr *e)
{
	if (x->action > OVR_SUPPRESS)
		return verr_set(e, V_EINVAL, "unknown action");
	if (check_name(x->vm, e) < 0)
		return V_EINVAL;
	switch (x->action) {
	case OVR_ALLOW:
	case OVR_DENY:
		if (!*x->vm)
			return verr_set(e, V_EINVAL, "%s needs a VM", ovr_action_names[x->action]);
		if (vm_rule_check(x->target, e) < 0)
			return V_EINVAL;
		break;
	case OVR_BLOCK:
		if (check_block(x->target, e) < 0)
			return V_EINVAL;
		break;
	case OVR_SUPPRESS:
		if (!x->sid)
			return verr_set(e, V_EINVAL, "suppress needs a signature id");
		break;
	}
	for (uint32_t i = 0; i < o->n; i++)
		if (ovr_same(&o->v[i], x))
			return 1;
	if (o->n >= OVR_MAX)
		return verr_set(e, V_EINVAL, "more than %d overrides", OVR_MAX);
	if (o->n == o->cap) {
		uint32_t nc = o->cap ? o->cap * 2 : 16;
		struct ovr *nv = v_realloc(o->v, nc * sizeof(*nv));
		if (!nv)
			return verr_set(e, V_ENOMEM, "out of memory");
		o->v = nv;
		o->cap = nc;
	}
	o->v[o->n++] = *x;
	return 0;
}

int overrides_remove(struct overrides *o, const struct ovr *x)
{
	for (uint32_t i = 0; i < o->n; i++)
		if (ovr_same(&o->v[i], x)) {
			memmove(&o->v[i], &o->v[i + 1], (o->n - i - 1) * sizeof(*o->v));
			o->n--;
			return 0;
		}
	return 1;
}

void overrides_fini(struct overrides *o)
{
	v_free(o->v);
	memset(o, 0, sizeof(*o));
}

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int overrides_read(const char *path, struct overrides *o, struct verr *e)
{
	o->n = 0;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return verr_set(e, V_EFORMAT, "%s:%d: %s", path, je.line, je.text);
	int rc = 0;
	json_t *entries = json_object_get(root, "entries");
	if (!json_is_object(root) || !json_is_array(entries)) {
		rc = verr_set(e, V_EFORMAT, "%s: want {\"version\": 1, \"entries\": [...]}", path);
		goto out;
	}
	size_t i;
	json_t *it;
	json_array_foreach(entries, i, it) {
		struct ovr x = { 0 };
		const char *act = jstr(it, "action"), *vm = jstr(it, "vm"), *t = jstr(it, "target");
		const char *by = jstr(it, "by"), *tm = jstr(it, "time");
		unsigned a = 0;
		while (act && a <= OVR_SUPPRESS && strcmp(act, ovr_action_names[a]))
			a++;
		if (!act || a > OVR_SUPPRESS) {
			rc = verr_set(e, V_EFORMAT, "%s: entry %zu: unknown action", path, i + 1);
			goto out;
		}
		x.action = (uint8_t)a;
		if ((vm && strlen(vm) >= sizeof(x.vm)) || (t && strlen(t) >= sizeof(x.target))) {
			rc = verr_set(e, V_EFORMAT, "%s: entry %zu: too long", path, i + 1);
			goto out;
		}
		str_lcpy(x.vm, vm ? vm : "", sizeof(x.vm));
		str_lcpy(x.target, t ? t : "", sizeof(x.target));
		str_lcpy(x.by, by ? by : "", sizeof(x.by));
		str_lcpy(x.time, tm ? tm : "", sizeof(x.time));
		json_t *g = json_object_get(it, "gid"), *s = json_object_get(it, "sid");
		if (json_is_integer(g) && json_integer_value(g) > 0 && json_integer_value(g) <= UINT32_MAX)
			x.gid = (uint32_t)json_integer_value(g);
		if (json_is_integer(s) && json_integer_value(s) > 0 && json_integer_value(s) <= UINT32_MAX)
			x.sid = (uint32_t)json_integer_value(s);
		if (x.action == OVR_SUPPRESS && !x.gid)
			x.gid = 1;
		struct verr ee = { "" };
		if (overrides_add(o, &x, &ee) < 0) {
			rc = verr_set(e, V_EFORMAT, "%s: entry %zu: %s", path, i + 1, ee.msg);
			goto out;
		}
	}
out:
	json_decref(root);
	return rc;
}

/* path written whole (util.h's file_write_atomic), mode 0640 */
static int write_atomic(const char *path, const char *data, size_t len, struct verr *e)
{
	if (file_write_atomic(path, data, len, 0640) < 0)
		return verr_set(e, V_EIO, "%s: %s", path, strerror(errno));
	return 0;
}

static int write_blocks(const char *path, const struct overrides *o, bool addr, struct verr *e)
{
	struct jbuf b = { 0 };
	static const char head[] = "# written by vigil from the control socket's \"block\" "
				   "entries (overrides.json); do not edit\n";
	jb_append(&b, head, sizeof(head) - 1);
	for (uint32_t i = 0; i < o->n; i++) {
		const struct ovr *x = &o->v[i];
		if (x->action != OVR_BLOCK || ovr_target_is_addr(x->target) != addr)
			continue;
		const char *t = x->target[0] == '*' && x->target[1] == '.' ? x->target + 2 : x->target;
		jb_append(&b, t, strlen(t));
		jb_append(&b, "\n", 1);
	}
	int rc = b.oom ? verr_set(e, V_ENOMEM, "out of memory") : write_atomic(path, b.buf, b.len, e);
	jb_fini(&b);
	return rc;
}

void ovr_json_subject(struct jbuf *jb, const struct ovr *x)
{
	if (*x->vm)
		jb_str(jb, "vm", x->vm);
	if (x->action == OVR_SUPPRESS) {
		jb_u64(jb, "gid", x->gid);
		jb_u64(jb, "sid", x->sid);
	} else {
		jb_str(jb, "target", x->target);
	}
}

void ovr_json(struct jbuf *jb, const struct ovr *x, const char *key)
{
	jb_open_object(jb, key);
	jb_str(jb, "action", ovr_action_names[x->action]);
	ovr_json_subject(jb, x);
	if (*x->by)
		jb_str(jb, "by", x->by);
	if (*x->time)
		jb_str(jb, "time", x->time);
	jb_close(jb);
}

int overrides_write(const char *path, const struct overrides *o, const char *blocks_ip,
		    const char *blocks_dom, struct verr *e)
{
	struct jbuf b = { 0 };
	jb_open_object(&b, NULL);
	jb_u64(&b, "version", 1);
	jb_open_array(&b, "entries");
	for (uint32_t i = 0; i < o->n; i++) {
		const struct ovr *x = &o->v[i];
		jb_append(&b, i ? ",\n  " : "\n  ", i ? 4 : 3);
		/* the writer places commas; the line breaks above keep the file
		 * readable one entry a line */
		b.need_comma[b.depth] = false;
		ovr_json(&b, x, NULL);
	}
	jb_close(&b);
	jb_close(&b);
	jb_append(&b, "\n", 1);
	int rc = b.oom ? verr_set(e, V_ENOMEM, "out of memory") : write_atomic(path, b.buf, b.len, e);
	jb_fini(&b);
	if (rc == 0 && blocks_ip)
		rc = write_blocks(blocks_ip, o, true, e);
	if (rc == 0 && blocks_dom)
		rc = write_blocks(blocks_dom, o, false, e);
	return rc;
}
