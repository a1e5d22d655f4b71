// The book's few behaviours: the sidebar toggle, the theme toggle, the
// arrow keys for previous and next, and search over the pages' text.
(function () {
	"use strict";
	var html = document.documentElement;
	var root = html.getAttribute("data-root") || "";

	document.getElementById("sidebar-toggle").addEventListener("click", function () {
		document.body.classList.toggle("sidebar-hidden");
		document.body.classList.toggle("sidebar-shown");
	});
	if (window.matchMedia("(max-width: 900px)").matches) {
		document.body.classList.add("sidebar-hidden");
	}

	document.getElementById("theme-toggle").addEventListener("click", function () {
		var next = html.className === "dark" ? "light" : "dark";
		html.className = next;
		try { localStorage.setItem("asyncbook-theme", next); } catch (e) {}
	});

	document.addEventListener("keydown", function (e) {
		if (e.target.tagName === "INPUT" || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) {
			return;
		}
		var rel = e.key === "ArrowLeft" ? "prev" : e.key === "ArrowRight" ? "next" : null;
		var a = rel && document.querySelector("a[rel=" + rel + "]");
		if (a) {
			window.location.href = a.href;
		}
	});

	var bar = document.getElementById("searchbar");
	var out = document.getElementById("search-results");
	var index = window.bookSearchIndex || [];
	function snippet(text, word) {
		var i = text.toLowerCase().indexOf(word);
		var from = Math.max(0, i - 60);
		return (from > 0 ? "\u2026" : "") + text.slice(from, i + 100) + "\u2026";
	}
	bar.addEventListener("input", function () {
		var words = bar.value.toLowerCase().split(/\s+/).filter(Boolean);
		out.textContent = "";
		if (words.length === 0) {
			out.hidden = true;
			return;
		}
		var hits = index.filter(function (p) {
			var t = (p.t + " " + p.b).toLowerCase();
			return words.every(function (w) { return t.indexOf(w) >= 0; });
		});
		var head = document.createElement("p");
		head.textContent = hits.length + (hits.length === 1 ? " page" : " pages") + " match";
		out.appendChild(head);
		hits.forEach(function (p) {
			var item = document.createElement("div");
			var a = document.createElement("a");
			a.href = root + p.u;
			a.textContent = p.t;
			var s = document.createElement("p");
			s.textContent = snippet(p.b, words[0]);
			item.appendChild(a);
			item.appendChild(s);
			out.appendChild(item);
		});
		out.hidden = false;
	});
})();
