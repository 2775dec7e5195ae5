/* A getppid() loop for scripts/bench-wakes.sh: the cheapest syscall, as a
 * bystander that threadleak does not trace; what a tracer's machine-wide hooks
 * cost it shows as fewer calls per second. Prints "calls/s N" on stdout.
 *   bench_getppid N              N calls
 *   bench_getppid --seconds S    for S seconds (a fraction allowed) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long calls = -1;
	double seconds = -1;
	if (argc == 3 && strcmp(argv[1], "--seconds") == 0)
		seconds = atof(argv[2]);
	else if (argc == 2)
		calls = atol(argv[1]);
	if (calls <= 0 && seconds <= 0) {
		fprintf(stderr, "usage: bench_getppid CALLS | bench_getppid --seconds S\n");
		return 64;
	}
	const double start = now_seconds();
	long done = 0;
	for (;;) {
		/* The raw syscall: no libc wrapper may answer from a cache. */
		syscall(SYS_getppid);
		++done;
		if (calls > 0 && done == calls)
			break;
		/* Reading the clock every 1024 calls keeps it out of the measurement. */
		if (seconds > 0 && done % 1024 == 0 && now_seconds() - start >= seconds)
			break;
	}
	printf("calls/s %.0f\n", done / (now_seconds() - start));
	return 0;
}
