// Goroutine churn for scripts/bench-go.sh: for SECONDS seconds, start
// goroutines that each hand one value back over a channel and end, 64 at a
// time; print how many per second. A scheduler-heavy Go workload: gopark and
// goexit run for every goroutine, so a probe on them would show at once.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	seconds := 2.0
	if len(os.Args) > 1 {
		if v, err := strconv.ParseFloat(os.Args[1], 64); err == nil {
			seconds = v
		}
	}
	deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	done := make(chan int, 64)
	n := 0
	start := time.Now()
	for time.Now().Before(deadline) {
		for i := 0; i < 64; i++ {
			go func(v int) { done <- v }(i)
		}
		for i := 0; i < 64; i++ {
			<-done
		}
		n += 64
	}
	fmt.Printf("goroutines/s %.0f\n", float64(n)/time.Since(start).Seconds())
}
