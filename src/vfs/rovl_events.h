/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rovl's trace events: the "rovl" system in tracefs (events/rovl/).
 *
 * Two kinds of event:
 * - what the overlay does: copy_up (an object of the merged view copied to
 *   the upper layer) and lookup_miss (a name no layer has);
 * - every change rovl makes to a real filesystem (the upper layer and its
 *   work directory): create, mkdir, mknod, whiteout, symlink, link, unlink,
 *   rmdir, rename, setattr, setxattr, removexattr. Each is traced once, after
 *   the call, with its result, by the one Rust function in src/vfs/ that
 *   makes that kind of change (src/vfs/trace.rs calls them).
 *
 * A real object is shown as "dir" (its parent's name) and "name", as
 * overlayfs's pr_debug("%pd2") shows it; objects being made show their
 * temporary name in the work directory ("work" and "#N"), and the rename
 * that puts them in place follows.
 *
 * Names are read from the dentries here, when the event is on: the callers
 * format and copy nothing. Every dentry passed is referenced by the caller
 * for the call; the real dentries of the change events also have their
 * parent locked, so their names are stable.
 *
 * The Rust side calls rust_do_trace_<event>() (made by
 * CREATE_RUST_TRACE_POINTS) only after testing the tracepoint's static key
 * itself, so a disabled event costs one patched-out branch.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rovl

/* define_trace.h includes this file again from the directory given by -I */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE rovl_events

#if !defined(_ROVL_EVENTS_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ROVL_EVENTS_H

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/tracepoint.h>

/* The name of a dentry, and of its parent directory. */
#define rovl_name(d) ((const char *)(d)->d_name.name)
#define rovl_dir_name(d) rovl_name((d)->d_parent)

TRACE_EVENT(copy_up,
	TP_PROTO(const struct dentry *dentry, long long size,
		 unsigned long long duration_ns, int err),
	TP_ARGS(dentry, size, duration_ns, err),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__string(dir, rovl_dir_name(dentry))
		__string(name, rovl_name(dentry))
		__field(long long, size)
		__field(unsigned long long, duration_ns)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->dev = dentry->d_sb->s_dev;
		__assign_str(dir);
		__assign_str(name);
		__entry->size = size;
		__entry->duration_ns = duration_ns;
		__entry->err = err;
	),
	TP_printk("dev=%d:%d dir=%s name=%s size=%lld duration_ns=%llu err=%d",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __get_str(dir),
		  __get_str(name), __entry->size, __entry->duration_ns,
		  __entry->err)
);

TRACE_EVENT(lookup_miss,
	TP_PROTO(const struct inode *dir, const char *name, size_t len,
		 unsigned int layers),
	TP_ARGS(dir, name, len, layers),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(u64, dir_ino)
		__string_len(name, name, len)
		__field(unsigned int, layers)
	),
	TP_fast_assign(
		__entry->dev = dir->i_sb->s_dev;
		__entry->dir_ino = dir->i_ino;
		__assign_str(name);
		__entry->layers = layers;
	),
	TP_printk("dev=%d:%d dir_ino=%llu name=%s layers=%u",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->dir_ino,
		  __get_str(name), __entry->layers)
);

/* A change that names one real object and has no arguments. */
DECLARE_EVENT_CLASS(rovl_dentry_class,
	TP_PROTO(const struct dentry *dentry, int err),
	TP_ARGS(dentry, err),
	TP_STRUCT__entry(
		__string(dir, rovl_dir_name(dentry))
		__string(name, rovl_name(dentry))
		__field(int, err)
	),
	TP_fast_assign(
		__assign_str(dir);
		__assign_str(name);
		__entry->err = err;
	),
	TP_printk("dir=%s name=%s err=%d", __get_str(dir), __get_str(name),
		  __entry->err)
);

DEFINE_EVENT(rovl_dentry_class, whiteout,
	TP_PROTO(const struct dentry *dentry, int err),
	TP_ARGS(dentry, err));
DEFINE_EVENT(rovl_dentry_class, unlink,
	TP_PROTO(const struct dentry *dentry, int err),
	TP_ARGS(dentry, err));
DEFINE_EVENT(rovl_dentry_class, rmdir,
	TP_PROTO(const struct dentry *dentry, int err),
	TP_ARGS(dentry, err));

/* A new object of a mode (type bits included for create). */
DECLARE_EVENT_CLASS(rovl_mode_class,
	TP_PROTO(const struct dentry *dentry, umode_t mode, int err),
	TP_ARGS(dentry, mode, err),
	TP_STRUCT__entry(
		__string(dir, rovl_dir_name(dentry))
		__string(name, rovl_name(dentry))
		__field(umode_t, mode)
		__field(int, err)
	),
	TP_fast_assign(
		__assign_str(dir);
		__assign_str(name);
		__entry->mode = mode;
		__entry->err = err;
	),
	TP_printk("dir=%s name=%s mode=0%o err=%d", __get_str(dir),
		  __get_str(name), __entry->mode, __entry->err)
);

DEFINE_EVENT(rovl_mode_class, create,
	TP_PROTO(const struct dentry *dentry, umode_t mode, int err),
	TP_ARGS(dentry, mode, err));
DEFINE_EVENT(rovl_mode_class, mkdir,
	TP_PROTO(const struct dentry *dentry, umode_t mode, int err),
	TP_ARGS(dentry, mode, err));

