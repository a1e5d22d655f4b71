package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/asyncbook/asyncbook/cmd/book/mdbook"
	"github.com/asyncbook/asyncbook/cmd/book/mdbook/mdbooktest"
	"github.com/rogpeppe/go-internal/txtar"
)

// repoRoot is the repository root, two directories up from this package.
const repoRoot = "../.."

// TestBuildFixtures builds every fixture book in testdata/ and checks that
// the build reports exactly the problems the fixture's want file lists (one
// substring of a problem per line), and good-book none.
func TestBuildFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root, want := unpackFixture(t, file)
			if (name == "good-book") != (len(want) == 0) {
				t.Fatalf("%s: only good-book wants no problems", file)
			}
			_, err := build(root)
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			for _, w := range want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
					t.Errorf("no problem contains %q", w)
				}
			}
			for _, g := range got {
				if !slices.ContainsFunc(want, func(w string) bool { return strings.Contains(g, w) }) {
					t.Errorf("unexpected problem: %s", g)
				}
			}
			if t.Failed() {
				t.Logf("all problems:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// unpackFixture writes the txtar file's files under a new directory and
// returns it with the non-blank lines of the file named want.
func unpackFixture(t *testing.T, file string) (root string, want []string) {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	root = t.TempDir()
	return root, mdbooktest.Unpack(t, ar, root)
}

// TestGoodBookRendering checks that the good fixture renders the book's
// conventions as a reader should see them.
func TestGoodBookRendering(t *testing.T) {
	root, _ := unpackFixture(t, filepath.Join("testdata", "good-book.txtar"))
	s, err := build(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"intro.html", "ch01.html", "ch01/section.html", "appendix.html"}; !slices.Equal(s.pages, want) {
		t.Errorf("pages %q, want %q in SUMMARY order", s.pages, want)
	}
	ch01 := string(s.files["ch01.html"])
	for _, want := range []string{
		`<p class="caption">code/main.go</p>`,           // the caption, as written
		`<span class="kd">func</span>`,                  // the Go listing, highlighted
		"<blockquote>\n<p><strong>Aside: Why.</strong>", // the aside
		"<!-- check: diagram -->",                       // the comment, invisible
		`<pre><code class="language-text">a --&gt; b`,   // the diagram, as written
		"took ~55ms",                                              // ~N, as written
		`<h2 id="the-code-1">`,                                    // mdBook's ids
		"Lines 1 to 2: package main\n",                            // a line range
		`href="book/theme/extra.css"`,                             // additional CSS
		`<a rel="prev" class="nav-prev" href="intro.html"`,        // previous
		`<a rel="next" class="nav-next" href="ch01/section.html"`, // next
		`<strong>2.</strong> Chapter 2 <em class="not-written">(not yet written)</em>`,
		`<strong>1.</strong> Chapter 1: <code>Future[T]</code>`,
		`<strong>1.1.</strong> A section`,
		`<strong>3.</strong> Appendix`,
	} {
		if !strings.Contains(ch01, want) {
			t.Errorf("ch01.html does not contain %q", want)
		}
	}
	for _, bad := range []string{"ANCHOR", "{{#include"} {
		if strings.Contains(ch01, bad) {
			t.Errorf("ch01.html contains %q", bad)
		}
	}
	intro := string(s.files["intro.html"])
	if !strings.Contains(intro, `href="ch01.html#the-code"`) || !strings.Contains(intro, "Say {{#include not-a-file.go}}.") {
		t.Errorf("intro.html: links not rewritten to .html, or the escaped include not shown as text:\n%s", intro)
	}
	section := string(s.files["ch01/section.html"])
	if !strings.Contains(section, `href="../ch01.html#the-code"`) || !strings.Contains(section, `href="../book.css"`) {
		t.Errorf("ch01/section.html: links not relative to its directory")
	}
	if !bytes.Equal(s.files["index.html"], s.files["intro.html"]) {
		t.Errorf("index.html is not the first page")
	}
	for _, f := range []string{"book.css", "book.js", "highlight.css", "searchindex.js", "theme/extra.css", "book/theme/extra.css"} {
		if len(s.files[f]) == 0 {
			t.Errorf("no %s in the build", f)
		}
	}
	if !strings.Contains(string(s.files["highlight.css"]), "html.dark .chroma") {
		t.Errorf("highlight.css has no dark theme")
	}
}

// TestBuildRealBook builds the book in book/: every include resolves, every
// link and image leads somewhere, every figure is current with its data.
func TestBuildRealBook(t *testing.T) {
	s, err := build(repoRoot)
	if err != nil {
		t.Fatalf("the book does not build:\n%v", err)
	}
	res, err := mdbook.NewResolver(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	pages := res.Summary(filepath.Join(repoRoot, "book")).Pages()
	if len(s.pages) != len(pages) || len(pages) == 0 {
		t.Errorf("built %d pages, SUMMARY.md lists %d", len(s.pages), len(pages))
	}
}

// TestBuildErrorsAreLines checks that a failed build is reported as
// file:line: message lines, one per problem.
func TestBuildErrorsAreLines(t *testing.T) {
	root, _ := unpackFixture(t, filepath.Join("testdata", "dead-link.txtar"))
	err := buildCmd(root, filepath.Join(t.TempDir(), "out"))
	if err == nil {
		t.Fatal("a broken book built")
	}
	line := regexp.MustCompile(`^[^\s:]+:\d+: \S`)
	for _, l := range strings.Split(err.Error(), "\n") {
		if !line.MatchString(l) {
			t.Errorf("problem line %q is not file:line: message", l)
		}
	}
}

// TestBuildWritesDir checks that build writes a directory a browser opens
// from the file system, and refuses to replace the sources.
func TestBuildWritesDir(t *testing.T) {
	root, _ := unpackFixture(t, filepath.Join("testdata", "good-book.txtar"))
	out := filepath.Join(t.TempDir(), "site")
	if err := buildCmd(root, out); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"index.html", "ch01/section.html", "searchindex.js"} {
		if !fileExists(filepath.Join(out, f)) {
			t.Errorf("no %s in %s", f, out)
		}
	}
	for _, bad := range []string{root, filepath.Join(root, "book"), filepath.Dir(root)} {
		if err := buildCmd(root, bad); err == nil || !strings.Contains(err.Error(), "choose a directory of its own") {
			t.Errorf("build -o %s: err = %v, want a refusal", bad, err)
		}
	}
	if !fileExists(filepath.Join(root, "book", "SUMMARY.md")) {
		t.Fatal("the sources are gone")
	}
}

// TestServeShowsProblem checks that the server keeps the last good build
// and shows the last build's problem at the top of each page.
func TestServeShowsProblem(t *testing.T) {
	root, _ := unpackFixture(t, filepath.Join("testdata", "good-book.txtar"))
	s, err := build(root)
	if err != nil {
		t.Fatal(err)
	}
	srv := &server{}
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	srv.err = buildError{{File: "book/ch01.md", Line: 4, Msg: "no such file"}}
	if code, body := get("/"); code != http.StatusInternalServerError || !strings.Contains(body, "book/ch01.md:4: no such file") {
		t.Errorf("with no good build: %d %q", code, body)
	}
	srv.good, srv.err = s, nil
	if code, body := get("/ch01.html"); code != http.StatusOK || strings.Contains(body, "build-error") {
		t.Errorf("good build: %d, or an error shown", code)
	}
	srv.err = buildError{{File: "book/ch01.md", Line: 4, Msg: "no such <file>"}}
	code, body := get("/ch01.html")
	if code != http.StatusOK || !strings.Contains(body, `<body>`+"\n"+`<pre class="build-error" id="build-error">book/ch01.md:4: no such &lt;file&gt;</pre>`) {
		t.Errorf("after a failed build: %d, no error banner:\n%.400s", code, body)
	}
	if !strings.Contains(body, "<blockquote>") {
		t.Errorf("after a failed build the last good page is not served")
	}
	if code, _ := get("/nope.html"); code != http.StatusNotFound {
		t.Errorf("missing page: %d", code)
	}
	if code, body := get("/"); code != http.StatusOK || !strings.Contains(body, "Introduction") {
		t.Errorf("/: %d", code)
	}
}
