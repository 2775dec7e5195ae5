// A small program with the thread leaks threadleak exists to find. Used by
// `make demo`: run it under `threadleak run` and read the report.
//
//   - a heartbeat thread waiting on a condition variable nobody signals;
//   - three workers blocked on a pipe nobody writes;
//   - a producer stuck on a full queue nobody drains.
// main() returns without joining or stopping any of them.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace {

struct Heartbeat {
    std::mutex mu;
    std::condition_variable stop_requested;
    bool stopping = false;
};

void heartbeat_loop(Heartbeat* hb) {
    std::unique_lock lock(hb->mu);
    // Waits for a stop request that never comes: nobody keeps a handle to `hb`.
    hb->stop_requested.wait(lock, [hb] { return hb->stopping; });
}

void start_heartbeat() {
    auto* hb = new Heartbeat;  // intentionally never freed: the thread still uses it
    std::thread(heartbeat_loop, hb).detach();
}

void read_requests(int fd) {
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

void start_request_readers(int count) {
    int fds[2];
    if (pipe(fds) != 0) return;
    for (int i = 0; i < count; i++) std::thread(read_requests, fds[0]).detach();
}

struct BoundedQueue {
    std::mutex mu;
    std::condition_variable not_full;
    std::deque<int> items;
    size_t capacity = 2;
};

void produce_events(BoundedQueue* q) {
    for (int i = 0;; i++) {
        std::unique_lock lock(q->mu);
        q->not_full.wait(lock, [q] { return q->items.size() < q->capacity; });
        q->items.push_back(i);
    }
}

void start_event_producer() {
    auto* q = new BoundedQueue;  // the consumer was never started
    std::thread(produce_events, q).detach();
}

}  // namespace

int main() {
    start_heartbeat();
    start_request_readers(3);
    start_event_producer();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return 0;
}
