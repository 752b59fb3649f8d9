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
