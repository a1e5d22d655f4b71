package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// phoneWidth is the viewport width, in CSS pixels, of the phone check.
const phoneWidth = 390

// findChromium returns the Chromium (or Chrome) to drive: $CHROMIUM, or
// the first of the usual names on PATH.
func findChromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// pageFacts is what the browser reports about one loaded page.
type pageFacts struct {
	URL         string   `json:"url"`
	IDs         []string `json:"ids"`
	Links       []string `json:"links"`
	BadImages   []string `json:"badImages"`
	Images      int      `json:"images"`
	GoBlocks    int      `json:"goBlocks"`
	Highlighted int      `json:"highlighted"`
	Sidebar     []string `json:"sidebar"`
	Prev        string   `json:"prev"`
	Next        string   `json:"next"`
}

const factsJS = `(() => {
	const hrefs = sel => Array.from(document.querySelectorAll(sel), a => a.href);
	const imgs = Array.from(document.images);
	const next = document.querySelector("a[rel=next]"), prev = document.querySelector("a[rel=prev]");
	return {
		url: location.href.split("#")[0],
		ids: Array.from(document.querySelectorAll("[id]"), e => e.id),
		links: hrefs("a[href]"),
		images: imgs.length,
		badImages: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
		goBlocks: document.querySelectorAll("code.language-go").length,
		highlighted: document.querySelectorAll("code.language-go span[class]").length,
		sidebar: hrefs("#sidebar a"),
		prev: prev ? prev.href : "",
		next: next ? next.href : "",
	};
})()`

// overflowJS lists the elements of the page that stick out past the right
// edge of the viewport, except inside code blocks and tables, which
// scroll on their own.
const overflowJS = `(() => {
	const w = document.documentElement.clientWidth, bad = [];
	for (const el of document.querySelectorAll("#page-wrapper *")) {
		if (el.closest("pre, table")) continue;
		const r = el.getBoundingClientRect();
		if (r.width > 0 && r.right > w + 1) bad.push(el.tagName.toLowerCase() + " ends at " + Math.round(r.right) + "px: " + (el.textContent || "").trim().slice(0, 50));
	}
	return bad.slice(0, 5);
})()`

// coveredJS lists the code blocks whose copy button, where it shows,
// lies over a character of the listing: on a touch screen, where there
// is no hover to reveal it, the button is always there.
const coveredJS = `(() => {
	const bad = [];
	for (const pre of document.querySelectorAll("#content pre.has-copy")) {
		const btn = pre.querySelector(".copy-button");
		if (getComputedStyle(btn).opacity === "0") continue;
		const b = btn.getBoundingClientRect();
		const walk = document.createTreeWalker(pre.querySelector("code"), NodeFilter.SHOW_TEXT);
		for (let n = walk.nextNode(); n; n = walk.nextNode()) {
			const r = document.createRange();
			r.selectNodeContents(n);
			const hit = [...r.getClientRects()].some(c => c.width > 0 &&
				c.left < b.right && c.right > b.left && c.top < b.bottom && c.bottom > b.top);
			if (hit && n.textContent.trim() !== "") {
				bad.push(n.textContent.trim().slice(0, 40));
				break;
			}
		}
	}
	return bad.slice(0, 5);
})()`

