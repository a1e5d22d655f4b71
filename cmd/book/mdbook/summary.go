package mdbook

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
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

// Summary reads bookDir/SUMMARY.md as mdBook does, from its Markdown
// syntax tree (goldmark's, CommonMark as mdBook's pulldown-cmark reads
// it): links in paragraphs before the first list are prefix chapters,
// list items are numbered chapters (nested lists nest them), links after
// the lists are suffix chapters, a heading after the first starts a part
// and a thematic break (---) is a separator. It checks that every link
// leads to a .md page in the book (draft entries, [Title](), are fine)
// and reports what does not, and any text that is none of these.
func (r *Resolver) Summary(bookDir string) *Summary {
	s := new(Summary)
	file := filepath.Join(bookDir, "SUMMARY.md")
	data, err := os.ReadFile(file)
	if err != nil {
		r.Report(r.Rel(file), 0, "%v", err)
		return s
	}
	sp := &summaryParser{r: r, s: s, bookDir: bookDir, where: r.Rel(file), src: data, lines: SplitLines(string(data))}
	doc := goldmark.DefaultParser().Parse(text.NewReader(data))
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		switch n := n.(type) {
		case *ast.Heading:
			title := sp.raw(n)
			if s.Title == "" && len(s.Entries) == 0 {
				s.Title = title
				continue
			}
			s.Entries = append(s.Entries, Entry{Line: sp.lineOf(n), Title: title, Part: true})
		case *ast.ThematicBreak:
			s.Entries = append(s.Entries, Entry{Line: sp.lineOf(n), Separator: true})
		case *ast.List:
			sp.list(n, "", 0, &sp.top)
			sp.numbered = true
		case *ast.Paragraph:
			if sp.numbered {
				sp.top = 0 // a suffix chapter ends the numbering
			}
			sp.links(n, "", 0)
		case *ast.HTMLBlock:
			// a comment
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			// shown by mdBook as nothing in the sidebar
		default:
			sp.stray(n)
		}
	}
	return s
}

// A summaryParser holds the state of one reading of SUMMARY.md.
type summaryParser struct {
	r        *Resolver
	s        *Summary
	bookDir  string
	where    string
	src      []byte
	lines    []string
	top      int  // the last top-level chapter number
	numbered bool // a list has been read
}

// start is the offset in the source of a node's first text.
func (sp *summaryParser) start(n ast.Node) int {
	if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
		return n.Lines().At(0).Start
	}
	at := -1
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			at = t.Segment.Start
			return ast.WalkStop, nil
		}
		if entering && c.Type() == ast.TypeBlock && c.Lines().Len() > 0 {
			at = c.Lines().At(0).Start
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return at
}

// lineOf is the 1-based line of a node's first text.
func (sp *summaryParser) lineOf(n ast.Node) int {
	at := sp.start(n)
	if at < 0 {
		if p := n.PreviousSibling(); p != nil {
			return sp.lineOf(p) + 1
		}
		return 0
	}
	return sp.lineAt(at)
}

// lineAt is the 1-based line of an offset in the source.
func (sp *summaryParser) lineAt(at int) int { return 1 + bytes.Count(sp.src[:at], []byte("\n")) }

// raw is a block's text as written, its lines joined by spaces.
func (sp *summaryParser) raw(n ast.Node) string {
	var parts []string
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		parts = append(parts, strings.TrimSpace(string(seg.Value(sp.src))))
	}
	return strings.Join(parts, " ")
}

// stray reports a block that is not a summary entry, at its first line.
func (sp *summaryParser) stray(n ast.Node) { sp.strayLine(sp.lineOf(n)) }

// strayLine reports the line of the summary as no summary entry.
func (sp *summaryParser) strayLine(line int) {
	text := ""
	if line >= 1 && line <= len(sp.lines) {
		text = strings.TrimSpace(sp.lines[line-1])
	}
	sp.r.Report(sp.where, line, "%q: a summary line is a link [Title](page.md), a list item holding one, # Part, or ---", text)
}

