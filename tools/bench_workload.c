/* Workloads for scripts/bench-overhead.sh: what threadleak costs a traced process.
 *   bench_workload churn N      create and join N threads, one at a time
 *   bench_workload pingpong N   N futex round trips between two threads
 * Prints the elapsed seconds on stdout. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void *nothing(void *arg) { return arg; }

static void churn(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL) != 0)
			exit(1);
		pthread_join(t, NULL);
	}
}

static atomic_int turn;
static long rounds;

static void futex_wait(atomic_int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *pong(void *arg)
{
	for (long i = 0; i < rounds; i++) {
		while (atomic_load(&turn) != 1)
			futex_wait(&turn, 0);
		atomic_store(&turn, 0);
		futex_wake(&turn);
	}
	return arg;
}

static void pingpong(long n)
{
	pthread_t t;
	rounds = n;
	pthread_create(&t, NULL, pong, NULL);
	for (long i = 0; i < n; i++) {
		atomic_store(&turn, 1);
		futex_wake(&turn);
		while (atomic_load(&turn) != 0)
			futex_wait(&turn, 1);
	}
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	if (argc != 3) {
		fprintf(stderr, "usage: %s churn|pingpong N\n", argv[0]);
		return 2;
	}
	long n = atol(argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (strcmp(argv[1], "churn") == 0)
		churn(n);
	else if (strcmp(argv[1], "pingpong") == 0)
		pingpong(n);
	else
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.6f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
