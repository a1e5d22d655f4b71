package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEscapeLinesInBook keeps the compiler diagnostics that the chapter 2
// page shows honest. The page cannot run `go build -gcflags=-m` through
// the book checker, which runs only `go run` blocks, and the line numbers
// it shows move whenever main.go is edited. So this test finds every
// "ch02-futures/main.go:L:C: ..." line in the page and checks that the
// compiler prints exactly that line today.
func TestEscapeLinesInBook(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: it runs the compiler")
	}
	page, err := os.ReadFile(filepath.Join("..", "book", "ch02-futures.md"))
	if err != nil {
		t.Fatal(err)
	}
	shown := regexp.MustCompile(`(?m)^ch02-futures/main\.go:\d+:\d+: .*$`).FindAllString(string(page), -1)
	if len(shown) == 0 {
		t.Fatal("book/ch02-futures.md shows no compiler diagnostics for main.go; update this test if they were removed on purpose")
	}

	// go test puts the go command that runs it first on PATH, so this is
	// the same toolchain, and the same compiler, as the test's own.
	cmd := exec.Command("go", "build", "-o", os.DevNull, "-gcflags=-m", "./ch02-futures")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	printed := make(map[string]bool)
	for line := range strings.Lines(string(bytes.ReplaceAll(out, []byte(`\`), []byte("/")))) {
		printed[strings.TrimRight(line, "\r\n")] = true
	}
	for _, want := range shown {
		if !printed[want] {
			t.Errorf("book/ch02-futures.md shows %q, but the compiler no longer prints it; run\n\tgo build -o /dev/null -gcflags=-m ./ch02-futures 2>&1 | grep -E 'moved to heap: wakes|&deadline'\nand update the page", want)
		}
	}
}
