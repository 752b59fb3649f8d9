/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input to bindgen for the C APIs rovl needs that `kernel::bindings` does not
 * carry. See Kbuild: only declarations made in these headers are emitted.
 */
#include <linux/backing-file.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/iversion.h>
#include <linux/namei.h>
#include <linux/statfs.h>

/* rovl's own trace events (only their tracepoints and emitters, see Kbuild) */
#include "rovl_events.h"
