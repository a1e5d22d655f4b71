package asyncbook_test

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Go's test cache replays a package's last result unless an input changed,
// and the inputs it knows of are the files the test process itself opens.
// The root tests build and run the chapter programs in child processes, so
// on their own they would not notice an edit to ch01-models/input.txt or to
// a main.go. hashSources opens and reads, in the test process, every file
// those children are built from or read: go.mod, go.sum, every file under a
// chNN-*/ directory except its own tests, the book and testdata/. An edit to
// any of them, or a file added or removed, then re-runs the root tests.

var sources struct {
	once sync.Once
	sum  string // of every file read, so the reads do something visible
	err  error
}

// hashSources reads every source file, once per test process, and fails t
// if it cannot. Every test that runs a chapter program or reads the book
// calls it first.
func hashSources(t *testing.T) {
	t.Helper()
	sources.once.Do(func() { sources.sum, sources.err = readSources(programs.root) })
	if sources.err != nil {
		t.Fatalf("reading the sources the chapter programs are built from: %v", sources.err)
	}
}

// readSources reads the files hashSources describes under root and returns
// the SHA-256 of their names and contents.
func readSources(root string) (string, error) {
	h := sha256.New()
	add := func(p string) error {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(p), len(data))
		h.Write(data)
		return nil
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := add(filepath.Join(root, f)); err != nil {
			return "", err
		}
	}
	dirs, err := filepath.Glob(filepath.Join(root, "ch[0-9][0-9]-*"))
	if err != nil {
		return "", err
	}
	dirs = append(dirs, filepath.Join(root, "book"), filepath.Join(root, "testdata"))
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && p != dir && strings.HasPrefix(d.Name(), "."):
				return filepath.SkipDir
			case !d.Type().IsRegular() || strings.HasSuffix(p, "_test.go"):
				return nil
			}
			return add(p)
		})
		if err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}
