/*
 * fuzz_identity.c - libFuzzer target for the identity file parser: the
 * input is the file's text (YAML).  Whatever loads is asked about a few
 * addresses and interfaces and freed; nothing may crash, leak or read out
 * of bounds, and an error must name the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "identity.h"
#include "vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	int fd = memfd_create("identity", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct config c;
	struct verr e = { "" };
	if (config_init(&c) == 0 && config_set_key(&c, "identity.file", path, "fuzz", 0, &e) == 0) {
		struct identity *id = identity_load(&c, &e);
		if (id) {
			static const uint8_t probes[][16] = {
				{ 10, 137, 0, 12 }, { 10, 0, 0, 1 }, { 192, 168, 1, 1 }, { 0 },
				{ 0xfd, 0x09, 0x24, 0xef, 0x41, 0x79, [15] = 0x0c },
			};
			for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
				const struct vm *vm = identity_by_addr(id, i == 4 ? 6 : 4, probes[i]);
				if (vm && (!vm->name || (vm->nlabels && !vm->labels[0])))
					abort();
			}
			(void)identity_by_iface(id, "vif12.0");
			identity_free(id);
		} else if (!strstr(e.msg, path)) {
			abort(); /* every file error names the file */
		}
	}
	config_fini(&c);
	close(fd);
	return 0;
}
