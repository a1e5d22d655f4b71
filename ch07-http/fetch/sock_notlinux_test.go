//go:build !linux

package fetch_test

import "testing"

// fullBacklog skips the test: only Linux is known to drop the SYN of a
// connection to a listener whose accept queue is full.
func fullBacklog(t testing.TB) (string, func() int) {
	t.Skip("needs Linux, which drops a SYN when the accept queue is full")
	return "", nil
}
