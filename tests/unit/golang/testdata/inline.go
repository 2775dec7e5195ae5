// Fixture of tests/unit/golang/go_pclntab_test.cpp (lookup_inlined): calls the
// compiler inlines (check with go build -gcflags=-m), two levels deep, and a
// sync.Mutex.Lock whose slow-path call sits inside the inlined Lock body.
// Run with "frames", it prints Go's own view of leaf's callers. Line numbers
// are asserted by the test: keep them.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
)

var mu sync.Mutex

//go:noinline
func leaf(n int) int {
	if len(os.Args) > 1 && os.Args[1] == "frames" {
		printFrames()
	}
	return n * 2
}

func bump(n int) int {
	return leaf(n) + 1 // line 26: the call inside the inlined bump
}

func twice(n int) int {
	return bump(n) + 3 // line 30: bump inlined into twice
}

//go:noinline
func outer(n int) int {
	mu.Lock() // line 35: sync.(*Mutex).Lock inlined here
	r := twice(n) // line 36: twice inlined here
	mu.Unlock()
	return r
}

func printFrames() {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(2, pcs) // pcs[0]: in leaf; pcs[1]: the return address into outer
	ret := pcs[1]
	fmt.Printf("retoff %x\n", ret-runtime.FuncForPC(ret).Entry())
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		fmt.Printf("frame %s|%s|%d\n", f.Function, f.File, f.Line)
		if !more {
			break
		}
	}
}

func main() {
	fmt.Println(outer(len(os.Args)))
}
