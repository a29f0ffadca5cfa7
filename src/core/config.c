/*
 * config.c - see config.h.  The loader walks libyaml's event stream keeping
 * the path of mapping keys ("outputs.eve.filename"); a scalar under a path
 * is looked up in the table generated from config.def.  Mappings whose path
 * is not a prefix of any key are rejected at their key, so a misspelt
 * section name is reported where it is written, not silently ignored.
 */
#include "config.h"
#include "alloc.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

enum cfg_type { T_BOOL, T_UINT, T_SIZE, T_SECS, T_STR, T_ENUM, T_LIST, T_MAP };

struct cfg_key {
	const char *path;
	enum cfg_type type;
	const char *def;
	const char *help;
	size_t off;
};

static const struct cfg_key cfg_keys[] = {
#define X(field, path, type, def, help) { path, T_##type, def, help, offsetof(struct config, field) },
#include "config.def"
#undef X
};

static const struct cfg_key *cfg_find(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(cfg_keys); i++)
		if (!strcmp(cfg_keys[i].path, path))
			return &cfg_keys[i];
	return NULL;
}

/* The MAP key that path is an entry of ("vars.address-groups.HOME_NET"),
 * or NULL. */
static const struct cfg_key *cfg_find_map(const char *path, const char **name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cfg_keys); i++) {
		size_t n = strlen(cfg_keys[i].path);
		if (cfg_keys[i].type == T_MAP && !strncmp(cfg_keys[i].path, path, n) &&
		    path[n] == '.' && path[n + 1] && !strchr(path + n + 1, '.')) {
			*name = path + n + 1;
			return &cfg_keys[i];
		}
	}
	return NULL;
}

/* Is path a proper prefix (at a '.') of some key? */
static bool cfg_is_section(const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < ARRAY_SIZE(cfg_keys); i++)
		if (!strncmp(cfg_keys[i].path, path, n) &&
		    (cfg_keys[i].path[n] == '.' || (cfg_keys[i].type == T_MAP && !cfg_keys[i].path[n])))
			return true;
	return false;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "y" };
	static const char *const no[] = { "no", "false", "off", "0", "n" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Index of v among "a|b|c", or -1. */
static int enum_index(const char *choices, const char *v)
{
	int idx = 0;
	size_t vlen = strlen(v);
	for (const char *p = choices;; idx++) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == vlen && !strncasecmp(p, v, n))
			return idx;
		if (!bar)
			return -1;
		p = bar + 1;
	}
}

static void list_free(struct strlist *l)
{
	for (size_t i = 0; i < l->cnt; i++)
		v_free(l->v[i]);
	v_free(l->v);
	l->v = NULL;
	l->cnt = 0;
}

static int list_add(struct strlist *l, const char *s)
{
	char **v = v_realloc(l->v, (l->cnt + 1) * sizeof(*v));
	if (!v)
		return V_ENOMEM;
	l->v = v;
	if (!(v[l->cnt] = v_strdup(s)))
		return V_ENOMEM;
	l->cnt++;
	return 0;
}

const char *config_map_get(const struct strlist *map, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = map->cnt; i-- > 0;)
		if (!strncmp(map->v[i], name, n) && map->v[i][n] == '=')
			return map->v[i] + n + 1;
	return NULL;
}

static int map_set(struct strlist *l, const char *name, const char *val)
{
	size_t n = strlen(name) + strlen(val) + 2;
	char *kv = v_malloc(n);
	if (!kv)
		return V_ENOMEM;
	snprintf(kv, n, "%s=%s", name, val);
	int rc = list_add(l, kv);
	v_free(kv);
	return rc;
}

/* The lists whose entries come from a fixed set: an entry outside it is
 * an error naming the file and line. */
