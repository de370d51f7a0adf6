/*
 * nk-userns: the one step of nk-runtime that cannot be JavaScript (docs/kernel-mechanisms.md).
 *
 * The kernel refuses unshare(CLONE_NEWUSER) and setns() into a user namespace to a process with
 * more than one thread (EINVAL, man 2 unshare, man 2 setns), and Node and Bun always have several.
 * This program is single-threaded: it makes (or joins) the user namespace, becomes its root, and
 * execs the runtime's real helper, which then finds itself inside and goes on as always. runc's
 * nsexec, in miniature.
 *
 *   nk-userns SYNC_FD new pid|nopid PROGRAM ARGS...   for create: a new user namespace
 *   nk-userns SYNC_FD join USERNS_PATH PROGRAM ARGS...  for exec: an existing one
 *
 * SYNC_FD is the socket to the runtime (the init's fd 3+N). "new": unshare(CLONE_NEWUSER), say
 * {"type":"userns"}, wait for a line back (the runtime, in the parent user namespace, has written
 * our uid_map and gid_map by then: man 7 user_namespaces), become root of the namespace, then
 * clone(CLONE_PARENT[|CLONE_NEWPID]): the child (a child of the runtime, PID 1 of a PID namespace
 * owned by the new user namespace) execs PROGRAM; we say {"type":"init","pid":N} and exit.
 * Each call is reported as a step, in the shape of src/linux/kernel.ts's Step, named by the
 * kernel call of the catalogue it belongs to (setresuid is "setuid").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int sync_fd = -1;
/* Whose steps these are, for -E and the trace: the init's (new), or the exec helper's (join). */
static const char *role = "init";

static void say(const char *line) {
  size_t n = strlen(line);
  while (n > 0) {
    ssize_t w = write(sync_fd, line, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(1);
    line += w, n -= (size_t)w;
  }
}

/* Report one call as a step; on failure, report the error too and exit. (No JSON escaping needed:
 * the texts below are ours and contain no quotes; paths are printed with %s but come from the
 * runtime as /proc/<pid>/ns/user.) */
static void step(const char *call, const char *text, const char *note, long rc) {
  char line[2048];
  struct timespec now;
  int error = rc < 0 ? errno : 0;
  clock_gettime(CLOCK_REALTIME, &now);
  snprintf(line, sizeof line,
           "{\"type\":\"step\",\"step\":{\"role\":\"%s\",\"pid\":%d,\"call\":\"%s\",\"text\":\"%s\",\"note\":\"%s\",\"cause\":\"linux.namespaces (user)\",%s%s%s"
           "\"site\":\"src/native/nk-userns.c\",\"time\":%lld,\"ms\":0}}\n",
           role, getpid(), call, text, note, error ? "\"error\":\"" : "\"result\":\"", error ? strerrorname_np(error) : "0", "\",",
           (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
  say(line);
  if (error) {
    snprintf(line, sizeof line, "{\"type\":\"error\",\"message\":\"nk-userns: %s: %s\"}\n", text, strerror(error));
    say(line);
    _exit(1);
  }
}

/* Root of the user namespace: uid and gid 0 there (host 100000, say, as the maps say). Without
 * this, execve would drop every capability: our uid would still be the host's root, which is not
 * mapped inside and so no root there (man 7 user_namespaces, "Effect of execve"). */
static void become_root(void) {
  step("setgroups", "setgroups(0, [])", "nk-userns: no supplementary groups of the host (unmapped, they would show as nobody).", setgroups(0, NULL));
  step("setgid", "setresgid(0, 0, 0)", "nk-userns: gid 0 of the user namespace (the host gid gid_map gives it).", setresgid(0, 0, 0));
  step("setuid", "setresuid(0, 0, 0)", "nk-userns: root of the user namespace. Without it, execve would drop every capability: the host root we still are is not mapped inside.", setresuid(0, 0, 0));
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: nk-userns SYNC_FD new pid|nopid PROGRAM ARGS... | nk-userns SYNC_FD join USERNS_PATH PROGRAM ARGS...\n");
    return 2;
  }
  sync_fd = atoi(argv[1]);
  if (strcmp(argv[2], "join") == 0) role = "exec";
  char **program = argv + 4;
  /* Not dumpable: no container process may open our /proc/<pid>/exe or mem (CVE-2019-5736). */
  step("prctl", "prctl(PR_SET_DUMPABLE, 0)", "nk-userns: not dumpable, so no container process can open our /proc/<pid>/exe (CVE-2019-5736).", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
  if (strcmp(argv[2], "join") == 0) {
    char text[512];
    int fd = open(argv[3], O_RDONLY | O_CLOEXEC);
    snprintf(text, sizeof text, "open(\\\"%s\\\")", argv[3]);
    step("open", text, "nk-userns: the container's user namespace, opened while /proc is the host's.", fd);
    step("setns", "setns(fd, CLONE_NEWUSER)", "nk-userns: joining the container's user namespace, which only a single-threaded process may do (man 2 setns).", setns(fd, CLONE_NEWUSER));
    close(fd);
    become_root();
    execv(program[0], program); /* an absolute path: no PATH search */
    step("execve", "execve(the exec helper)", "", -1);
  }
  if (strcmp(argv[2], "new") != 0) return 2;
  step("unshare", "unshare(CLONE_NEWUSER)", "nk-userns: a new user namespace, first, so that the namespaces made after it are owned by it. Only a single-threaded process may (man 2 unshare). Its IDs map to nothing until the runtime writes the maps.", unshare(CLONE_NEWUSER));
  say("{\"type\":\"userns\"}\n");
  /* The runtime writes our uid_map and gid_map now, then one line: wait for it. */
  for (char c = 0; c != '\n';) {
    ssize_t n = read(sync_fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(1); /* the runtime is gone */
  }
  become_root();
  /* A raw clone is a fork (no new stack): fine, the child only execs. CLONE_PARENT makes it the
   * runtime's child, not ours, so the runtime waits for it as for any init (man 2 clone). */
  long flags = CLONE_PARENT | SIGCHLD | (strcmp(argv[3], "pid") == 0 ? CLONE_NEWPID : 0);
  long pid = syscall(SYS_clone, flags, 0, NULL, NULL, 0);
  if (pid == 0) {
    /* A session of its own, as the runtime gives any init (POSIX_SPAWN_SETSID): a terminal can
     * become the controlling terminal of a session leader only (TIOCSCTTY, man 2 ioctl_tty). */
    if (setsid() < 0) step("spawn", "setsid()", "", -1);
    execv(program[0], program); /* an absolute path: no PATH search */
    step("execve", "execve(the init)", "", -1);
  }
  /* Its step is the runtime's (adoptChild), which gets the pid now. */
  if (pid < 0) step("spawn", "clone(CLONE_PARENT|SIGCHLD)", "", pid);
  char line[64];
  snprintf(line, sizeof line, "{\"type\":\"init\",\"pid\":%ld}\n", pid);
  say(line);
  return 0;
}
