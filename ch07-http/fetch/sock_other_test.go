//go:build !unix

package fetch_test

import "testing"

// refusedAddr skips the test: it needs a socket that is bound but not
// listening, made with package unix.
func refusedAddr(t testing.TB) string {
	t.Skip("needs a bound socket that does not listen, made with x/sys/unix")
	return ""
}
