// The book's behaviours: the sidebar toggle, the theme toggle, the arrow
// keys for previous and next, search by section (s or / opens it), the
// searched words marked on the page a result leads to, and a copy button
// on every code block.
(function () {
	"use strict";
	var html = document.documentElement;
	var body = document.body;
	var root = html.getAttribute("data-root") || "";
	var narrow = window.matchMedia("(max-width: 900px)");

	// The sidebar. On a narrow screen it slides over the page and pushes
	// the menu bar aside, so its toggle stays in reach; a tap outside it,
	// or Escape, closes it.
	var sidebar = document.getElementById("sidebar");
	var toggle = document.getElementById("sidebar-toggle");
	function showSidebar(show) {
		body.classList.toggle("sidebar-hidden", !show);
		body.classList.toggle("sidebar-shown", show);
		toggle.setAttribute("aria-expanded", show ? "true" : "false");
	}
	toggle.addEventListener("click", function () {
		showSidebar(!body.classList.contains("sidebar-shown"));
	});
	showSidebar(!narrow.matches);
	document.addEventListener("click", function (e) {
		if (narrow.matches && body.classList.contains("sidebar-shown") &&
			!sidebar.contains(e.target) && !toggle.contains(e.target)) {
			showSidebar(false);
		}
	});

	document.getElementById("theme-toggle").addEventListener("click", function () {
		var next = html.className === "dark" ? "light" : "dark";
		html.className = next;
		try { localStorage.setItem("asyncbook-theme", next); } catch (e) {}
	});

	// Search: the index (searchindex.js, one entry per section of every
	// page, code listings included) loads the first time search opens.
	var bar = document.getElementById("searchbar");
	var out = document.getElementById("search-results");
	var index = null;
	function loadIndex(then) {
		if (index) {
			then();
			return;
		}
		if (window.bookSearchIndex) {
			index = window.bookSearchIndex;
			then();
			return;
		}
		var s = document.createElement("script");
		s.src = root + "searchindex.js";
		s.onload = function () {
			index = window.bookSearchIndex || [];
			then();
		};
		document.head.appendChild(s);
	}
	function count(text, word) {
		var n = 0, i = text.indexOf(word);
		while (i >= 0 && n < 20) {
			n++;
			i = text.indexOf(word, i + word.length);
		}
		return n;
	}
	// score ranks a section: every word must occur; a word in the
	// section's heading weighs most, one in the page title next, and each
	// occurrence in the text (counted up to 20) a little.
	function score(doc, words) {
		var total = 0;
		var h = doc.h.toLowerCase(), t = doc.t.toLowerCase(), b = doc.lb || (doc.lb = doc.b.toLowerCase());
		for (var i = 0; i < words.length; i++) {
			var w = words[i];
			var s = 10 * count(h, w) + 3 * count(t, w) + count(b, w);
			if (s === 0) {
				return 0;
			}
			total += s;
		}
		return total;
	}
	function snippet(text, word) {
		var i = Math.max(0, text.toLowerCase().indexOf(word));
		var from = Math.max(0, i - 60);
		return (from > 0 ? "\u2026" : "") + text.slice(from, i + 100) + "\u2026";
	}
	function search() {
		var words = bar.value.toLowerCase().split(/\s+/).filter(Boolean);
		out.textContent = "";
		if (words.length === 0) {
			out.hidden = true;
			return;
		}
		var hits = [];
		index.forEach(function (doc) {
			var s = score(doc, words);
			if (s > 0) {
				hits.push({doc: doc, score: s});
			}
		});
		hits.sort(function (a, b) { return b.score - a.score; });
		var head = document.createElement("p");
		head.className = "search-count";
		head.textContent = hits.length + (hits.length === 1 ? " section matches" : " sections match") +
			(hits.length > 30 ? "; the best 30:" : "");
		out.appendChild(head);
		var q = "?highlight=" + encodeURIComponent(words.join(" "));
		hits.slice(0, 30).forEach(function (hit) {
			var doc = hit.doc;
			var item = document.createElement("div");
			item.className = "search-hit";
			item.setAttribute("data-score", hit.score);
			var a = document.createElement("a");
			a.href = root + doc.u + q + (doc.a ? "#" + doc.a : "");
			a.textContent = doc.h && doc.h !== doc.t ? doc.t + " \u203a " + doc.h : doc.t;
			var s = document.createElement("p");
			s.textContent = snippet(doc.b, words[0]);
			item.appendChild(a);
			item.appendChild(s);
			out.appendChild(item);
		});
		out.hidden = false;
	}
	bar.addEventListener("focus", function () { loadIndex(function () {}); });
	bar.addEventListener("input", function () { loadIndex(search); });
	bar.addEventListener("keydown", function (e) {
		if (e.key === "Escape") {
			bar.value = "";
			out.hidden = true;
			bar.blur();
		} else if (e.key === "Enter") {
			var first = out.querySelector(".search-hit a");
			if (first) {
				window.location.href = first.href;
			}
		}
	});

	document.addEventListener("keydown", function (e) {
		var t = e.target.tagName;
		if (t === "INPUT" || t === "TEXTAREA" || e.altKey || e.ctrlKey || e.metaKey) {
			return;
		}
		if (e.key === "s" || e.key === "/") {
			e.preventDefault();
			bar.focus();
			return;
		}
		if (e.key === "Escape" && narrow.matches) {
			showSidebar(false);
			return;
		}
		if (e.shiftKey) {
			return;
		}
		var rel = e.key === "ArrowLeft" ? "prev" : e.key === "ArrowRight" ? "next" : null;
		var a = rel && document.querySelector("a[rel=" + rel + "]");
		if (a) {
			window.location.href = a.href;
		}
	});

	// Mark the words a search result was found by (?highlight=...), in
	// prose and code alike, and bring the first mark in the target
	// section into view.
	function markWords(words) {
		var main = document.getElementById("content");
		var re = new RegExp("(" + words.map(function (w) {
			return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
		}).join("|") + ")", "gi");
		var walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
		var nodes = [];
		while (walker.nextNode()) {
			if (re.test(walker.currentNode.nodeValue)) {
				nodes.push(walker.currentNode);
			}
			re.lastIndex = 0;
		}
		nodes.forEach(function (node) {
			var parts = node.nodeValue.split(re);
			var frag = document.createDocumentFragment();
			parts.forEach(function (part, i) {
				if (i % 2 === 1) {
					var m = document.createElement("mark");
					m.className = "search-mark";
					m.textContent = part;
					frag.appendChild(m);
				} else if (part) {
					frag.appendChild(document.createTextNode(part));
				}
			});
			node.parentNode.replaceChild(frag, node);
		});
	}
	var params = new URLSearchParams(window.location.search);
	var hl = (params.get("highlight") || "").split(/\s+/).filter(Boolean);
	if (hl.length > 0) {
		markWords(hl);
		var target = window.location.hash ? document.getElementById(decodeURIComponent(window.location.hash.slice(1))) : null;
		var marks = Array.prototype.slice.call(document.querySelectorAll("mark.search-mark"));
		var first = marks.filter(function (m) {
			return !target || (target.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING);
		})[0] || marks[0];
		if (first) {
			first.classList.add("search-mark-first");
			// After the load, or the browser's own jump to the section's
			// heading would follow and hide the mark again.
			var reveal = function () { first.scrollIntoView({block: "center"}); };
			if (document.readyState === "complete") {
				reveal();
			} else {
				window.addEventListener("load", function () { setTimeout(reveal, 0); });
			}
		}
	}

	// A copy button on every code block: the clipboard API where the page
	// may use it, else a selected text area and the copy command.
	function copyText(text, done) {
		function fallback() {
			var ta = document.createElement("textarea");
			ta.value = text;
			ta.setAttribute("readonly", "");
			ta.style.position = "fixed";
			ta.style.opacity = "0";
			body.appendChild(ta);
			ta.select();
			var ok = false;
			try { ok = document.execCommand("copy"); } catch (e) {}
			body.removeChild(ta);
			done(ok);
		}
		if (navigator.clipboard && navigator.clipboard.writeText) {
			navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
		} else {
			fallback();
		}
	}
	Array.prototype.forEach.call(document.querySelectorAll("#content pre"), function (pre) {
		var code = pre.querySelector("code");
		if (!code) {
			return;
		}
		var btn = document.createElement("button");
		btn.type = "button";
		btn.className = "copy-button";
		btn.title = "Copy to the clipboard";
		btn.setAttribute("aria-label", "Copy this code to the clipboard");
		btn.textContent = "Copy";
		btn.addEventListener("click", function () {
			copyText(code.textContent, function (ok) {
				btn.textContent = ok ? "Copied" : "Press Ctrl+C";
				btn.classList.toggle("copied", ok);
				if (ok) {
					btn.dataset.copies = String(Number(btn.dataset.copies || 0) + 1);
				}
				if (!ok) {
					var r = document.createRange();
					r.selectNodeContents(code);
					var sel = window.getSelection();
					sel.removeAllRanges();
					sel.addRange(r);
				}
				setTimeout(function () {
					btn.textContent = "Copy";
					btn.classList.remove("copied");
				}, 2000);
			});
		});
		pre.classList.add("has-copy");
		pre.insertBefore(btn, pre.firstChild);
	});
})();
