/* measure COMMAND [ARG...]: runs COMMAND and prints "WALL_NS MAXRSS_KIB EXIT" on fd 3.
 *
 * A tiny launcher so that the child's peak RSS (ru_maxrss from wait4, which covers the
 * child and every descendant it waited for) is not inflated by the memory of whatever
 * started it: on fork+exec the kernel folds the parent image's RSS into the child's
 * high-water mark, so measuring straight from Python would report Python's size.
 * The time is taken around fork, exec and wait only. stdin/stdout/stderr pass through. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: measure COMMAND [ARG...]\n");
    return 2;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  const pid_t pid = fork();
  if (pid < 0) {
    perror("measure: fork");
    return 2;
  }
  if (pid == 0) {
    close(3);
    execvp(argv[1], argv + 1);
    perror("measure: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) < 0) {
    perror("measure: wait4");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  const long long ns =
      (long long)(end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  dprintf(3, "%lld %ld %d\n", ns, usage.ru_maxrss, code);
  return 0;
}
