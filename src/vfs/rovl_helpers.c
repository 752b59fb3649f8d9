// SPDX-License-Identifier: GPL-2.0
/*
 * Functions for the static inlines src/vfs/ calls; see rovl_helpers.h.
 */

#include "rovl_helpers.h"

struct dentry *rovl_dget(struct dentry *dentry)
{
	return dget(dentry);
}

const struct cred *rovl_override_creds(const struct cred *override_cred)
{
	return override_creds(override_cred);
}

const struct cred *rovl_revert_creds(const struct cred *revert_cred)
{
	return revert_creds(revert_cred);
}

const struct cred *rovl_current_cred(void)
{
	return current_cred();
}

loff_t rovl_i_size_read(const struct inode *inode)
{
	return i_size_read(inode);
}

void rovl_i_size_write(struct inode *inode, loff_t i_size)
{
	i_size_write(inode, i_size);
}

void rovl_inode_lock(struct inode *inode)
{
	inode_lock(inode);
}

void rovl_inode_unlock(struct inode *inode)
{
	inode_unlock(inode);
}

enum inode_state_flags_enum rovl_inode_state_read_once(struct inode *inode)
{
	return inode_state_read_once(inode);
}

void rovl_inode_state_set(struct inode *inode, enum inode_state_flags_enum flags)
{
	inode_state_set(inode, flags);
}

void rovl_inode_state_clear(struct inode *inode, enum inode_state_flags_enum flags)
{
	inode_state_clear(inode, flags);
}

struct mnt_idmap *rovl_mnt_idmap(const struct vfsmount *mnt)
{
	return mnt_idmap(mnt);
}

/* The owner of `inode` as seen through a mount with `idmap`, as ovl_copyattr() takes it. */
kuid_t rovl_i_uid_into_kuid(struct mnt_idmap *idmap, const struct inode *inode)
{
	return vfsuid_into_kuid(i_uid_into_vfsuid(idmap, inode));
}

kgid_t rovl_i_gid_into_kgid(struct mnt_idmap *idmap, const struct inode *inode)
{
	return vfsgid_into_kgid(i_gid_into_vfsgid(idmap, inode));
}

/* kuid_has_mapping() and kgid_has_mapping() in current_user_ns(). */
bool rovl_current_ns_maps(kuid_t uid, kgid_t gid)
{
	return kuid_has_mapping(current_user_ns(), uid) &&
	       kgid_has_mapping(current_user_ns(), gid);
}

bool rovl_sb_rdonly(const struct super_block *sb)
{
	return sb_rdonly(sb);
}

struct user_namespace *rovl_i_user_ns(const struct inode *inode)
{
	return i_user_ns(inode);
}

vfsgid_t rovl_i_gid_into_vfsgid(struct mnt_idmap *idmap, const struct inode *inode)
{
	return i_gid_into_vfsgid(idmap, inode);
}

kuid_t rovl_vfsuid_into_kuid(vfsuid_t vfsuid)
{
	return vfsuid_into_kuid(vfsuid);
}

kgid_t rovl_vfsgid_into_kgid(vfsgid_t vfsgid)
{
	return vfsgid_into_kgid(vfsgid);
}

bool rovl_is_idmapped_mnt(const struct vfsmount *mnt)
{
	return is_idmapped_mnt(mnt);
}

struct posix_acl *rovl_posix_acl_dup(struct posix_acl *acl)
{
	return posix_acl_dup(acl);
}

void rovl_posix_acl_release(struct posix_acl *acl)
{
	posix_acl_release(acl);
}

bool rovl_is_uncached_acl(struct posix_acl *acl)
{
	return is_uncached_acl(acl);
}

size_t rovl_posix_acl_xattr_size(int count)
{
	return posix_acl_xattr_size(count);
}

/* ACL_DONT_CACHE: the i_acl and i_default_acl of an inode whose ACLs the VFS must not cache */
struct posix_acl *rovl_acl_dont_cache(void)
{
	return ACL_DONT_CACHE;
}
