//go:build !race

package asyncbook_test

// raceEnabled reports whether this test binary was built with -race; if so,
// TestMain builds the chapter programs with -race too.
const raceEnabled = false
