package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asyncbook/asyncbook/cmd/book/figure"
	"github.com/asyncbook/asyncbook/cmd/book/mdbook/mdbooktest"
)

// stampOnly stands in for the charts command: it writes, for each data
// file, an SVG that holds nothing but the data file's stamp.
func stampOnly(t *testing.T, drew *[]string) func([]string) error {
	return func(files []string) error {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			*drew = append(*drew, filepath.Base(f))
			svg := figure.Stamped([]byte("<svg/>\n"), filepath.Base(f), data)
			if err := os.WriteFile(strings.TrimSuffix(f, ".txt")+".svg", svg, 0o666); err != nil {
				return err
			}
		}
		return nil
	}
}

// benchBook is a book with two figures made by one command, which counts
// its runs in runs.log, and a third by another command.
func benchBook(t *testing.T, second string) string {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("skipping: bench runs its commands through sh, and there is none")
	}
	root := t.TempDir()
	const shared = "echo run >>runs.log; printf 'cpu: Fake\\nBenchmarkX/a-4 1 5 ns/op\\nBenchmarkX/b-4 1 7 ns/op\\n'"
	mdbooktest.WriteFiles(t, root, map[string]string{
		"mdbook.toml":     "[book]\nsrc = \"book\"\n",
		"book/SUMMARY.md": "- [A](a.md)\n",
		"book/a.md":       "# A\n\n![x](figures/x.svg)\n\n![y](figures/y.svg)\n\n![z](figures/z.svg)\n",
		"book/figures/x.txt": "# prepare: echo prepared >>runs.log\n# command: " + shared + "\n# machine: old\n# machine: older\n" +
			"# title: X\n# unit: ns/op\n# ours: a\n# theirs: b\n# bar: x | X/a | X/b\n",
		"book/figures/y.txt": "# command: " + shared + "\n" +
			"# title: Y\n# unit: ns/op\n# ours: b\n# theirs: a\n# bar: y | X/b | X/a\n",
		"book/figures/z.txt": "# command: " + second + "\n" +
			"# title: Z\n# unit: ns/op\n# ours: b\n# theirs: a\n# bar: z | Z/b | Z/a\n",
	})
	return root
}

// TestBenchRewritesData checks that bench runs a prepare line first, then
// each distinct command once, keeps each header with one new machine line,
// and draws charts the build accepts.
func TestBenchRewritesData(t *testing.T) {
	root := benchBook(t, "printf 'BenchmarkZ/a 1 5 ns/op\\nBenchmarkZ/b 1 7 ns/op\\n'")
	if _, err := build(root); err == nil || !strings.Contains(err.Error(), "image figures/x.svg: no such file") {
		t.Fatalf("before bench: err = %v, want no chart yet", err)
	}
	var drew []string
	var out strings.Builder
	if err := benchCmd(root, &out, stampOnly(t, &drew)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "[1/3] echo prepared >>runs.log\n[2/3] echo run >>runs.log;") ||
		!strings.Contains(out.String(), "\nBenchmarkX/b-4 1 7 ns/op\n[3/3] printf") {
		t.Errorf("bench printed:\n%s\nwant [k/N] before each command and each command's output", out.String())
	}
	if log, _ := os.ReadFile(filepath.Join(root, "runs.log")); string(log) != "prepared\nrun\n" {
		t.Errorf("runs.log = %q, want the prepare line, then the shared command once", log)
	}
	if strings.Join(drew, " ") != "x.txt y.txt z.txt" {
		t.Errorf("drew %v, want every data file", drew)
	}
	data, err := os.ReadFile(filepath.Join(root, "book", "figures", "x.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "# machine:"); n != 1 || !strings.Contains(string(data), "# machine: Fake, ") ||
		!strings.HasSuffix(string(data), "BenchmarkX/b-4 1 7 ns/op\n") {
		t.Errorf("data file after bench (%d machine lines):\n%s", n, data)
	}
	if _, err := build(root); err != nil {
		t.Errorf("after bench the book does not build: %v", err)
	}
}

// TestBenchChangesNothingOnFailure checks that when one command fails, or
// its output cannot be drawn, no data file is rewritten, not even those
// whose command succeeded.
func TestBenchChangesNothingOnFailure(t *testing.T) {
	for name, second := range map[string]string{
		"fails":      "echo broken >&2; exit 3",
		"undrawable": "echo no benchmarks here",
	} {
		t.Run(name, func(t *testing.T) {
			root := benchBook(t, second)
			before, _ := os.ReadFile(filepath.Join(root, "book", "figures", "x.txt"))
			var drew []string
			err := benchCmd(root, io.Discard, stampOnly(t, &drew))
			if err == nil || !strings.Contains(err.Error(), "no data file was changed") {
				t.Fatalf("err = %v, want a failure that changed no data file", err)
			}
			after, _ := os.ReadFile(filepath.Join(root, "book", "figures", "x.txt"))
			if string(after) != string(before) || len(drew) > 0 {
				t.Errorf("x.txt changed or charts drawn (%v) after a failed bench", drew)
			}
		})
	}
}