// TestBrowser drives headless Chromium over the built book: every page
// loads with no console error; every internal link, anchor and image
// resolves; the sidebar and previous/next lead through the pages in
// SUMMARY order; Go listings are highlighted; a reader's features work
// (readerChecks: search, copy, asides, the phone sidebar); and at a
// phone's width nothing but code blocks and tables overflows, and no
// copy button covers its listing's text. With CI set
// it fails if it cannot run; elsewhere, without Chromium, it skips and
// says why. Set BOOK_SCREENSHOTS to a directory to keep its screenshots.
func TestBrowser(t *testing.T) {
	exe := findChromium()
	if exe == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set and no chromium is on PATH (set CHROMIUM, or let .ci/run install Debian's chromium)")
		}
		t.Skip("skipping the browser test: no chromium on PATH (install chromium, or set CHROMIUM)")
	}
	s, err := build(repoRoot)
	if err != nil {
		t.Fatalf("the book does not build:\n%v", err)
	}
	out := t.TempDir()
	if err := s.write(out); err != nil {
		t.Fatal(err)
	}
	pageURL := func(name string) string {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(out, filepath.FromSlash(name)))}).String()
	}

	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	// The watchdog: every browser action below ends with this context, so
	// a hang fails the test instead of holding it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	defer cancelBrowser()

	// Console errors and uncaught exceptions, from a goroutine that reads
	// them while the test drives the pages; they are reported against the
	// page loaded last.
	var mu sync.Mutex
	var consoleErrors []string
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		if os.Getenv("CI") == "" && ctx.Err() == nil {
			t.Skipf("skipping the browser test: %s does not start: %v", exe, err)
		}
		t.Fatalf("starting %s: %v", exe, err)
	}
	messages := chromedp.Console(ctx)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				consoleErrors = append(consoleErrors, m.String()+" "+m.URL)
				mu.Unlock()
			}
		}
	}()
	defer func() {
		cancelBrowser()
		<-readerDone
	}()
	takeErrors := func() []string {
		mu.Lock()
		defer mu.Unlock()
		e := consoleErrors
		consoleErrors = nil
		return e
	}

	// Every page, at a desktop width.
	facts := make(map[string]*pageFacts) // by URL without fragment
	var order []string
	for _, name := range append(slices.Clone(s.pages), "index.html") {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(pageURL(name))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f, err := chromedp.Run(ctx, chromedp.Evaluate[*pageFacts](factsJS))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range takeErrors() {
			t.Errorf("%s: console error: %s", name, e)
		}
		facts[f.URL] = f
		if name != "index.html" {
			order = append(order, f.URL)
		}
		for _, img := range f.BadImages {
			t.Errorf("%s: image %s does not load", name, img)
		}
		if f.GoBlocks > 0 && f.Highlighted == 0 {
			t.Errorf("%s: %d Go listings and not one highlighted token", name, f.GoBlocks)
		}
	}

	// Links, anchors, the sidebar, previous and next.
	highlighted := 0
	for i, u := range order {
		f := facts[u]
		highlighted += f.Highlighted
		for _, link := range f.Links {
			if !strings.HasPrefix(link, "file:") {
				continue
			}
			target, frag, _ := strings.Cut(link, "#")
			to := facts[target]
			if to == nil {
				p, err := url.Parse(target)
				if err != nil || !fileExists(filepath.FromSlash(p.Path)) {
					t.Errorf("%s: link %s leads nowhere", rel(out, u), rel(out, link))
				}
				continue
			}
			if frag != "" && !slices.Contains(to.IDs, frag) {
				t.Errorf("%s: link %s: no element #%s there", rel(out, u), rel(out, link), frag)
			}
		}
		if !slices.Equal(f.Sidebar, order) {
			t.Errorf("%s: the sidebar links %q, want the pages in SUMMARY order %q", rel(out, u), f.Sidebar, order)
		}
		wantPrev, wantNext := "", ""
		if i > 0 {
			wantPrev = order[i-1]
		}
		if i+1 < len(order) {
			wantNext = order[i+1]
		}
		if f.Prev != wantPrev || f.Next != wantNext {
			t.Errorf("%s: prev %q next %q, want %q and %q", rel(out, u), f.Prev, f.Next, wantPrev, wantNext)
		}
	}
	if highlighted == 0 {
		t.Errorf("no Go listing in the book is highlighted")
	}

	// Click through: next from the first page to the last, then a sidebar
	// entry back to the second page.
	if err := chromedp.Do(ctx, chromedp.Navigate(order[0])); err != nil {
		t.Fatal(err)
	}
	for _, want := range order[1:] {
		err := chromedp.Do(ctx,
			chromedp.Click("a[rel=next]", chromedp.NodeVisible),
			pollTrue(fmt.Sprintf("location.href.split('#')[0] === %q && document.readyState === 'complete'", want)),
		)
		if err != nil {
			t.Fatalf("clicking next towards %s: %v", rel(out, want), err)
		}
	}
	if len(order) > 1 {
		err := chromedp.Do(ctx,
			chromedp.Click(fmt.Sprintf("#sidebar a[href$=%q]", filepath.Base(order[1])), chromedp.NodeVisible),
			pollTrue(fmt.Sprintf("location.href === %q && document.readyState === 'complete'", order[1])),
		)
		if err != nil {
			t.Fatalf("clicking the sidebar entry of %s: %v", rel(out, order[1]), err)
		}
	}

	// The theme switch and, at a phone's width, the sidebar toggle.
	type widgets struct {
		ThemeBefore  string `json:"themeBefore"`
		ThemeAfter   string `json:"themeAfter"`
		SidebarShut  bool   `json:"sidebarShut"`
		SidebarShown bool   `json:"sidebarShown"`
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, 800, chromedp.EmulateMobile), chromedp.Navigate(order[0])); err != nil {
		t.Fatal(err)
	}
	w, err := chromedp.Run(ctx, chromedp.Evaluate[widgets](`(() => {
		const html = document.documentElement, before = html.className;
		document.getElementById("theme-toggle").click();
		const after = html.className;
		document.getElementById("theme-toggle").click();
		const side = document.getElementById("sidebar");
		const shut = side.getBoundingClientRect().right <= 0;
		side.style.transition = "none";
		document.getElementById("sidebar-toggle").click();
		const shown = side.getBoundingClientRect().left >= 0;
		document.getElementById("sidebar-toggle").click();
		return {themeBefore: before, themeAfter: after, sidebarShut: shut, sidebarShown: shown};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if w.ThemeBefore == w.ThemeAfter || !slices.Contains([]string{"light", "dark"}, w.ThemeAfter) {
		t.Errorf("the theme switch turned %q into %q", w.ThemeBefore, w.ThemeAfter)
	}
	if !w.SidebarShut || !w.SidebarShown {
		t.Errorf("at %dpx the sidebar starts hidden: %v; the toggle shows it: %v", phoneWidth, w.SidebarShut, w.SidebarShown)
	}

	shots := os.Getenv("BOOK_SCREENSHOTS")
	shot := func(name string) {
		if shots == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, name+".png"), png, 0o666)
		}
		if err != nil {
			t.Error(err)
		}
	}
	readerChecks(t, ctx, s, order, pageURL, shot)
	liveReloadCheck(t, ctx)
	for _, e := range takeErrors() {
		// The browser asks a server for /favicon.ico on its own; the
		// book has none.
		if !strings.HasSuffix(e, "/favicon.ico") {
			t.Errorf("live reload: console error: %s", e)
		}
	}

	// At a phone's width.
	for _, u := range order {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, 800, chromedp.EmulateMobile), chromedp.Navigate(u)); err != nil {
			t.Fatalf("%s at %dpx: %v", rel(out, u), phoneWidth, err)
		}
		bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](overflowJS))
		if err != nil {
			t.Fatalf("%s at %dpx: %v", rel(out, u), phoneWidth, err)
		}
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("%s at %dpx: screenshot: %v", rel(out, u), phoneWidth, err)
		}
		for _, b := range bad {
			t.Errorf("%s at %dpx: overflows sideways: %s", rel(out, u), phoneWidth, b)
		}
		covered, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](coveredJS))
		if err != nil {
			t.Fatalf("%s at %dpx: %v", rel(out, u), phoneWidth, err)
		}
		for _, c := range covered {
			t.Errorf("%s at %dpx: the copy button covers the listing's %q", rel(out, u), phoneWidth, c)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("%s: screenshot: %v", rel(out, u), err)
		}
		if w := img.Bounds().Dx(); w%phoneWidth != 0 {
			t.Errorf("%s: the screenshot is %dpx wide, not a multiple of the %dpx viewport", rel(out, u), w, phoneWidth)
		}
		if shots != "" {
			name := strings.TrimSuffix(filepath.Base(u), ".html") + "-phone.png"
			if err := os.WriteFile(filepath.Join(shots, name), shot, 0o666); err != nil {
				t.Error(err)
			}
		}
		for _, e := range takeErrors() {
			t.Errorf("%s at %dpx: console error: %s", rel(out, u), phoneWidth, e)
		}
	}
}

// pollTrue waits until the expression is true in the page, for at most 30
// seconds. A navigation destroys the page the poll runs in; then it polls
// again in the new page.
func pollTrue(expr string) chromedp.Action[chromedp.Void] {
	return pollTrueFor(expr, 30*time.Second)
}

// pollTrueFor is pollTrue with a bound of d.
func pollTrueFor(expr string, d time.Duration) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		for {
			_, err := chromedp.Poll[bool](expr)(ctx, t)
			if err == nil || ctx.Err() != nil {
				return chromedp.Void{}, err
			}
		}
	}
}

// liveReloadCheck serves a copy of the fixture book as a reader's serve
// does, opens chapter 1 in the browser of ctx, edits the chapter's
// Markdown on disk and waits until the page, reloaded by the browser
// itself (the test does not navigate), shows the edit. The page marks
// itself before the edit, so that the mark's absence proves a reload.
// The wait is two minutes at most: a rebuild takes a second or two, far
// more on a busy machine, and never that long.
func liveReloadCheck(t *testing.T, ctx context.Context) {
	t.Helper()
	book := serveFixture(t, "good-book.txtar")
	page := book.base + "/ch01.html"
	err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page),
		pollTrue("document.readyState === 'complete'"),
		chromedp.Evaluate[chromedp.Void]("window.beforeTheEdit = true"))
	if err != nil {
		t.Fatalf("opening %s: %v", page, err)
	}
	if has, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("content").innerText.includes(`+strconv.Quote(editLine)+`)`)); err != nil || has {
		t.Fatalf("before the edit, %s shows it already (%v) or cannot be read: %v", page, has, err)
	}
	book.editChapter(t)
	shows := fmt.Sprintf(`window.beforeTheEdit === undefined && document.readyState === "complete" && location.href === %q && document.getElementById("content").innerText.includes(%q)`, page, editLine)
	if err := chromedp.Do(ctx, pollTrueFor(shows, 2*time.Minute)); err != nil {
		state, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`JSON.stringify({url: location.href, marked: window.beforeTheEdit === true, text: document.body.innerText.slice(0, 200)})`))
		t.Fatalf("after editing ch01.md, the open page did not reload with the edit: %v; the page: %s", err, state)
	}
	// Leave the page before the server stops, so that its event stream
	// does not log a refused reconnect against a later page.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if err := book.stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
}