static int list_check(const struct cfg_key *k, const char *s, const char *origin,
		      unsigned long line, struct verr *e)
{
	if (!strcmp(k->path, "outputs.eve.types.files-force-hash") && strcmp(s, "md5") &&
	    strcmp(s, "sha1") && strcmp(s, "sha256"))
		return verr_set(e, V_EINVAL, "%s:%lu: %s: \"%s\" is not md5, sha1 or sha256",
				origin, line, k->path, s);
	if (!strcmp(k->path, "outputs.eve.types.smtp-md5") && strcmp(s, "body") &&
	    strcmp(s, "subject"))
		return verr_set(e, V_EINVAL, "%s:%lu: %s: \"%s\" is not body or subject", origin,
				line, k->path, s);
	if (!strcmp(k->path, "outputs.eve.types.smtp-custom")) {
		static const char *const f[] = { "reply-to", "bcc", "message-id", "subject",
						 "x-mailer", "user-agent", "received",
						 "x-originating-ip", "in-reply-to", "references",
						 "importance", "priority", "sensitivity",
						 "organization", "content-md5", "date" };
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (!strcmp(s, f[i]))
				return 0;
		return verr_set(e, V_EINVAL, "%s:%lu: %s: \"%s\" is not a header vigil logs "
				"(reply-to, bcc, message-id, subject, x-mailer, user-agent, received, "
				"x-originating-ip, in-reply-to, references, importance, priority, "
				"sensitivity, organization, content-md5, date)",
				origin, line, k->path, s);
	}
	return 0;
}

static int cfg_apply(struct config *c, const struct cfg_key *k, const char *val,
		     const char *origin, unsigned long line, struct verr *e)
{
	void *field = (char *)c + k->off;
	uint64_t u;
	switch (k->type) {
	case T_BOOL:
		if (parse_bool(val, field) < 0)
			goto bad;
		return 0;
	case T_UINT:
	case T_SECS:
		if (parse_uint(val, UINT32_MAX, &u) < 0)
			goto bad;
		*(uint64_t *)field = u;
		return 0;
	case T_SIZE:
		if (parse_size(val, &u) < 0)
			goto bad;
		*(uint64_t *)field = u;
		return 0;
	case T_STR: {
		char *s = v_strdup(val);
		if (!s)
			return verr_set(e, V_ENOMEM, "out of memory");
		v_free(*(char **)field);
		*(char **)field = s;
		return 0;
	}
	case T_ENUM: {
		int i = enum_index(k->def, val);
		/* a yes|no choice takes YAML's other spellings of a boolean */
		if (i < 0 && (!strcmp(val, "true") || !strcmp(val, "on")))
			i = enum_index(k->def, "yes");
		if (i < 0 && (!strcmp(val, "false") || !strcmp(val, "off")))
			i = enum_index(k->def, "no");
		if (i < 0)
			return verr_set(e, V_EINVAL, "%s:%lu: %s: \"%s\" is not one of %s", origin,
					line, k->path, val, k->def);
		*(int *)field = i;
		return 0;
	}
	case T_MAP:
		if (!*val) /* the default: empty */
			return 0;
		return verr_set(e, V_EINVAL, "%s:%lu: %s takes NAME: value entries", origin, line,
				k->path);
	case T_LIST: {
		struct strlist *l = field;
		list_free(l);
		/* from text: comma-separated */
		char *dup = v_strdup(val), *save = NULL;
		if (!dup)
			return verr_set(e, V_ENOMEM, "out of memory");
		for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			while (*t == ' ')
				t++;
			int rc = *t ? list_check(k, t, origin, line, e) : 0;
			if (rc < 0) {
				v_free(dup);
				return rc;
			}
			if (*t && list_add(l, t) < 0) {
				v_free(dup);
				return verr_set(e, V_ENOMEM, "out of memory");
			}
		}
		v_free(dup);
		return 0;
	}
	}
bad:
	return verr_set(e, V_EINVAL, "%s:%lu: %s: bad value \"%s\"", origin, line, k->path, val);
}

int config_set_key(struct config *c, const char *key, const char *val, const char *origin,
		   unsigned long line, struct verr *e)
{
	const struct cfg_key *k = cfg_find(key);
	const char *name;
	if (!k && (k = cfg_find_map(key, &name))) {
		if (map_set((struct strlist *)((char *)c + k->off), name, val) < 0)
			return verr_set(e, V_ENOMEM, "out of memory");
		return 0;
	}
	if (!k)
		return verr_set(e, V_EINVAL, "%s:%lu: unknown configuration key \"%s\"", origin, line,
				key);
	return cfg_apply(c, k, val, origin, line, e);
}

