// Package mdbook reads a book the way mdBook reads it: the table of contents
// in SUMMARY.md, and the {{#include}} links that cut listings out of the
// repository's source files.
//
// It is the one implementation of those rules in the repository. The book
// checker (the root package's tests) uses it to report every include that
// does not resolve and every anchor that does not balance; the renderer
// (cmd/book) uses it to expand the same includes into the pages it builds.
// So a listing the checker accepts is the listing the reader sees.
//
// Every problem found is recorded as a Problem naming a file and a line,
// with paths relative to the repository root (the book directory's parent).
package mdbook

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A Problem is one thing wrong with the book, at a line of a file.
type Problem struct {
	File string // slash-separated, relative to the repository root
	Line int    // 1-based; 0 when the problem is with the whole file
	Msg  string
}

// String formats p as file:line: message, the form editors and go vet use.
func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// A Resolver expands and checks the includes of the pages of one
// repository, and records the problems it finds. It is not safe for
// concurrent use.
type Resolver struct {
	Root     string    // absolute; the repository root
	Problems []Problem // every problem found so far, in the order found

	anchored map[string]bool     // files whose anchors have been checked
	files    map[string][]string // the lines of every file read, by path
}

// NewResolver returns a Resolver for the repository whose root is the
// directory root.
func NewResolver(root string) (*Resolver, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	return &Resolver{Root: abs, anchored: make(map[string]bool), files: make(map[string][]string)}, nil
}

// Report records a problem at line of file (a path relative to the root).
func (r *Resolver) Report(file string, line int, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{file, line, fmt.Sprintf(format, args...)})
}

// Included returns the absolute paths of every file an include has read so
// far, sorted.
func (r *Resolver) Included() []string {
	var files []string
	for f := range r.anchored {
		files = append(files, f)
	}
	slices.Sort(files)
	return files
}