// rel shortens a file: URL under dir for a message.
func rel(dir, u string) string {
	return strings.TrimPrefix(u, (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/"}).String())
}

// listingWord returns a word a reader can find only in a code listing:
// closeLocked, while the book shows it in a listing and nowhere else,
// or else the first such identifier of the built pages.
func listingWord(s *site) string {
	pre := regexp.MustCompile(`(?s)<pre.*?</pre>`)
	tag := regexp.MustCompile(`<[^>]*>`)
	ident := regexp.MustCompile(`\b[a-z]+[A-Z][A-Za-z]{4,}\b`)
	inCode, inProse := make(map[string]bool), make(map[string]bool)
	for _, name := range s.pages {
		html := string(s.files[name])
		if _, body, ok := strings.Cut(html, `<main id="content">`); ok {
			html, _, _ = strings.Cut(body, "</main>")
		}
		for _, block := range pre.FindAllString(html, -1) {
			for _, w := range ident.FindAllString(tag.ReplaceAllString(block, ""), -1) {
				inCode[w] = true
			}
		}
		for _, w := range ident.FindAllString(tag.ReplaceAllString(pre.ReplaceAllString(html, ""), " "), -1) {
			inProse[strings.ToLower(w)] = true
		}
	}
	var words []string
	for w := range inCode {
		if !inProse[strings.ToLower(w)] {
			words = append(words, w)
		}
	}
	slices.Sort(words)
	if slices.Contains(words, "closeLocked") || len(words) == 0 {
		return "closeLocked"
	}
	return words[0]
}

// readerChecks does what a reader does with the book's features, in the
// browser of ctx: opens search with s and /, searches for a word that is
// only in a listing and follows the best result to the section, where the
// word is marked in the listing; copies a listing with its button; finds
// an aside beside the text at 1280px and below it at the phone's width;
// and opens and closes the sidebar at the phone's width with its toggle
// and with a tap beside it. shot saves a screenshot under a name.
func readerChecks(t *testing.T, ctx context.Context, s *site, order []string, pageURL func(string) string, shot func(string)) {
	t.Helper()
	word := listingWord(s)
	desktop := chromedp.EmulateViewport(1280, 900)
	phone := chromedp.EmulateViewport(phoneWidth, 800, chromedp.EmulateMobile)

	// Search, opened by its keys.
	err := chromedp.Do(ctx, desktop, chromedp.Navigate(order[0]),
		pollTrue("document.readyState === 'complete'"),
		chromedp.KeyEvent("s"),
		pollTrue("document.activeElement && document.activeElement.id === 'searchbar'"),
	)
	if err != nil {
		t.Fatalf("pressing s does not open search: %v", err)
	}
	err = chromedp.Do(ctx, chromedp.Navigate(order[len(order)-1]),
		pollTrue("document.readyState === 'complete'"),
		chromedp.KeyEvent("/"),
		pollTrue("document.activeElement && document.activeElement.id === 'searchbar'"),
		// The protocol sends a key's character as an event of its own,
		// which the page's preventDefault on keydown cannot stop, as a
		// browser's would; so the box may hold the "/" here.
		chromedp.Evaluate[chromedp.Void](`document.getElementById("searchbar").value = ""`),
		chromedp.KeyEvent(word),
		pollTrue("document.querySelectorAll('#search-results .search-hit a').length > 0"),
	)
	if err != nil {
		state, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`JSON.stringify({focus: document.activeElement && document.activeElement.id, value: document.getElementById("searchbar").value, results: document.getElementById("search-results").innerText.slice(0, 200), index: Array.isArray(window.bookSearchIndex)})`))
		t.Fatalf("pressing / and typing %q: no search result (%v); the page: %s", word, err, state)
	}
	shot("search-desktop")
	// Ranked: a common word finds many sections, best first.
	err = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const bar = document.getElementById("searchbar");
		bar.value = "waker";
		bar.dispatchEvent(new Event("input"));
	})()`), pollTrue("document.querySelectorAll('#search-results .search-hit').length > 1"))
	if err != nil {
		t.Fatalf("searching for waker: %v", err)
	}
	scores, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`Array.from(document.querySelectorAll("#search-results .search-hit"), h => Number(h.dataset.score))`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(scores, func(a, b float64) int { return cmp.Compare(b, a) }) || scores[0] == scores[len(scores)-1] {
		t.Errorf("search results for waker are not ranked best first: scores %v", scores)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const bar = document.getElementById("searchbar");
		bar.value = `+strconv.Quote(word)+`;
		bar.dispatchEvent(new Event("input"));
	})()`), pollTrue("document.querySelectorAll('#search-results .search-hit').length > 0")); err != nil {
		t.Fatal(err)
	}
	hit, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#search-results .search-hit a").href`))
	if err != nil {
		t.Fatal(err)
	}
	base, frag, _ := strings.Cut(hit, "#")
	if frag == "" || !strings.Contains(base, "?highlight="+strings.ToLower(word)) {
		t.Errorf("the best hit for %q, %s, is not a section with the word to mark", word, hit)
	}
	type landing struct {
		Hash     string `json:"hash"`
		Target   bool   `json:"target"`
		Marks    int    `json:"marks"`
		InCode   int    `json:"inCode"`
		FirstIn  bool   `json:"firstInCode"`
		FirstTxt string `json:"firstText"`
	}
	err = chromedp.Do(ctx,
		chromedp.Click("#search-results .search-hit a", chromedp.NodeVisible),
		pollTrue("location.search.indexOf('highlight=') >= 0 && document.readyState === 'complete' && document.querySelector('mark.search-mark-first') !== null"),
	)
	if err != nil {
		t.Fatalf("following the search hit %s: %v", hit, err)
	}
	l, err := chromedp.Run(ctx, chromedp.Evaluate[landing](`(() => {
		const marks = Array.from(document.querySelectorAll("mark.search-mark"));
		const first = document.querySelector("mark.search-mark-first");
		const id = decodeURIComponent(location.hash.slice(1));
		return {hash: id, target: document.getElementById(id) !== null, marks: marks.length,
			inCode: marks.filter(m => m.closest("pre")).length,
			firstInCode: first.closest("pre") !== null, firstText: first.textContent};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !l.Target || l.InCode == 0 || !l.FirstIn || !strings.EqualFold(l.FirstTxt, word) {
		t.Errorf("after following the hit for %q: %+v; want the section's heading there and the word marked in a listing, first after the heading", word, l)
	}
	shot("search-landed-desktop")

	// Copy a listing. The page's clipboard is watched, so the test reads
	// what the button wrote whether or not headless Chromium lets the
	// page use the real one.
	err = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		window.copied = null;
		const real = navigator.clipboard && navigator.clipboard.writeText.bind(navigator.clipboard);
		navigator.clipboard.writeText = text => { window.copied = text; return real ? real(text).catch(() => {}) : Promise.resolve(); };
		document.querySelector("#content pre .copy-button").scrollIntoView({block: "center"});
	})()`),
		chromedp.Click("#content pre .copy-button", chromedp.NodeVisible),
		pollTrue(`window.copied !== null && document.querySelector("#content pre .copy-button").dataset.copies === "1"`),
	)
	if err != nil {
		t.Fatalf("the copy button: %v", err)
	}
	type copied struct {
		Copied, Code string
	}
	c, err := chromedp.Run(ctx, chromedp.Evaluate[copied](`(() => {
		const pre = document.querySelector("#content pre");
		return {Copied: window.copied, Code: pre.querySelector("code").textContent};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Copied != c.Code || c.Code == "" {
		t.Errorf("the copy button copied %q, want the listing %q", c.Copied, c.Code)
	}

	// An aside: in the margin beside the text at 1280px, below the text
	// before it at the phone's width.
	asidePage := ""
	for _, name := range s.pages {
		if bytes.Contains(s.files[name], []byte(`<aside class="aside">`)) {
			asidePage = name
			break
		}
	}
	asideURL := pageURL(asidePage)
	if asidePage == "" {
		// The book has none today: check the fixture's.
		fs := buildGood(t)
		dir := t.TempDir()
		if err := fs.write(dir); err != nil {
			t.Fatal(err)
		}
		asidePage = "ch01.html"
		asideURL = (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, asidePage))}).String()
	}
	{
		type box struct {
			Left, Right, Top, Bottom float64
		}
		type asideBoxes struct {
			Aside, Prev box
			Width       float64
		}
		const boxesJS = `(() => {
			const a = document.querySelector("aside.aside");
			a.scrollIntoView({block: "center"});
			let prev = a.previousElementSibling;
			while (prev && prev.matches("aside")) prev = prev.previousElementSibling;
			const r = e => { const b = e.getBoundingClientRect(); return {Left: b.left, Right: b.right, Top: b.top, Bottom: b.bottom}; };
			return {Aside: r(a), Prev: r(prev), Width: document.documentElement.clientWidth};
		})()`
		for _, v := range []struct {
			name   string
			view   chromedp.Action[chromedp.Void]
			beside bool
		}{{"desktop", desktop, true}, {"phone", phone, false}} {
			if err := chromedp.Do(ctx, v.view, chromedp.Navigate(asideURL), pollTrue("document.readyState === 'complete'")); err != nil {
				t.Fatal(err)
			}
			b, err := chromedp.Run(ctx, chromedp.Evaluate[asideBoxes](boxesJS))
			if err != nil {
				t.Fatal(err)
			}
			shot("aside-" + v.name)
			switch {
			case b.Aside.Right > b.Width+1:
				t.Errorf("%s at %s: the aside ends at %.0fpx, past the %.0fpx viewport", asidePage, v.name, b.Aside.Right, b.Width)
			case v.beside && b.Aside.Left < b.Prev.Right:
				t.Errorf("%s at 1280px: the aside %+v is not beside the text %+v", asidePage, b.Aside, b.Prev)
			case !v.beside && (b.Aside.Top < b.Prev.Bottom || b.Aside.Left > b.Prev.Left+1 || b.Aside.Right < b.Prev.Right-1):
				t.Errorf("%s at %dpx: the aside %+v is not below the text %+v at its width", asidePage, phoneWidth, b.Aside, b.Prev)
			}
		}
	}

	// The sidebar at the phone's width: its toggle stays in reach while
	// it is open; the toggle closes it, and so does a tap beside it.
	shown := "document.body.classList.contains('sidebar-shown') && document.getElementById('sidebar').getBoundingClientRect().left >= 0"
	hidden := "!document.body.classList.contains('sidebar-shown') && document.getElementById('sidebar').getBoundingClientRect().right <= 0"
	err = chromedp.Do(ctx, phone, chromedp.Navigate(order[1]), pollTrue("document.readyState === 'complete'"), pollTrue(hidden),
		chromedp.Click("#sidebar-toggle", chromedp.NodeVisible), pollTrue(shown))
	if err != nil {
		t.Fatalf("at %dpx the toggle does not open the sidebar: %v", phoneWidth, err)
	}
	shot("sidebar-phone")
	reach, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const t = document.getElementById("sidebar-toggle"), b = t.getBoundingClientRect();
		const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
		return b.right <= document.documentElement.clientWidth && hit !== null && t.contains(hit);
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !reach {
		t.Errorf("at %dpx the open sidebar covers its own toggle", phoneWidth)
	}
	if err := chromedp.Do(ctx, chromedp.Click("#sidebar-toggle", chromedp.NodeVisible), pollTrue(hidden)); err != nil {
		t.Errorf("at %dpx the toggle does not close the sidebar: %v", phoneWidth, err)
	}
	err = chromedp.Do(ctx, chromedp.Click("#sidebar-toggle", chromedp.NodeVisible), pollTrue(shown),
		chromedp.MouseClickXY(phoneWidth-10, 500), pollTrue(hidden))
	if err != nil {
		t.Errorf("at %dpx a tap beside the open sidebar does not close it: %v", phoneWidth, err)
	}

	// For the eye: a listing at the phone's width, where search leads;
	// search there; print.html at both widths.
	if err := chromedp.Do(ctx, chromedp.Navigate(hit), pollTrue("document.readyState === 'complete' && document.querySelector('mark.search-mark-first') !== null")); err != nil {
		t.Errorf("at %dpx the search hit %s: %v", phoneWidth, hit, err)
	}
	shot("search-landed-phone")
	if err := chromedp.Do(ctx, chromedp.Click("#searchbar", chromedp.NodeVisible), chromedp.KeyEvent(word),
		pollTrue("document.querySelectorAll('#search-results .search-hit a').length > 0")); err != nil {
		t.Errorf("at %dpx search shows no hit for %q: %v", phoneWidth, word, err)
	}
	shot("search-phone")
	for _, v := range []struct {
		name string
		view chromedp.Action[chromedp.Void]
	}{{"desktop", desktop}, {"phone", phone}} {
		if err := chromedp.Do(ctx, v.view, chromedp.Navigate(pageURL("print.html")), pollTrue("document.readyState === 'complete'")); err != nil {
			t.Fatal(err)
		}
		shot("print-" + v.name)
	}
}
