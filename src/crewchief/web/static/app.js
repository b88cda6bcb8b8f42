// crewchief review: keyboard navigation, confirmations, live updates of a run in progress.
// Served from our own origin (the page's CSP allows no inline script); agent text is only ever
// inserted with textContent, never as HTML.
"use strict";

(function () {
  const page = document.body.dataset.page;

  function typing(event) {
    const el = event.target;
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function toggleHelp(show) {
    const help = document.getElementById("help");
    if (help) help.hidden = show === undefined ? !help.hidden : !show;
  }

  // A list of elements j/k move through, with one selected.
  function navigator(items, onSelect) {
    let index = -1;
    function select(i) {
      if (!items.length) return;
      if (index >= 0) items[index].classList.remove("selected");
      index = Math.max(0, Math.min(items.length - 1, i));
      const el = items[index];
      el.classList.add("selected");
      el.scrollIntoView({ block: "nearest" });
      if (onSelect) onSelect(el);
    }
    return {
      next: () => select(index + 1),
      prev: () => select(index < 0 ? 0 : index - 1),
      current: () => (index >= 0 ? items[index] : null),
      select: select,
    };
  }

  function approveRun() {
    const form = document.getElementById("approve-form");
    if (!form) return;
    const button = form.querySelector("button[data-confirm]");
    if (window.confirm(button ? button.dataset.confirm : "Approve?")) form.submit();
  }

  function startReject() {
    const box = document.getElementById("feedback");
    if (!box) return;
    box.scrollIntoView({ block: "center" });
    box.focus();
  }

  // Queue page -----------------------------------------------------------------------------
  function queuePage() {
    const rows = Array.from(document.querySelectorAll("#queue tr.run"));
    const nav = navigator(rows);
    rows.forEach((row, i) => row.addEventListener("click", (e) => {
      if (e.target.tagName !== "A") nav.select(i);
    }));
    if (rows.length) nav.select(0);
    const filters = document.getElementById("filters");
    if (filters) {
      filters.querySelectorAll("select").forEach((s) => s.addEventListener("change", () => filters.submit()));
    }
    return function (key) {
      const row = nav.current();
      switch (key) {
        case "j": nav.next(); return true;
        case "k": nav.prev(); return true;
        case "Enter": if (row) window.location.href = row.dataset.href; return true;
        case "a": if (row) window.location.href = row.dataset.href + "#approve"; return true;
        case "r": if (row) window.location.href = row.dataset.href + "#reject"; return true;
      }
      return false;
    };
  }

  // Run page -------------------------------------------------------------------------------
  function runPage() {
    const targets = Array.from(document.querySelectorAll("[data-nav]"));
    const nav = navigator(targets);
    if (window.location.hash === "#reject") startReject();
    if (window.location.hash === "#approve") {
      history.replaceState(null, "", window.location.pathname + window.location.search);
      setTimeout(approveRun, 0);
    }
    const feedback = document.getElementById("feedback");
    if (feedback) {
      feedback.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          document.getElementById("reject-form").requestSubmit();
        }
      });
    }
    const approveForm = document.getElementById("approve-form");
    if (approveForm) {
      approveForm.addEventListener("submit", (e) => {
        const button = approveForm.querySelector("button[data-confirm]");
        if (!e.submitter || !button) return;
        if (!window.confirm(button.dataset.confirm)) e.preventDefault();
      });
    }
    live();
    return function (key) {
      switch (key) {
        case "j": nav.next(); return true;
        case "k": nav.prev(); return true;
        case "a": approveRun(); return true;
        case "r": startReject(); return true;
        case "s": {
          const split = new URLSearchParams(window.location.search).get("view") === "split";
          window.location.search = split ? "?view=unified" : "?view=split";
          return true;
        }
      }
      return false;
    };
  }

  function live() {
    const run = document.getElementById("run");
    if (!run || !run.dataset.live || !window.EventSource) return;
    const rendered = run.dataset.state;
    const source = new EventSource(run.dataset.live);
    const badge = document.getElementById("state");
    const transcript = document.getElementById("transcript");
    source.addEventListener("state", (e) => {
      const data = JSON.parse(e.data);
      badge.textContent = data.state;
      badge.className = "state s-" + data.state;
      run.dataset.state = data.state;
      if (data.verdict) document.getElementById("verdict").textContent = data.verdict;
      if (data.risk !== null && data.risk !== undefined) document.getElementById("risk").textContent = String(data.risk);
    });
    source.addEventListener("transcript", (e) => {
      const data = JSON.parse(e.data);
      transcript.appendChild(document.createTextNode(data.lines.join("\n") + "\n"));
      const url = new URL(source.url);
      url.searchParams.set("offset", String(data.offset));
      run.dataset.live = url.pathname + url.search;
    });
    source.addEventListener("end", (e) => {
      source.close();
      const data = JSON.parse(e.data);
      if (data.state && data.state !== rendered) {
        const note = document.createElement("p");
        note.className = "note";
        note.textContent = "The run is now " + data.state + "; reloading to show its report.";
        run.prepend(note);
        setTimeout(() => window.location.reload(), 1500);
      }
    });
  }

  const handler = page === "queue" ? queuePage() : page === "run" ? runPage() : () => false;

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      toggleHelp(false);
      if (typing(event)) event.target.blur();
      return;
    }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") { toggleHelp(); event.preventDefault(); return; }
    if (event.key === "n") { window.location.href = "/next"; return; }
    if (event.key === "u" && page !== "queue") { window.location.href = "/"; return; }
    if (handler(event.key)) event.preventDefault();
  });
})();