int config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < ARRAY_SIZE(cfg_keys); i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const char *def = k->def;
		char first[64];
		if (k->type == T_ENUM) {
			size_t n = strcspn(def, "|");
			memcpy(first, def, n < sizeof(first) ? n : sizeof(first) - 1);
			first[n < sizeof(first) ? n : sizeof(first) - 1] = '\0';
			def = first;
		}
		int rc = cfg_apply(c, k, def, "<defaults>", 0, NULL);
		if (rc < 0) {
			config_fini(c);
			return rc;
		}
	}
	return 0;
}

void config_fini(struct config *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(cfg_keys); i++) {
		void *field = (char *)c + cfg_keys[i].off;
		if (cfg_keys[i].type == T_STR) {
			v_free(*(char **)field);
			*(char **)field = NULL;
		} else if (cfg_keys[i].type == T_LIST || cfg_keys[i].type == T_MAP) {
			list_free(field);
		}
	}
}

int config_set(struct config *c, const char *kv, struct verr *e)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return verr_set(e, V_EINVAL, "--set: expected key=value, got \"%s\"", kv);
	char key[256];
	size_t n = (size_t)(eq - kv);
	if (n >= sizeof(key))
		return verr_set(e, V_EINVAL, "--set: key too long");
	memcpy(key, kv, n);
	key[n] = '\0';
	return config_set_key(c, key, eq + 1, "--set", 0, e);
}

#define CFG_MAX_DEPTH 16

