package main

// Answers to the exercises of chapter 1. The book's answers appendix
// includes them by anchor; go test ./ch01-models runs them.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// ANCHOR: ex1

// Exercise 1: the pool opens -j inputs per round, so n inputs with latency
// L take ceil(n/j) rounds of L. With -j 7 or more it matches threads: one
// round. The fake clock of a synctest bubble makes the prediction exact.
func TestAnswerPoolRounds(t *testing.T) {
	const n, latency = 7, 20 * time.Millisecond
	inputs := make([]input, n)
	for i := range inputs {
		inputs[i] = memInput("x\n")
	}
	for j, rounds := range map[int]int{1: 7, 2: 4, 4: 2, 7: 1, 8: 1} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			err := pool(inputs, io.Discard, options{latency: latency, jobs: j})
			if err != nil {
				t.Fatal(err)
			}
			got := time.Since(start)
			if want := time.Duration(rounds) * latency; got != want {
				t.Errorf("-j %d: took %v, want %d rounds = %v",
					j, got, rounds, want)
			}
		})
	}
}

// ANCHOR_END: ex1

// ANCHOR: ex2

// Exercise 2: Scanner.Buffer raises the limit but keeps one. A line of
// exactly max-1 bytes plus its "\n" fits; one byte more is ErrTooLong.
// count has no maximum: it appends ReadSlice's pieces until the "\n".
func TestAnswerScannerBuffer(t *testing.T) {
	const max = 1 << 20
	scan := func(line string) error {
		sc := bufio.NewScanner(strings.NewReader(line + "\n"))
		sc.Buffer(nil, max)
		for sc.Scan() {
		}
		return sc.Err()
	}
	if err := scan(strings.Repeat("x", max-1)); err != nil {
		t.Errorf("a line of max-1 bytes: %v", err)
	}
	err := scan(strings.Repeat("x", max))
	if !errors.Is(err, bufio.ErrTooLong) {
		t.Errorf("a line of max bytes: %v, want bufio.ErrTooLong", err)
	}
	var out bytes.Buffer
	long := strings.Repeat("x", 4*max)
	if err := count(strings.NewReader(long+"\n"), &out, false); err != nil {
		t.Fatal(err)
	}
	if want := "4194304 " + long + "\n"; out.String() != want {
		t.Errorf("count of a 4 MiB line: got %d bytes of output", out.Len())
	}
}

// ANCHOR_END: ex2
