/*
 * fuzz_control.c - libFuzzer target for the control socket's requests and
 * the overrides file.  Input byte 0 chooses: even, the rest is request
 * lines answered by a control set up once over an identity map of two VMs
 * (no workers; changes are written to a temporary state directory and
 * applied); odd, the rest is an overrides.json to read.  Nothing may
 * crash, leak or read out of bounds, and every line gets one answer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "control.h"
#include "identity.h"
#include "log.h"

static struct config cfg;
static struct control ct;
static struct rules_state rs;

static void setup(void)
{
	static char dir[] = "/tmp/vigil-fuzz-control-XXXXXX";
	struct verr e = { "" };
	if (!mkdtemp(dir))
		abort();
	config_init(&cfg);
	log_set_level(LOG_ERROR);
	if (config_set_key(&cfg, "default-log-dir", dir, "fuzz", 0, &e) < 0 ||
	    config_set_key(&cfg, "control.enabled", "yes", "fuzz", 0, &e) < 0)
		abort();
	config_set(&cfg, "identity.vms.work=10.137.0.10", &e);
	config_set(&cfg, "identity.vms.personal=10.137.0.20", &e);
	rules_state_init(&rs);
	if (control_open(&ct, &cfg, false, &e) < 0)
		abort();
	struct identity *id = identity_load(&cfg, &e);
	atomic_store(&rs.idm, id);
	atomic_store(&rs.bl, blocklists_load(&cfg, true, &e));
	ct.rules = &rs;
	ct.n = 0;
	ct.t0 = now_mono();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 1 || size > 200000)
		return 0;
	if (data[0] & 1) {
		int fd = memfd_create("overrides", 0);
		if (fd < 0)
			return 0;
		if (write(fd, data + 1, size - 1) == (ssize_t)(size - 1)) {
			char path[64];
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			struct overrides o = { 0 };
			struct verr e = { "" };
			if (overrides_read(path, &o, &e) < 0 && !strstr(e.msg, path))
				abort(); /* an error names the file */
			overrides_fini(&o);
		}
		close(fd);
		return 0;
	}
	struct ctl_client c = { .fd = -1 };
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* shutdown would only set the stop flag; the rest run */
		control_handle_line(&ct, &c, p, len);
		p += len + 1;
	}
	jb_fini(&c.out);
	/* freed maps wait for workers; there are none */
	engine_stop = 0;
	return 0;
}