int config_load_file(struct config *c, const char *path, struct verr *e)
{
	int rc = 0;
	yaml_parser_t parser;
	yaml_event_t ev;
	char *stack[CFG_MAX_DEPTH] = { 0 };
	int depth = 0;          /* mappings entered */
	bool want_key[CFG_MAX_DEPTH + 1] = { true };
	const struct cfg_key *list_key = NULL; /* inside a sequence for a LIST key */
	bool done = false;
	char full[512];

	FILE *f = fopen(path, "r");
	if (!f)
		return verr_set(e, V_EIO, "%s: %s", path, strerror(errno));
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return verr_set(e, V_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_file(&parser, f);

	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = verr_set(e, V_EINVAL, "%s:%lu: YAML error: %s", path,
				      (unsigned long)parser.problem_mark.line + 1,
				      parser.problem ? parser.problem : "?");
			goto out;
		}
		unsigned long line = (unsigned long)ev.start_mark.line + 1;
		full[0] = '\0';
		for (int i = 0; i < depth; i++) {
			if (!stack[i])
				continue;
			if (full[0])
				strncat(full, ".", sizeof(full) - strlen(full) - 1);
			strncat(full, stack[i], sizeof(full) - strlen(full) - 1);
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_MAPPING_START_EVENT:
			if (depth > 0 && want_key[depth]) {
				rc = verr_set(e, V_EINVAL, "%s:%lu: a mapping cannot be a key", path, line);
				goto fail_ev;
			}
			if (depth > 0 && !cfg_is_section(full)) {
				rc = verr_set(e, V_EINVAL, "%s:%lu: \"%s\" is not a configuration section",
					      path, line, full);
				goto fail_ev;
			}
			if (depth >= CFG_MAX_DEPTH - 1) {
				rc = verr_set(e, V_EINVAL, "%s:%lu: nested too deeply", path, line);
				goto fail_ev;
			}
			depth++;
			want_key[depth] = true;
			break;
		case YAML_MAPPING_END_EVENT:
			if (depth > 0) {
				depth--;
				v_free(stack[depth]);
				stack[depth] = NULL;
				if (depth > 0) {
					v_free(stack[depth - 1]);
					stack[depth - 1] = NULL;
					want_key[depth] = true;
				}
			}
			break;
		case YAML_SEQUENCE_START_EVENT: {
			const struct cfg_key *k = depth > 0 ? cfg_find(full) : NULL;
			if (!k || k->type != T_LIST || list_key) {
				rc = verr_set(e, V_EINVAL, "%s:%lu: \"%s\" does not take a list", path,
					      line, full[0] ? full : "<top>");
				goto fail_ev;
			}
			list_free((struct strlist *)((char *)c + k->off));
			list_key = k;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
			list_key = NULL;
			if (depth > 0) {
				v_free(stack[depth - 1]);
				stack[depth - 1] = NULL;
				want_key[depth] = true;
			}
			break;
		case YAML_SCALAR_EVENT: {
			const char *val = (const char *)ev.data.scalar.value;
			if (list_key) {
				if ((rc = list_check(list_key, val, path, line, e)) < 0)
					goto fail_ev;
				if (list_add((struct strlist *)((char *)c + list_key->off), val) < 0) {
					rc = verr_set(e, V_ENOMEM, "out of memory");
					goto fail_ev;
				}
				break;
			}
			if (depth == 0) {
				rc = verr_set(e, V_EINVAL, "%s:%lu: expected a mapping", path, line);
				goto fail_ev;
			}
			if (want_key[depth]) {
				v_free(stack[depth - 1]);
				if (!(stack[depth - 1] = v_strdup(val))) {
					rc = verr_set(e, V_ENOMEM, "out of memory");
					goto fail_ev;
				}
				want_key[depth] = false;
				/* check now so the error points at the key */
				char probe[512];
				snprintf(probe, sizeof(probe), "%s%s%s", full, full[0] ? "." : "", val);
				const char *mname;
				if (!cfg_find(probe) && !cfg_is_section(probe) &&
				    !cfg_find_map(probe, &mname)) {
					rc = verr_set(e, V_EINVAL,
						      "%s:%lu: unknown configuration key \"%s\"", path,
						      line, probe);
					goto fail_ev;
				}
			} else {
				const struct cfg_key *k = cfg_find(full);
				const char *mname;
				if (!k && !cfg_find_map(full, &mname)) {
					rc = verr_set(e, V_EINVAL,
						      "%s:%lu: \"%s\" is a section, not a value", path,
						      line, full);
					goto fail_ev;
				}
				/* a key, or an entry of a free-form map */
				rc = k ? cfg_apply(c, k, val, path, line, e)
				       : config_set_key(c, full, val, path, line, e);
				if (rc < 0)
					goto fail_ev;
				v_free(stack[depth - 1]);
				stack[depth - 1] = NULL;
				want_key[depth] = true;
			}
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
		continue;
fail_ev:
		yaml_event_delete(&ev);
		goto out;
	}
out:
	for (int i = 0; i < CFG_MAX_DEPTH; i++)
		v_free(stack[i]);
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc == 0) {
		/* the file's folder: Suricata resolves reputation-files
		 * against it */
		char dir[4096];
		str_lcpy(dir, path, sizeof(dir));
		char *slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		else
			str_lcpy(dir, ".", sizeof(dir));
		rc = config_set_key(c, "config-dir", dir, path, 0, e);
	}
	return rc;
}

void config_dump(const struct config *c, FILE *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(cfg_keys); i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const void *field = (const char *)c + k->off;
		fprintf(f, "%s = ", k->path);
		switch (k->type) {
		case T_BOOL: fprintf(f, "%s", *(const bool *)field ? "yes" : "no"); break;
		case T_UINT:
		case T_SECS:
		case T_SIZE: fprintf(f, "%llu", (unsigned long long)*(const uint64_t *)field); break;
		case T_STR: fprintf(f, "%s", *(char *const *)field ? *(char *const *)field : ""); break;
		case T_ENUM: {
			int idx = *(const int *)field;
			const char *p = k->def;
			for (int j = 0; j < idx && p; j++) {
				p = strchr(p, '|');
				if (p)
					p++;
			}
			fprintf(f, "%.*s", p ? (int)strcspn(p, "|") : 1, p ? p : "?");
			break;
		}
		case T_MAP:
		case T_LIST: {
			const struct strlist *l = field;
			fprintf(f, "[");
			for (size_t j = 0; j < l->cnt; j++)
				fprintf(f, "%s%s", j ? ", " : "", l->v[j]);
			fprintf(f, "]");
			break;
		}
		}
		if (k->type == T_ENUM) {
			/* "a|b|c": the first is the default */
			fprintf(f, "    # %s (default: %.*s; one of: ", k->help,
				(int)strcspn(k->def, "|"), k->def);
			for (const char *q = k->def; *q; q++)
				fputs(*q == '|' ? ", " : (char[]){ *q, 0 }, f);
			fprintf(f, ")\n");
		} else {
			fprintf(f, "    # %s (default: %s)\n", k->help, k->def);
		}
	}
}

