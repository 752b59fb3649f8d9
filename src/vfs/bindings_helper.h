/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input to bindgen for the C APIs src/vfs/ needs that `kernel::bindings` does
 * not carry. See Kbuild: only declarations made in these headers are emitted,
 * and the `RUST_CONST_HELPER_*` constants below.
 */
#include <linux/backing-file.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/iversion.h>
#include <linux/namei.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/statfs.h>
#include <linux/string_helpers.h>

/*
 * Macros bindgen cannot evaluate (`BIT(n)`, casts), as constants it can, in
 * the style of the kernel's rust/bindings/bindings_helper.h. Kbuild strips
 * the `RUST_CONST_HELPER_` prefix.
 */
const unsigned long RUST_CONST_HELPER_SB_RDONLY = SB_RDONLY;
const unsigned long RUST_CONST_HELPER_SB_POSIXACL = SB_POSIXACL;
const unsigned long RUST_CONST_HELPER_SB_I_VERSION = SB_I_VERSION;
const loff_t RUST_CONST_HELPER_MAX_LFS_FILESIZE = MAX_LFS_FILESIZE;
const unsigned int RUST_CONST_HELPER_LOOKUP_FOLLOW = LOOKUP_FOLLOW;
const unsigned int RUST_CONST_HELPER_LOOKUP_RCU = LOOKUP_RCU;
const unsigned int RUST_CONST_HELPER_ESCAPE_OCTAL = ESCAPE_OCTAL;
const int RUST_CONST_HELPER_IOCB_SYNC = IOCB_SYNC;
const int RUST_CONST_HELPER_IOCB_DSYNC = IOCB_DSYNC;
const int RUST_CONST_HELPER_ACL_TYPE_ACCESS = ACL_TYPE_ACCESS;
const int RUST_CONST_HELPER_ACL_TYPE_DEFAULT = ACL_TYPE_DEFAULT;
const short RUST_CONST_HELPER_ACL_USER = ACL_USER;
const short RUST_CONST_HELPER_ACL_GROUP = ACL_GROUP;

/* rovl's own trace events (only their tracepoints and emitters, see Kbuild) */
#include "rovl_events.h"

/* functions for the static inlines src/vfs/ calls */
#include "rovl_helpers.h"
