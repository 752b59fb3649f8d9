/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The static inlines of the C API that src/vfs/ calls. A static inline has no
 * symbol for Rust to call, and re-implementing one in Rust would copy its
 * reasoning (memory ordering, 32-bit special cases) and go stale when it
 * changes; so rovl_helpers.c gives each one a function of the module, as the
 * kernel's rust/helpers/ do for the kernel crate. Each is named after the
 * inline it wraps, with a rovl_ prefix. So are the few pointer-valued macros
 * bindgen cannot turn into constants (ACL_DONT_CACHE): a function returns the
 * macro's value, so that Rust never spells it out.
 */
#ifndef _ROVL_HELPERS_H
#define _ROVL_HELPERS_H

#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>

struct dentry *rovl_dget(struct dentry *dentry);

const struct cred *rovl_override_creds(const struct cred *override_cred);
const struct cred *rovl_revert_creds(const struct cred *revert_cred);
const struct cred *rovl_current_cred(void);

loff_t rovl_i_size_read(const struct inode *inode);
void rovl_i_size_write(struct inode *inode, loff_t i_size);

void rovl_inode_lock(struct inode *inode);
void rovl_inode_unlock(struct inode *inode);

enum inode_state_flags_enum rovl_inode_state_read_once(struct inode *inode);
void rovl_inode_state_set(struct inode *inode, enum inode_state_flags_enum flags);
void rovl_inode_state_clear(struct inode *inode, enum inode_state_flags_enum flags);

struct mnt_idmap *rovl_mnt_idmap(const struct vfsmount *mnt);
kuid_t rovl_i_uid_into_kuid(struct mnt_idmap *idmap, const struct inode *inode);
kgid_t rovl_i_gid_into_kgid(struct mnt_idmap *idmap, const struct inode *inode);
bool rovl_current_ns_maps(kuid_t uid, kgid_t gid);
bool rovl_sb_rdonly(const struct super_block *sb);

struct user_namespace *rovl_i_user_ns(const struct inode *inode);
vfsgid_t rovl_i_gid_into_vfsgid(struct mnt_idmap *idmap, const struct inode *inode);
kuid_t rovl_vfsuid_into_kuid(vfsuid_t vfsuid);
kgid_t rovl_vfsgid_into_kgid(vfsgid_t vfsgid);
bool rovl_is_idmapped_mnt(const struct vfsmount *mnt);

struct posix_acl *rovl_posix_acl_dup(struct posix_acl *acl);
void rovl_posix_acl_release(struct posix_acl *acl);
bool rovl_is_uncached_acl(struct posix_acl *acl);
size_t rovl_posix_acl_xattr_size(int count);
struct posix_acl *rovl_acl_dont_cache(void);

#endif /* _ROVL_HELPERS_H */
