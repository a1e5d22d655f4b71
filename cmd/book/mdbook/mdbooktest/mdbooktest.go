// Package mdbooktest holds what the book checker's tests and the
// renderer's tests share: unpacking a fixture book from a txtar archive.
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
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	return want
}
