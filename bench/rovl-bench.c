// SPDX-License-Identifier: GPL-2.0
/*
 * rovl-bench: the timed part of each benchmark workload, built statically on
 * the host and run in the guest. Every subcommand times only its own work
 * (CLOCK_MONOTONIC, so QEMU's -icount clock applies) and prints
 * "SECONDS COUNT" on one line: the elapsed time and how many objects or bytes
 * it handled, which the driver checks so that a workload which silently did
 * nothing cannot look fast.
 *
 *   walk DIR             lstat every entry of a tree (getdents + fstatat,
 *                        what find and du do), then stat every file again
 *   readdir DIR N        read a whole directory N times (getdents only)
 *   read FILE            read a file sequentially in 1 MiB requests
 *   write FILE MIB       write a new file of MIB MiB in 1 MiB requests, fsync
 *   randread FILE N SEED N random 4 KiB preads at 4 KiB-aligned offsets
 *   append FILE          open O_APPEND, write one byte, close (a copy-up)
 *   chmod DIR            chmod every file directly in DIR
 *   churn DIR N          N times: create, write 4 KiB, close, unlink
 *   run CMD [ARG...]     fork and exec CMD, wait; its exit status must be 0
 *   populate DIR PREFIX FIRST N SIZE
 *                        make files PREFIX<FIRST>..PREFIX<FIRST+N-1> (5-digit
 *                        numbers) of SIZE bytes: the untimed layer setup
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static _Noreturn void die(const char *what, const char *name)
{
	fprintf(stderr, "rovl-bench: %s %s: %s\n", what, name, strerror(errno));
	exit(1);
}

/* lstat everything below dirfd/name (not following symlinks). */
static long walk_lstat(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	struct dirent *de;
	struct stat st;
	long n = 0;
	DIR *d;

	if (fd < 0)
		die("open", name);
	d = fdopendir(fd);
	if (!d)
		die("fdopendir", name);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			die("lstat", de->d_name);
		n++;
		if (S_ISDIR(st.st_mode))
			n += walk_lstat(fd, de->d_name);
	}
	closedir(d);
	return n;
}

/* stat (by full path, as "stat FILE..." does) every regular file. */
static long walk_stat(char *path, size_t len)
{
	DIR *d = opendir(path);
	struct dirent *de;
	struct stat st;
	long n = 0;

	if (!d)
		die("opendir", path);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (len + l + 2 > PATH_MAX)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, l + 1);
		if (de->d_type == DT_DIR) {
			n += walk_stat(path, len + 1 + l);
		} else if (de->d_type == DT_REG) {
			if (stat(path, &st))
				die("stat", path);
			n++;
		}
		path[len] = 0;
	}
	closedir(d);
	return n;
}

static long cmd_walk(const char *dir)
{
	static char path[PATH_MAX];
	long n = walk_lstat(AT_FDCWD, dir);

	snprintf(path, sizeof(path), "%s", dir);
	return n + walk_stat(path, strlen(path));
}

static long cmd_readdir(const char *dir, long times)
{
	long n = 0;

	for (long i = 0; i < times; i++) {
		DIR *d = opendir(dir);

		if (!d)
			die("opendir", dir);
		while (readdir(d))
			n++;
		closedir(d);
	}
	return n;
}

static long cmd_read(const char *file)
{
	char *buf = malloc(MIB);
	int fd = open(file, O_RDONLY);
	long total = 0;
	ssize_t r;

	if (fd < 0 || !buf)
		die("open", file);
	while ((r = read(fd, buf, MIB)) > 0)
		total += r;
	if (r < 0)
		die("read", file);
	close(fd);
	free(buf);
	return total;
}

static long cmd_write(const char *file, long mib)
{
	char *buf = malloc(MIB);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	long total = 0;

	if (fd < 0 || !buf)
		die("create", file);
	memset(buf, 0x5a, MIB);
	for (long i = 0; i < mib; i++) {
		if (write(fd, buf, MIB) != MIB)
			die("write", file);
		total += MIB;
	}
	if (fsync(fd))
		die("fsync", file);
	close(fd);
	free(buf);
	return total;
}