// Rel returns the absolute path p relative to the root, slash-separated.
func (r *Resolver) Rel(p string) string {
	rel, err := filepath.Rel(r.Root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// InRoot reports whether the absolute path p, after following symbolic
// links, is inside the repository root.
func (r *Resolver) InRoot(p string) bool {
	root, err := filepath.EvalSymlinks(r.Root)
	if err != nil {
		return false
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// ReadLines returns the lines of a text file without their line endings.
func ReadLines(file string) ([]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return SplitLines(string(data)), nil
}

// SplitLines splits s into lines as Rust's str::lines does (and so as mdBook
// counts them): on "\n", dropping a "\r" before it, with no empty last line
// for a final newline.
func SplitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// Link matches mdBook's links, {{#type target}}, and escaped ones,
// \{{#...}}, which mdBook prints as text; the expression is mdBook's.
var Link = regexp.MustCompile(`\\\{\{#.*\}\}|\{\{\s*#([a-zA-Z0-9_]+)\s+([^}]+)\}\}`)

// CheckIncludes checks every include in the page text: its file exists in
// the repository, and its anchor or line range is in the file.
func (r *Resolver) CheckIncludes(page, text string) {
	r.Expand(page, text)
}

// Expand returns the page text with every include replaced by the lines it
// names, as mdBook replaces it: anchor marker lines dropped from an anchored
// include, an escaped \{{#...}} shown without its backslash, and other
// links ({{#playground}} and the like) left as they are. An include that
// does not resolve is reported and left in the text.
func (r *Resolver) Expand(page, text string) string {
	var b strings.Builder
	last := 0
	for _, m := range Link.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(text[last:m[0]])
		last = m[1]
		if text[m[0]] == '\\' {
			b.WriteString(text[m[0]+1 : m[1]])
			continue
		}
		kind := text[m[2]:m[3]]
		if kind != "include" && kind != "rustdoc_include" {
			b.WriteString(text[m[0]:m[1]])
			continue
		}
		line := 1 + strings.Count(text[:m[0]], "\n")
		target := strings.Fields(text[m[4]:m[5]])
		if len(target) == 0 {
			r.Report(r.Rel(page), line, "%s: include of no file", text[m[0]:m[1]])
			b.WriteString(text[m[0]:m[1]])
			continue
		}
		lines, ok := r.Include(page, line, text[m[0]:m[1]], target[0])
		if !ok {
			b.WriteString(text[m[0]:m[1]])
			continue
		}
		b.WriteString(strings.Join(lines, "\n"))
	}
	b.WriteString(text[last:])
	return b.String()
}

// Include resolves one include, shown as link, of target (PATH or
// PATH:SPEC) on line of page, and returns the lines it includes. If it
// does not resolve, it reports why and returns false.
func (r *Resolver) Include(page string, line int, link, target string) ([]string, bool) {
	p, lines, first, last, anchored, ok := r.span(page, line, link, target)
	if !ok {
		return nil, false
	}
	if !anchored {
		return lines[first-1 : last : last], true // an append must not write into r.files
	}
	// The lines mdBook takes (take_anchored_lines): after the start marker,
	// up to the matching end, without any line holding a marker.
	taken := slices.DeleteFunc(slices.Clone(lines[first-1:last]), IsMarker)
	if !slices.ContainsFunc(taken, func(l string) bool { return strings.TrimSpace(l) != "" }) {
		_, spec, _ := strings.Cut(target, ":")
		name, _, _ := strings.Cut(spec, ":")
		r.Report(r.Rel(page), line, "%s: anchor %q in %s marks no code", link, name, r.Rel(p))
		return nil, false
	}
	return taken, true
}

// Span says where an include of target (PATH or PATH:SPEC, PATH relative
// to page) sits in its file: the file, its lines (which the caller must
// not change), and the 1-based lines first to last the include takes
// from them (for an anchor, every line between its markers, marker lines
// within included). It reports nothing: an include that does not resolve
// returns false, and Include (or Expand) is what reports why.
func (r *Resolver) Span(page, target string) (file string, lines []string, first, last int, ok bool) {
	n := len(r.Problems)
	defer func() { r.Problems = r.Problems[:n] }()
	file, lines, first, last, _, ok = r.span(page, 0, "", target)
	return file, lines, first, last, ok
}

// span is Span, reporting why an include does not resolve, and saying
// whether the include names an anchor.
func (r *Resolver) span(page string, line int, link, target string) (p string, lines []string, first, last int, anchored, ok bool) {
	where := r.Rel(page)
	file, spec, hasSpec := strings.Cut(target, ":")
	if filepath.IsAbs(file) || path.IsAbs(file) {
		r.Report(where, line, "%s: include a file by a path relative to the page, not an absolute path", link)
		return
	}
	p = filepath.Join(filepath.Dir(page), filepath.FromSlash(file))
	if !r.InRoot(p) {
		r.Report(where, line, "%s: %s is outside the repository", link, file)
		return
	}
	// A page's includes are expanded more than once (the renderer expands
	// them as written, then captioned, and places each listing), and a
	// file is included by many pages: it is read once per Resolver.
	lines, read := r.files[p]
	if !read {
		data, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				err = errors.New("no such file")
			}
			r.Report(where, line, "%s: %s: %v", link, r.Rel(p), err)
			return
		}
		lines = SplitLines(string(data))
		r.files[p] = lines
		r.CheckAnchors(p, lines)
	}
	if !hasSpec {
		return p, lines, 1, len(lines), false, true
	}

	// The include's range or anchor, parsed as mdBook parses it
	// (parse_range_or_anchor in mdBook's src/preprocess/links.rs), except
	// that what mdBook quietly clamps or ignores is reported here.
	parts := strings.SplitN(spec, ":", 3)
	start, startErr := strconv.Atoi(parts[0])
	if parts[0] != "" && startErr != nil {
		first, last, ok = anchorSpan(lines, parts[0])
		if !ok {
			r.Report(where, line, "%s: no anchor %q in %s", link, parts[0], r.Rel(p))
		}
		return p, lines, first, last, true, ok
	}
	hasStart := parts[0] != ""
	end, hasEnd := len(lines), false
	switch {
	case len(parts) == 1: // PATH:N, one line (PATH: is the whole file)
		if hasStart {
			end, hasEnd = start, true
		}
	case parts[1] == "": // PATH:N: or PATH::, to the end
	default:
		n, err := strconv.Atoi(parts[1])
		if err != nil {
			r.Report(where, line, "%s: bad line range: %q is not a line number", link, parts[1])
			return
		}
		end, hasEnd = n, true
	}
	if !hasStart {
		start = 1
	}
	n := len(lines)
	switch {
	case hasStart && start < 1, hasEnd && end < 1:
		r.Report(where, line, "%s: bad line range: lines are numbered from 1", link)
	case start > n || end > n:
		r.Report(where, line, "%s: lines %d to %d are not all in %s, which has %d lines", link, start, end, r.Rel(p), n)
	case start > end:
		r.Report(where, line, "%s: bad line range: %d comes after %d", link, start, end)
	default:
		return p, lines, start, end, false, true
	}
	return p, lines, 0, 0, false, false
}

// anchorSpan returns the 1-based lines between the start marker of the
// anchor name and its end marker, or the end of the file if it has none
// (CheckAnchors reports that); last is first-1 if they hold no line.
func anchorSpan(lines []string, name string) (first, last int, found bool) {
	for i, l := range lines {
		if !found {
			if m := anchorStart.FindStringSubmatch(l); m != nil && m[1] == name {
				found, first = true, i+2
			}
			continue
		}
		if m := anchorEnd.FindStringSubmatch(l); m != nil && m[1] == name {
			return first, i, true
		}
	}
	return first, len(lines), found
}

// IsMarker says whether a line holds an anchor marker, which a listing
// never shows.
func IsMarker(l string) bool { return anchorStart.MatchString(l) || anchorEnd.MatchString(l) }

// anchorWord is the word every anchor marker starts with, spelled in two
// pieces so that go doc, which prints this declaration, shows no marker.
const anchorWord = "ANCH" + "OR"

// Anchor markers, start and end, as mdBook matches them (the START and END
// expressions in mdBook's src/utils/string.rs): anywhere in a line, at most
// one of each kind per line. Submatch 1 is the anchor's name.
var (
	AnchorStart = regexp.MustCompile(anchorWord + `:\s*([\w_-]+)`)
	AnchorEnd   = regexp.MustCompile(anchorWord + `_END:\s*([\w_-]+)`)
)

// anchorStart and anchorEnd are the package's short names for them.
var anchorStart, anchorEnd = AnchorStart, AnchorEnd

// Lines returns what an include of target (PATH or PATH:SPEC, PATH relative
// to page) shows in a listing: its lines with every anchor marker line
// dropped, and the file's path relative to the root. It reports nothing:
// an include that does not resolve returns false, and Include (or Expand)
// is what reports why.
func (r *Resolver) Lines(page, target string) (rel string, lines []string, ok bool) {
	n := len(r.Problems)
	defer func() { r.Problems = r.Problems[:n] }()
	file, _, _ := strings.Cut(target, ":")
	lines, ok = r.Include(page, 0, "", target)
	if !ok {
		return "", nil, false
	}
	lines = slices.DeleteFunc(slices.Clone(lines), IsMarker)
	return r.Rel(filepath.Join(filepath.Dir(page), filepath.FromSlash(file))), lines, true
}

// CheckAnchors checks, once per file, that the anchor markers in an
// included file balance: each name opened is closed later, and not opened
// again while open; each end closes an open name.
func (r *Resolver) CheckAnchors(p string, lines []string) {
	if r.anchored[p] {
		return
	}
	r.anchored[p] = true
	where := r.Rel(p)
	open := make(map[string]int) // name -> line it was opened on
	for i, l := range lines {
		type marker struct {
			at    int
			name  string
			start bool
		}
		var ms []marker
		if m := anchorStart.FindStringSubmatchIndex(l); m != nil {
			ms = append(ms, marker{m[0], l[m[2]:m[3]], true})
		}
		if m := anchorEnd.FindStringSubmatchIndex(l); m != nil {
			ms = append(ms, marker{m[0], l[m[2]:m[3]], false})
		}
		slices.SortFunc(ms, func(a, b marker) int { return a.at - b.at })
		for _, m := range ms {
			switch first, isOpen := open[m.name]; {
			case m.start && isOpen:
				r.Report(where, i+1, "ANCHOR: %s opened again; it is still open from line %d", m.name, first)
			case m.start:
				open[m.name] = i + 1
			case !isOpen:
				r.Report(where, i+1, "ANCHOR_END: %s has no ANCHOR: %s before it", m.name, m.name)
			default:
				delete(open, m.name)
			}
		}
	}
	names := make([]string, 0, len(open))
	for name := range open {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		r.Report(where, open[name], "ANCHOR: %s is never closed by ANCHOR_END: %s", name, name)
	}
}
