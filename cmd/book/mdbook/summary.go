package mdbook

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// A Summary is the table of contents in a book's SUMMARY.md.
type Summary struct {
	Title   string  // the first heading, if the file starts with one
	Entries []Entry // in the file's order
}

// An Entry is one line of SUMMARY.md that the sidebar shows: a chapter, a
// draft chapter, a part title or a separator.
type Entry struct {
	Line      int    // in SUMMARY.md, 1-based
	Title     string // the link text or part title, as Markdown
	Path      string // the page, slash-separated, relative to the book directory; "" for a draft
	Number    string // "1.", "2.1." for numbered chapters; "" for prefix and suffix chapters
	Depth     int    // 0 for top-level chapters
	Draft     bool   // a link with no target, [Title](): a chapter not yet written
	Part      bool   // a part title (# Title) rather than a chapter
	Separator bool   // a line of ---
}

// summaryLink matches a Markdown link, allowing one level of brackets in the
// title (as in [Chapter 2: `Future[T]`]).
var summaryLink = regexp.MustCompile(`\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)]*)\)`)

// listItem matches a numbered chapter: a list item holding a link.
var listItem = regexp.MustCompile(`^(\s*)[-*+] +(\[.*)$`)

// Summary reads bookDir/SUMMARY.md as mdBook does: links before the first
// list are prefix chapters, list items are numbered chapters (nested by
// indentation), links after the list are suffix chapters, `# Title` starts
// a part and `---` is a separator. It checks that every link leads to a
// .md page in the book (draft entries, [Title](), are fine) and reports
// what does not, and any line that is none of these.
func (r *Resolver) Summary(bookDir string) *Summary {
	s := new(Summary)
	file := filepath.Join(bookDir, "SUMMARY.md")
	where := r.Rel(file)
	lines, err := ReadLines(file)
	if err != nil {
		r.Report(where, 0, "%v", err)
		return s
	}
	var (
		counters []int // the numbers of the open list levels
		indents  []int // their indentation
		numbered bool  // a list has started
		inFence  bool
	)
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			inFence = !inFence
			continue
		}
		switch {
		case inFence, trimmed == "", strings.HasPrefix(trimmed, "<!--"):
			continue
		case strings.HasPrefix(trimmed, "#"):
			title := strings.TrimSpace(strings.TrimLeft(trimmed, "#"))
			if s.Title == "" && len(s.Entries) == 0 {
				s.Title = title
				continue
			}
			s.Entries = append(s.Entries, Entry{Line: i + 1, Title: title, Part: true})
			continue
		case strings.Trim(trimmed, "-") == "" && len(trimmed) >= 3:
			s.Entries = append(s.Entries, Entry{Line: i + 1, Separator: true})
			continue
		}
		e := Entry{Line: i + 1}
		text := trimmed
		if m := listItem.FindStringSubmatch(line); m != nil {
			indent := len(strings.ReplaceAll(m[1], "\t", "    "))
			for len(indents) > 0 && indent < indents[len(indents)-1] {
				indents, counters = indents[:len(indents)-1], counters[:len(counters)-1]
			}
			if len(indents) == 0 || indent > indents[len(indents)-1] {
				indents, counters = append(indents, indent), append(counters, 0)
			}
			counters[len(counters)-1]++
			var num strings.Builder
			for _, c := range counters {
				num.WriteString(strconv.Itoa(c) + ".")
			}
			e.Number, e.Depth, numbered = num.String(), len(counters)-1, true
			text = m[2]
		} else if numbered {
			counters, indents = nil, nil // a suffix chapter ends the list
		}
		m := summaryLink.FindStringSubmatchIndex(text)
		if m == nil || m[0] != 0 || strings.TrimSpace(text[m[1]:]) != "" {
			r.Report(where, i+1, "%q: a summary line is a link [Title](page.md), a list item holding one, # Part, or ---", trimmed)
			continue
		}
		e.Title, e.Path = text[m[2]:m[3]], strings.TrimSpace(text[m[4]:m[5]])
		target, _, _ := strings.Cut(e.Path, "#")
		switch {
		case target == "":
			e.Draft, e.Path = true, "" // a chapter listed, with no page yet
		case strings.Contains(target, "://") || path.IsAbs(target):
			r.Report(where, i+1, "[%s](%s): a summary entry is a page in the book, by a relative path", e.Title, e.Path)
			continue
		default:
			p := filepath.Join(bookDir, filepath.FromSlash(target))
			if _, err := os.Stat(p); err != nil {
				r.Report(where, i+1, "[%s](%s): no such page %s", e.Title, e.Path, r.Rel(p))
			} else if !strings.HasSuffix(target, ".md") {
				r.Report(where, i+1, "[%s](%s): a summary entry is a .md page", e.Title, e.Path)
			}
			e.Path = path.Clean(target)
		}
		s.Entries = append(s.Entries, e)
	}
	return s
}

// Pages returns the entries of s that are pages (not drafts, parts or
// separators), in order.
func (s *Summary) Pages() []Entry {
	var pages []Entry
	for _, e := range s.Entries {
		if e.Path != "" {
			pages = append(pages, e)
		}
	}
	return pages
}

// Listed walks bookDir for its pages (every .md file but SUMMARY.md),
// reports each one that s does not list, and returns them all, as absolute
// paths in walk order.
func (r *Resolver) Listed(bookDir string, s *Summary) []string {
	listed := make(map[string]bool)
	for _, e := range s.Pages() {
		listed[filepath.Join(bookDir, filepath.FromSlash(e.Path))] = true
	}
	summary := filepath.Join(bookDir, "SUMMARY.md")
	var pages []string
	err := filepath.WalkDir(bookDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".md") || p == summary {
			return nil
		}
		pages = append(pages, p)
		if !listed[p] {
			r.Report(r.Rel(p), 1, "page is not listed in %s", r.Rel(summary))
		}
		return nil
	})
	if err != nil {
		r.Report(r.Rel(bookDir), 0, "%v", err)
	}
	return pages
}