// list reads a list of numbered chapters: each item's link, numbered
// after prefix, then its nested list. last is the number of the item
// before the list's first.
func (sp *summaryParser) list(l *ast.List, prefix string, depth int, last *int) {
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		number := ""
		if hasLink(item.FirstChild()) {
			*last++
			number = prefix + strconv.Itoa(*last) + "."
		}
		var sub int
		for c := item.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.List:
				sp.list(c, number, depth+1, &sub)
			case *ast.Paragraph, *ast.TextBlock:
				sp.links(c, number, depth)
			default:
				sp.stray(c)
			}
		}
	}
}

// hasLink reports whether a block holds a link of its own.
func hasLink(block ast.Node) bool {
	if block == nil {
		return false
	}
	for c := block.FirstChild(); c != nil; c = c.NextSibling() {
		if _, ok := c.(*ast.Link); ok {
			return true
		}
	}
	return false
}

// links reads the chapter links of one paragraph (a list item holds one),
// and reports any other text in it.
func (sp *summaryParser) links(block ast.Node, number string, depth int) {
	_, inList := block.Parent().(*ast.ListItem)
	found := false
	for c := block.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Link:
			if found && inList {
				sp.strayInline(c)
				continue
			}
			found = true
			sp.entry(c, number, depth)
		case *ast.Text:
			if strings.TrimSpace(string(c.Segment.Value(sp.src))) != "" {
				sp.strayInline(c)
			}
		default:
			sp.strayInline(c)
		}
	}
	if !found && block.FirstChild() == nil {
		sp.stray(block)
	}
}

// strayInline reports text beside the links of a summary line.
func (sp *summaryParser) strayInline(n ast.Node) {
	at := sp.start(n)
	if at < 0 {
		sp.stray(n.Parent())
		return
	}
	sp.strayLine(sp.lineAt(at))
}

// linkTitle is a link's text as written, Markdown and all: from the [
// before its first text to the ] after its last.
func (sp *summaryParser) linkTitle(l *ast.Link) string {
	from, to := -1, -1
	_ = ast.Walk(l, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			if from < 0 {
				from = t.Segment.Start
			}
			to = t.Segment.Stop
		}
		return ast.WalkContinue, nil
	})
	if from < 0 {
		return ""
	}
	open := bytes.LastIndexByte(sp.src[:from], '[')
	end := bytes.IndexByte(sp.src[to:], ']')
	if open < 0 || end < 0 {
		return string(sp.src[from:to])
	}
	return string(sp.src[open+1 : to+end])
}

// entry records one chapter link, and checks where it leads.
func (sp *summaryParser) entry(l *ast.Link, number string, depth int) {
	line := sp.lineOf(l)
	e := Entry{Line: line, Title: sp.linkTitle(l), Path: strings.TrimSpace(string(l.Destination)), Number: number, Depth: depth}
	target, _, _ := strings.Cut(e.Path, "#")
	switch {
	case target == "":
		e.Draft, e.Path = true, "" // a chapter listed, with no page yet
	case strings.Contains(target, "://") || path.IsAbs(target):
		sp.r.Report(sp.where, line, "[%s](%s): a summary entry is a page in the book, by a relative path", e.Title, e.Path)
		return
	default:
		p := filepath.Join(sp.bookDir, filepath.FromSlash(target))
		if _, err := os.Stat(p); err != nil {
			sp.r.Report(sp.where, line, "[%s](%s): no such page %s", e.Title, e.Path, sp.r.Rel(p))
		} else if !strings.HasSuffix(target, ".md") {
			sp.r.Report(sp.where, line, "[%s](%s): a summary entry is a .md page", e.Title, e.Path)
		}
		e.Path = path.Clean(target)
	}
	sp.s.Entries = append(sp.s.Entries, e)
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