TRACE_EVENT(mknod,
	TP_PROTO(const struct dentry *dentry, umode_t mode, dev_t rdev, int err),
	TP_ARGS(dentry, mode, rdev, err),
	TP_STRUCT__entry(
		__string(dir, rovl_dir_name(dentry))
		__string(name, rovl_name(dentry))
		__field(umode_t, mode)
		__field(dev_t, rdev)
		__field(int, err)
	),
	TP_fast_assign(
		__assign_str(dir);
		__assign_str(name);
		__entry->mode = mode;
		__entry->rdev = rdev;
		__entry->err = err;
	),
	TP_printk("dir=%s name=%s mode=0%o rdev=%d:%d err=%d", __get_str(dir),
		  __get_str(name), __entry->mode, MAJOR(__entry->rdev),
		  MINOR(__entry->rdev), __entry->err)
);

TRACE_EVENT(symlink,
	TP_PROTO(const struct dentry *dentry, const char *target, int err),
	TP_ARGS(dentry, target, err),
	TP_STRUCT__entry(
		__string(dir, rovl_dir_name(dentry))
		__string(name, rovl_name(dentry))
		__string(target, target)
		__field(int, err)
	),
	TP_fast_assign(
		__assign_str(dir);
		__assign_str(name);
		__assign_str(target);
		__entry->err = err;
	),
	TP_printk("dir=%s name=%s target=%s err=%d", __get_str(dir),
		  __get_str(name), __get_str(target), __entry->err)
);

TRACE_EVENT(link,
	TP_PROTO(const struct dentry *old, const struct dentry *dentry, int err),
	TP_ARGS(old, dentry, err),
	TP_STRUCT__entry(
		__string(old_dir, rovl_dir_name(old))
		__string(old_name, rovl_name(old))
		__string(dir, rovl_dir_name(dentry))
		__string(name, rovl_name(dentry))
		__field(int, err)
	),
	TP_fast_assign(
		__assign_str(old_dir);
		__assign_str(old_name);
		__assign_str(dir);
		__assign_str(name);
		__entry->err = err;
	),
	TP_printk("old_dir=%s old_name=%s dir=%s name=%s err=%d",
		  __get_str(old_dir), __get_str(old_name), __get_str(dir),
		  __get_str(name), __entry->err)
);

/*
 * The names are taken before the rename (which changes the dentries' names)
 * and passed as strings; the parents are those locked for the rename.
 */
TRACE_EVENT(rename,
	TP_PROTO(const struct dentry *old_dir, const char *old_name,
		 const struct dentry *new_dir, const char *new_name,
		 unsigned int flags, int err),
	TP_ARGS(old_dir, old_name, new_dir, new_name, flags, err),
	TP_STRUCT__entry(
		__string(old_dir, rovl_name(old_dir))
		__string(old_name, old_name)
		__string(new_dir, rovl_name(new_dir))
		__string(new_name, new_name)
		__field(unsigned int, flags)
		__field(int, err)
	),
	TP_fast_assign(
		__assign_str(old_dir);
		__assign_str(old_name);
		__assign_str(new_dir);
		__assign_str(new_name);
		__entry->flags = flags;
		__entry->err = err;
	),
	TP_printk("old_dir=%s old_name=%s new_dir=%s new_name=%s flags=0x%x err=%d",
		  __get_str(old_dir), __get_str(old_name), __get_str(new_dir),
		  __get_str(new_name), __entry->flags, __entry->err)
);

/* The iattr as notify_change() left it (it may add ATTR_* bits). */
TRACE_EVENT(setattr,
	TP_PROTO(const struct dentry *dentry, const struct iattr *attr, int err),
	TP_ARGS(dentry, attr, err),
	TP_STRUCT__entry(
		__string(dir, rovl_dir_name(dentry))
		__string(name, rovl_name(dentry))
		__field(unsigned int, valid)
		__field(umode_t, mode)
		__field(long long, size)
		__field(int, err)
	),
	TP_fast_assign(
		__assign_str(dir);
		__assign_str(name);
		__entry->valid = attr->ia_valid;
		__entry->mode = attr->ia_mode;
		__entry->size = attr->ia_size;
		__entry->err = err;
	),
	TP_printk("dir=%s name=%s valid=0x%x mode=0%o size=%lld err=%d",
		  __get_str(dir), __get_str(name), __entry->valid,
		  __entry->mode, __entry->size, __entry->err)
);

TRACE_EVENT(setxattr,
	TP_PROTO(const struct dentry *dentry, const char *xattr, size_t size,
		 int flags, int err),
	TP_ARGS(dentry, xattr, size, flags, err),
	TP_STRUCT__entry(
		__string(dir, rovl_dir_name(dentry))
		__string(name, rovl_name(dentry))
		__string(xattr, xattr)
		__field(size_t, size)
		__field(int, flags)
		__field(int, err)
	),
	TP_fast_assign(
		__assign_str(dir);
		__assign_str(name);
		__assign_str(xattr);
		__entry->size = size;
		__entry->flags = flags;
		__entry->err = err;
	),
	TP_printk("dir=%s name=%s xattr=%s size=%zu flags=0x%x err=%d",
		  __get_str(dir), __get_str(name), __get_str(xattr),
		  __entry->size, __entry->flags, __entry->err)
);

TRACE_EVENT(removexattr,
	TP_PROTO(const struct dentry *dentry, const char *xattr, int err),
	TP_ARGS(dentry, xattr, err),
	TP_STRUCT__entry(
		__string(dir, rovl_dir_name(dentry))
		__string(name, rovl_name(dentry))
		__string(xattr, xattr)
		__field(int, err)
	),
	TP_fast_assign(
		__assign_str(dir);
		__assign_str(name);
		__assign_str(xattr);
		__entry->err = err;
	),
	TP_printk("dir=%s name=%s xattr=%s err=%d", __get_str(dir),
		  __get_str(name), __get_str(xattr), __entry->err)
);

#endif /* _ROVL_EVENTS_H */

/* This part must be outside the include guard. */
#include <trace/define_trace.h>
