/* Runs a command and prints, on stderr, its wall time and the peak resident set
 * of the command and the descendants it waited for (wait4's ru_maxrss):
 *   run_measured COMMAND [ARGS...]
 *   -> "run_measured: peak_rss_kib=123456 seconds=1.234 status=66"
 * Exits with the command's exit code (128+N if signal N killed it). */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: run_measured COMMAND [ARGS...]\n");
		return 64;
	}
	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid_t pid = fork();
	if (pid < 0) {
		perror("run_measured: fork");
		return 71;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "run_measured: cannot execute %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	int status = 0;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("run_measured: wait4");
			return 71;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	double seconds = (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	fprintf(stderr, "run_measured: peak_rss_kib=%ld seconds=%.3f status=%d\n", ru.ru_maxrss, seconds, code);
	return code;
}
