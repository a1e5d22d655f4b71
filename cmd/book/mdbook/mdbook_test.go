package mdbook

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/asyncbook/asyncbook/cmd/book/mdbook/mdbooktest"
)

// resolver writes files (path: content) under a new directory and
// returns a Resolver for it, and the directory.
func resolver(t *testing.T, files map[string]string) (*Resolver, string) {
	t.Helper()
	root := t.TempDir()
	mdbooktest.WriteFiles(t, root, files)
	r, err := NewResolver(root)
	if err != nil {
		t.Fatal(err)
	}
	return r, root
}

// TestExpand checks what an include becomes, as mdBook expands it.
func TestExpand(t *testing.T) {
	r, root := resolver(t, map[string]string{
		"code/a.go": "package a\n\n// ANCHOR: f\n// ANCHOR: inner\nfunc f() {}\n// ANCHOR_END: inner\n\nfunc g() {}\n// ANCHOR_END: f\n",
	})
	page := filepath.Join(root, "book", "ch.md")
	for _, tt := range []struct{ in, want string }{
		{"{{#include ../code/a.go:f}}", "func f() {}\n\nfunc g() {}"},
		{"{{#include ../code/a.go:1}}", "package a"},
		{"{{#include ../code/a.go:5:5}}", "func f() {}"},
		{"x {{ #include ../code/a.go::1 }} y", "x package a y"},
		{`\{{#include ../code/a.go}}`, "{{#include ../code/a.go}}"},
		{"{{#playground x.rs}}", "{{#playground x.rs}}"},
	} {
		if got := r.Expand(page, tt.in); got != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if len(r.Problems) > 0 {
		t.Errorf("problems: %v", r.Problems)
	}
	if got := r.Expand(page, "a\n{{#include ../code/nope.go}}"); got != "a\n{{#include ../code/nope.go}}" {
		t.Errorf("an include that does not resolve became %q", got)
	}
	if len(r.Problems) != 1 || !strings.HasPrefix(r.Problems[0].String(), "book/ch.md:2: ") {
		t.Errorf("problems %v, want one at book/ch.md:2", r.Problems)
	}
	if got := r.Included(); !slices.Equal(got, []string{filepath.Join(root, "code", "a.go")}) {
		t.Errorf("Included() = %q", got)
	}
}

// TestSummary checks how SUMMARY.md's lines become entries.
func TestSummary(t *testing.T) {
	r, root := resolver(t, map[string]string{
		"book/SUMMARY.md": "# Summary\n\n[Intro](intro.md)\n\n- [One](one.md)\n  - [One A](one/a.md)\n  - [One B]()\n- [Two `T[x]`]()\n\n---\n\n# Part II\n\n- [Three](three.md)\n\n[Outro](outro.md)\nstray text\n",
		"book/intro.md":   "", "book/one.md": "", "book/one/a.md": "", "book/three.md": "", "book/outro.md": "",
	})
	s := r.Summary(filepath.Join(root, "book"))
	var got []string
	for _, e := range s.Entries {
		switch {
		case e.Separator:
			got = append(got, "---")
		case e.Part:
			got = append(got, "# "+e.Title)
		default:
			got = append(got, strings.TrimSpace(e.Number+" "+e.Title+" "+e.Path))
		}
	}
	want := []string{"Intro intro.md", "1. One one.md", "1.1. One A one/a.md", "1.2. One B", "2. Two `T[x]`", "---", "# Part II", "3. Three three.md", "Outro outro.md"}
	if !slices.Equal(got, want) {
		t.Errorf("entries\n%q\nwant\n%q", got, want)
	}
	if s.Title != "Summary" {
		t.Errorf("title %q", s.Title)
	}
	if len(r.Problems) != 1 || !strings.HasPrefix(r.Problems[0].String(), `book/SUMMARY.md:17: "stray text"`) {
		t.Errorf("problems %v, want one at the stray line", r.Problems)
	}
}

// TestLines checks what a listing shows: marker lines dropped from ranges
// too, and nothing reported.
func TestLines(t *testing.T) {
	r, root := resolver(t, map[string]string{"code/a.go": "package a\n// ANCHOR: f\nfunc f() {}\n// ANCHOR_END: f\n"})
	page := filepath.Join(root, "book", "ch.md")
	rel, lines, ok := r.Lines(page, "../code/a.go")
	if !ok || rel != "code/a.go" || !slices.Equal(lines, []string{"package a", "func f() {}"}) {
		t.Errorf("Lines = %q %q %v", rel, lines, ok)
	}
	if _, _, ok := r.Lines(page, "../code/a.go:nope"); ok || len(r.Problems) != 0 {
		t.Errorf("a missing anchor: ok %v, problems %v", ok, r.Problems)
	}
}

// TestSummaryTree checks what reading SUMMARY.md as Markdown gets right:
// a comment and a code block are no entries, numbering runs on across a
// separator as mdBook's does, a nested list nests, a link title keeps its
// Markdown, and a list item with two links or none is reported at its line.
func TestSummaryTree(t *testing.T) {
	r, root := resolver(t, map[string]string{
		"book/SUMMARY.md": "# Summary\n\n<!-- a comment\n- [Not](an-entry.md)\n-->\n\n- [A *b* `c]`](a.md)\n  * [A1](a1.md)\n\n---\n\n- [B](b.md)\n- plain words\n- [C](c.md) [D](d.md)\n\n```\n- [E](e.md)\n```\n",
		"book/a.md":       "", "book/a1.md": "", "book/b.md": "", "book/c.md": "", "book/d.md": "",
	})
	s := r.Summary(filepath.Join(root, "book"))
	var got []string
	for _, e := range s.Entries {
		if e.Separator {
			got = append(got, "---")
			continue
		}
		got = append(got, fmt.Sprintf("%d: %s %s %s", e.Line, e.Number, e.Title, e.Path))
	}
	want := []string{"7: 1. A *b* `c]` a.md", "8: 1.1. A1 a1.md", "---", "12: 2. B b.md", "14: 3. C c.md"}
	if !slices.Equal(got, want) {
		t.Errorf("entries\n%q\nwant\n%q", got, want)
	}
	var problems []string
	for _, p := range r.Problems {
		problems = append(problems, p.String())
	}
	if len(problems) != 2 || !strings.HasPrefix(problems[0], `book/SUMMARY.md:13: "- plain words"`) || !strings.HasPrefix(problems[1], `book/SUMMARY.md:14: "- [C](c.md) [D](d.md)"`) {
		t.Errorf("problems\n%s\nwant one at line 13 and one at line 14", strings.Join(problems, "\n"))
	}
}

// TestIncludeKeepsFile checks that the lines an include returns are the
// caller's: appending to them does not change what the next include of
// the same file, which the Resolver does not read again, returns.
func TestIncludeKeepsFile(t *testing.T) {
	r, root := resolver(t, map[string]string{"code/a.go": "package a\n\nfunc f() {}\n"})
	page := filepath.Join(root, "book", "ch.md")
	one, ok := r.Include(page, 1, "", "../code/a.go:1")
	if !ok {
		t.Fatalf("problems: %v", r.Problems)
	}
	_ = append(one, "// written by the caller")
	all, ok := r.Include(page, 2, "", "../code/a.go")
	if want := []string{"package a", "", "func f() {}"}; !ok || !slices.Equal(all, want) {
		t.Errorf("the file's lines are %q, want %q", all, want)
	}
}
