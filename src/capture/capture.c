/*
 * capture.c - generic parts of the capture interface.
 */
#include "capture.h"

void capture_close(struct capture *c)
{
	if (c)
		c->ops->close(c);
}
