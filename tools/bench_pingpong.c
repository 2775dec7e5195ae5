/* Futex ping-pong for scripts/bench-wakes.sh: two threads hand a turn back and
 * forth through two words, each thread sleeping in FUTEX_WAIT on its own word and
 * woken by the other's FUTEX_WAKE (raw syscalls, no glibc locks). Every round trip
 * is two wakes and, when the threads share one CPU (the harness pins them with
 * taskset), two real waits. Prints "round_trips/s N" on stdout.
 *   bench_pingpong N              N round trips
 *   bench_pingpong --seconds S    for S seconds (a fraction allowed)
 * The private futex ops (FUTEX_WAIT/FUTEX_WAKE | FUTEX_PRIVATE_FLAG) are the ones
 * glibc's mutexes and condition variables use. */
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

/* 0: wait; 1: your turn; 2: stop (pong only). */
static atomic_int ping_word, pong_word;

static void futex_wait(atomic_int *word, int val)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Waits until *word is not 0, clears it and returns what it held. */
static int take(atomic_int *word)
{
	int v;
	while ((v = atomic_load(word)) == 0)
		futex_wait(word, 0);
	atomic_store(word, 0);
	return v;
}

static void give(atomic_int *word, int v)
{
	atomic_store(word, v);
	futex_wake(word);
}

static void *pong(void *arg)
{
	while (take(&pong_word) == 1)
		give(&ping_word, 1);
	return arg;
}

static double now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long round_trips = -1;
	double seconds = -1;
	if (argc == 3 && strcmp(argv[1], "--seconds") == 0)
		seconds = atof(argv[2]);
	else if (argc == 2)
		round_trips = atol(argv[1]);
	if (round_trips <= 0 && seconds <= 0) {
		fprintf(stderr, "usage: bench_pingpong ROUND_TRIPS | bench_pingpong --seconds S\n");
		return 64;
	}
	pthread_t thread;
	if (pthread_create(&thread, NULL, pong, NULL) != 0) {
		fprintf(stderr, "bench_pingpong: cannot create a thread\n");
		return 2;
	}
	const double start = now_seconds();
	long done = 0;
	for (;;) {
		give(&pong_word, 1);
		take(&ping_word);
		++done;
		if (round_trips > 0 && done == round_trips)
			break;
		/* Reading the clock every 256 round trips keeps it out of the measurement. */
		if (seconds > 0 && done % 256 == 0 && now_seconds() - start >= seconds)
			break;
	}
	const double elapsed = now_seconds() - start;
	give(&pong_word, 2);
	pthread_join(thread, NULL);
	printf("round_trips/s %.0f\n", done / elapsed);
	return 0;
}