int config_check(const struct config *c, struct verr *e)
{
	int mp = c->stream_midstream_policy;
	if (c->stream_midstream && mp != XP_DEFAULT && mp != XP_IGNORE && mp != XP_PASS_FLOW &&
	    mp != XP_AUTO)
		return verr_set(e, V_EINVAL,
				"stream.midstream-policy: with stream.midstream on, only ignore or pass-flow "
				"(sessions picked up mid-stream are what the policy is about)");
	if (mp == XP_DROP_PACKET || mp == XP_PASS_PACKET)
		return verr_set(e, V_EINVAL,
				"stream.midstream-policy: %s is not a policy for a session picked up "
				"mid-stream (use drop-flow or pass-flow)",
				mp == XP_DROP_PACKET ? "drop-packet" : "pass-packet");
	return 0;
}

const char *const xp_policy_names[XP_POLICY_MAX] = {
	"ignore", "ignore", "drop_packet", "drop_flow", "pass_packet", "pass_flow", "bypass", "reject", "auto"
};
const char *const xp_target_names[XP_TARGET_MAX] = {
	"defrag_memcap", "stream_memcap", "stream_reassembly_memcap", "flow_memcap", "stream_midstream",
	"app_layer_error"
};
const char *const xp_target_stats[XP_TARGET_MAX] = {
	"defrag.memcap", "tcp.ssn_memcap", "tcp.reassembly", "flow.memcap", "tcp.midstream", "app_layer.error"
};
const char *const xp_drop_reasons[XP_TARGET_MAX] = {
	"defrag memcap", "stream memcap", "stream reassembly", "flow memcap", "stream midstream",
	"applayer error"
};

enum xp_policy config_xp(const struct config *c, enum xp_target t, bool ips)
{
	static const size_t off[XP_TARGET_MAX] = {
		[XP_DEFRAG_MEMCAP] = offsetof(struct config, defrag_memcap_policy),
		[XP_STREAM_MEMCAP] = offsetof(struct config, stream_memcap_policy),
		[XP_REASM_MEMCAP] = offsetof(struct config, stream_reassembly_memcap_policy),
		[XP_FLOW_MEMCAP] = offsetof(struct config, flow_memcap_policy),
		[XP_MIDSTREAM] = offsetof(struct config, stream_midstream_policy),
		[XP_APP_ERROR] = offsetof(struct config, app_error_policy),
	};
	if ((unsigned)t >= XP_TARGET_MAX)
		return XP_IGNORE;
	bool has_flow = t != XP_FLOW_MEMCAP && t != XP_DEFRAG_MEMCAP;
	int p = *(const int *)((const char *)c + off[t]);
	if (p == XP_DEFAULT) /* the master switch: its index 0 is auto */
		p = c->exception_policy == 0 ? XP_AUTO : c->exception_policy;
	if (p == XP_AUTO)
		p = !ips || (t == XP_MIDSTREAM && c->stream_midstream) ? XP_IGNORE : XP_DROP_FLOW;
	if (t == XP_MIDSTREAM && p == XP_DROP_PACKET) /* (the master switch's) */
		p = XP_DROP_FLOW;
	if (t == XP_MIDSTREAM && p == XP_PASS_PACKET)
		p = XP_PASS_FLOW;
	if (!has_flow)
		p = p == XP_DROP_FLOW ? XP_DROP_PACKET : p == XP_PASS_FLOW ? XP_PASS_PACKET
					: p == XP_BYPASS ? XP_IGNORE : p;
	if (!ips && (p == XP_DROP_PACKET || p == XP_DROP_FLOW || p == XP_REJECT))
		p = XP_IGNORE;
	return (enum xp_policy)p;
}

const char *config_log_path(const struct config *c, const char *path, char *buf, size_t cap)
{
	if (path[0] == '/')
		snprintf(buf, cap, "%s", path);
	else
		snprintf(buf, cap, "%s/%s", c->log_dir, path);
	return buf;
}
