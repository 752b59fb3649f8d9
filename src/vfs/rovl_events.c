// SPDX-License-Identifier: GPL-2.0
/*
 * Defines rovl's trace events (see rovl_events.h), and the functions the
 * Rust side calls to emit them (rust_do_trace_<event>).
 */

#define CREATE_TRACE_POINTS
#define CREATE_RUST_TRACE_POINTS
#include "rovl_events.h"
