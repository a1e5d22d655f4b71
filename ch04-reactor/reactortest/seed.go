package reactortest

import (
	"math/rand/v2"
	"testing"
)

// Seed returns the seed of t's random numbers: fixed, the value of a
// test flag, unless it is 0; then a new one each run. If t fails, Seed
// logs the seed and how to repeat the run with the flag named flagName.
func Seed(t testing.TB, fixed uint64, flagName string) uint64 {
	s := fixed
	if s == 0 {
		s = rand.Uint64()
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("random seed %d: rerun with -%s=%d", s, flagName, s)
		}
	})
	return s
}
