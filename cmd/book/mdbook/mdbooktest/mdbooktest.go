// Package mdbooktest holds what the book checker's tests and the
// renderer's tests share: writing a fixture book, from a txtar archive or
// a map of files.
// Like net/http's httptest, it is for tests only.
package mdbooktest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// Unpack writes the files of ar under dir, except the file named want,
// whose non-blank lines it returns: the problems the test expects.
func Unpack(t testing.TB, ar *txtar.Archive, dir string) (want []string) {
	t.Helper()
	for _, f := range ar.Files {
		if f.Name == "want" {
			for _, l := range strings.Split(string(f.Data), "\n") {
				if strings.TrimSpace(l) != "" {
					want = append(want, l)
				}
			}
			continue
		}
		writeFile(t, dir, f.Name, f.Data)
	}
	return want
}

// WriteFiles writes files, each a slash-separated path under dir and its
// content, making the directories they need.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		writeFile(t, dir, name, []byte(data))
	}
}

func writeFile(t testing.TB, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o666); err != nil {
		t.Fatal(err)
	}
}