static long cmd_randread(const char *file, long count, unsigned long seed)
{
	char buf[4096];
	int fd = open(file, O_RDONLY);
	uint64_t x = seed * 2654435761u + 1;
	struct stat st;
	long blocks;

	if (fd < 0 || fstat(fd, &st))
		die("open", file);
	blocks = st.st_size / 4096;
	for (long i = 0; i < count; i++) {
		/* xorshift64: the same offsets for every filesystem */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (pread(fd, buf, 4096, (off_t)(x % blocks) * 4096) != 4096)
			die("pread", file);
	}
	close(fd);
	return count;
}

static long cmd_append(const char *file)
{
	int fd = open(file, O_WRONLY | O_APPEND);

	if (fd < 0)
		die("open", file);
	if (write(fd, "x", 1) != 1)
		die("append", file);
	close(fd);
	return 1;
}

static long cmd_chmod(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	long n = 0;

	if (!d)
		die("opendir", dir);
	while ((de = readdir(d))) {
		if (de->d_type != DT_REG)
			continue;
		if (fchmodat(dirfd(d), de->d_name, 0600, 0))
			die("chmod", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static long cmd_churn(const char *dir, long count)
{
	static char buf[4096];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	char name[32];

	if (dfd < 0)
		die("open", dir);
	memset(buf, 0xa5, sizeof(buf));
	for (long i = 0; i < count; i++) {
		int fd;

		snprintf(name, sizeof(name), "churn-%ld", i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			die("create", name);
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			die("write", name);
		close(fd);
		if (unlinkat(dfd, name, 0))
			die("unlink", name);
	}
	close(dfd);
	return count;
}

static long cmd_run(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork", argv[0]);
	if (pid == 0) {
		execvp(argv[0], argv);
		die("exec", argv[0]);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("wait", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "rovl-bench: %s failed (status %#x)\n", argv[0], status);
		exit(1);
	}
	return 1;
}

static long cmd_populate(const char *dir, const char *prefix, long first, long count,
			 long size)
{
	static char buf[65536];
	char name[PATH_MAX];

	memset(buf, 'r', sizeof(buf));
	for (long i = first; i < first + count; i++) {
		long left = size;
		int fd;

		snprintf(name, sizeof(name), "%s/%s%05ld", dir, prefix, i);
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			die("create", name);
		while (left > 0) {
			long chunk = left < (long)sizeof(buf) ? left : (long)sizeof(buf);

			if (write(fd, buf, chunk) != chunk)
				die("write", name);
			left -= chunk;
		}
		close(fd);
	}
	return count;
}

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: rovl-bench walk|readdir|read|write|randread|append|chmod|churn|run|populate ...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	double t0;
	long n;

	if (argc < 3)
		usage();
	t0 = now();
	if (!strcmp(cmd, "walk"))
		n = cmd_walk(argv[2]);
	else if (!strcmp(cmd, "readdir") && argc == 4)
		n = cmd_readdir(argv[2], atol(argv[3]));
	else if (!strcmp(cmd, "read"))
		n = cmd_read(argv[2]);
	else if (!strcmp(cmd, "write") && argc == 4)
		n = cmd_write(argv[2], atol(argv[3]));
	else if (!strcmp(cmd, "randread") && argc == 5)
		n = cmd_randread(argv[2], atol(argv[3]), strtoul(argv[4], NULL, 0));
	else if (!strcmp(cmd, "append"))
		n = cmd_append(argv[2]);
	else if (!strcmp(cmd, "chmod"))
		n = cmd_chmod(argv[2]);
	else if (!strcmp(cmd, "churn") && argc == 4)
		n = cmd_churn(argv[2], atol(argv[3]));
	else if (!strcmp(cmd, "populate") && argc == 7)
		n = cmd_populate(argv[2], argv[3], atol(argv[4]), atol(argv[5]), atol(argv[6]));
	else if (!strcmp(cmd, "run"))
		n = cmd_run(argv + 2);
	else
		usage();
	printf("%.6f %ld\n", now() - t0, n);
	return 0;
}
