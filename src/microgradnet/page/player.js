/* The backprop player. Every number shown comes from the embedded data (written by microgradnet's
   trace and frame model); this script only shows, hides and compares, it computes no derivative. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("player-data").textContent);
  var page = document.getElementById("player");
  var graph = page.querySelector(".graph");
  var frames = data.frames;
  var nodes = data.nodes;
  var at = 0;
  var picked = null;
  var lit = [];
  var original = {};

  function el(id) { return document.getElementById(id); }
  function on(id, event, handler) { el(id).addEventListener(event, handler); }
  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function hidingGrads() { return page.classList.contains("hide-grads"); }
  function practicing() { return page.classList.contains("practicing"); }

  /* --- the drawing: one laid-out SVG, restyled per frame ------------------------------------ */
  frames.forEach(function (frame) {
    Object.keys(frame.text).forEach(function (id) {
      var target = el(id);
      if (target && !(id in original)) { original[id] = target.textContent; }
    });
  });
  data.gradIds.forEach(function (id) { var target = el(id); if (target) { target.classList.add("grad"); } });
  Object.keys(nodes).forEach(function (key) {
    var first = el(nodes[key].svg[0]);
    if (!first) { return; }
    first.setAttribute("tabindex", "0");
    first.setAttribute("role", "button");
    first.setAttribute("aria-label", nodes[key].title + ": show its numbers");
    first.addEventListener("click", function () { pick(key); });
    first.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(key); }
    });
  });

  var painted = [frames[0], frames[0]];

  function paint(textFrame, litFrame) {
    painted = [textFrame, litFrame];
    Object.keys(original).forEach(function (id) {
      el(id).textContent = id in textFrame.text ? textFrame.text[id] : original[id];
    });
    lit.forEach(function (id) { var target = el(id); if (target) { target.classList.remove("lit"); } });
    lit = litFrame.lit;
    lit.forEach(function (id) { var target = el(id); if (target) { target.classList.add("lit"); } });
    if (graph.classList.contains("zoomed") && lit.length && el(lit[0])) { reveal(el(lit[0])); }
  }

  /* Scroll the drawing (not the page: the answer box stays in view) so that ``target`` is in its middle. */
  function reveal(target) {
    var box = target.getBoundingClientRect();
    var frame = graph.getBoundingClientRect();
    graph.scrollLeft += box.left + box.width / 2 - (frame.left + frame.width / 2);
    graph.scrollTop += box.top + box.height / 2 - (frame.top + frame.height / 2);
  }

  function go(index) {
    at = Math.max(0, Math.min(frames.length - 1, index));
    var frame = frames[at];
    paint(frame, frame);
    el("p-step").value = String(at);
    var where = frame.pass + " " + frame.n + "/" + frame.of;
    el("p-where").textContent = where;
    el("p-step").setAttribute("aria-valuetext", where);
    el("p-caption").textContent = hidingGrads() ? frame.hidden : frame.caption;
    el("p-prev").disabled = at === 0;
    el("p-home").disabled = at === 0;
    el("p-next").disabled = at === frames.length - 1;
    el("p-end").disabled = at === frames.length - 1;
    picked = null;
    details(frame.node);
  }

  /* --- the details of one node ---------------------------------------------------------------- */
  function pick(key) {
    picked = key;
    details(key);
    el("p-details").focus({preventScroll: true});
  }

  function details(key) {
    var node = nodes[key];
    Object.keys(nodes).forEach(function (other) {
      var first = el(nodes[other].svg[0]);
      if (first) { first.classList.toggle("picked", other === picked); }
    });
    var box = el("p-details");
    box.textContent = "";
    box.appendChild(make("h2", "", node.title));
    var facts = make("dl");
    var hidden = hidingGrads() || practicing();
    [["op", node.op || "none (an input)", ""], ["data", node.data, ""],
     ["grad", hidden ? "hidden" : node.grad, hidden ? "" : "grad-num"]].forEach(function (row) {
      facts.appendChild(make("dt", "", row[0]));
      facts.appendChild(make("dd", row[2], row[1]));
    });
    box.appendChild(facts);
    if (node.locals.length) {
      var locals = make("div");
      locals.appendChild(make("div", "", "local gradients:"));
      var list = make("ul");
      node.locals.forEach(function (local) {
        var item = make("li");
        item.appendChild(document.createTextNode("to " + local.to + ": "));
        item.appendChild(make("span", "local-num", local.local));
        item.appendChild(make("div", "rule", local.rule));
        list.appendChild(item);
      });
      locals.appendChild(list);
      box.appendChild(locals);
    }
  }

  /* --- controls ------------------------------------------------------------------------------- */
  function toggle(id, className) {
    var button = el(id);
    var now = !page.classList.contains(className);
    page.classList.toggle(className, now);
    button.setAttribute("aria-pressed", String(now));
    return now;
  }

  el("p-step").max = String(frames.length - 1);
  on("p-home", "click", function () { go(0); });
  on("p-prev", "click", function () { go(at - 1); });
  on("p-next", "click", function () { go(at + 1); });
  on("p-end", "click", function () { go(frames.length - 1); });
  on("p-step", "input", function () { go(Number(el("p-step").value)); });
  on("p-hide", "click", function () { toggle("p-hide", "hide-grads"); if (!practicing()) { go(at); } });
  on("p-projector", "click", function () { toggle("p-projector", "projector"); });
  var drawing = graph.querySelector("svg");
  var naturalWidth = drawing ? parseFloat(drawing.getAttribute("width")) *
    (/pt$/.test(drawing.getAttribute("width")) ? 4 / 3 : 1) : 0;  /* in px: 1 pt = 4/3 px */
  on("p-zoom", "click", function () {
    var now = !graph.classList.contains("zoomed");
    graph.classList.toggle("zoomed", now);
    if (drawing) { drawing.style.width = now ? Math.round(0.75 * naturalWidth) + "px" : ""; }
    el("p-zoom").setAttribute("aria-pressed", String(now));
    paint(painted[0], painted[1]);
  });
  on("p-practice", "click", function () { if (practicing()) { stopPractice(); } else { startPractice(); } });

  document.addEventListener("keydown", function (event) {
    var tag = event.target && event.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (practicing()) { return; }
    var keys = {ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: frames.length - 1};
    if (event.key in keys) {
      event.preventDefault();
      go(keys[event.key]);
    } else if (event.key === "g") {
      el("p-hide").click();
    }
  });

  /* --- practice: the student types each gradient; the page compares it with the data ------- */
  var quiz = data.practice;
  var done = [];
  var hinted = false;
  var stopped = false;

  function parseNumber(text) {
    var clean = text.trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    var plain = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
    var parts = clean.split("/");
    if (parts.length === 2 && plain.test(parts[0].trim()) && plain.test(parts[1].trim())) {
      var denominator = Number(parts[1]);
      return denominator === 0 ? null : Number(parts[0]) / denominator;
    }
    return plain.test(clean) ? Number(clean) : null;
  }

  function near(given, target) {
    return given === target || Math.abs(given - target) <= quiz.tolerance * (1 + 1e-9);
  }

  /* The usual mistake a wrong number is (feedback.named in Python): the numbers come with the data. */
  function named(question, given) {
    var matched = question.mistakes.filter(function (m) {
      return Math.abs(given - m.value) <= m.within * (1 + 1e-9);
    });
    if (matched.some(function (m) { return m.kind !== "rounding"; })) {
      matched = matched.filter(function (m) { return m.kind !== "rounding"; });
    }
    var kinds = [];
    matched = matched.filter(function (m) {
      if (kinds.indexOf(m.kind) >= 0) { return false; }
      kinds.push(m.kind);
      return true;
    });
    if (!matched.length) { return ""; }
    return matched.length < 3 ? matched.map(function (m) { return m.message; }).join(" or ") : matched[0].message;
  }

  function current() { return stopped || done.length === quiz.questions.length ? null : quiz.questions[done.length]; }

  function score() {
    var right = done.filter(function (answer) { return answer.correct; }).length;
    var text = right + "/" + done.length + " correct";
    if (stopped) { text += " (stopped after " + done.length + " of " + quiz.questions.length + " questions)"; }
    return text;
  }

  function say(text, className) {
    var list = el("p-feedback");
    list.appendChild(make("li", className || "", text));
    list.scrollTop = list.scrollHeight;
  }

  function ask() {
    var question = current();
    var form = el("p-form");
    el("p-again").hidden = question !== null;
    if (question === null) {
      form.hidden = true;
      el("p-score").textContent = score();
      el("p-question").textContent = "Done.";
      if (!stopped) { paint(frames[frames.length - 1], frames[frames.length - 1]); }
      el("p-again").focus();
      return;
    }
    form.hidden = false;
    el("p-score").textContent = done.length ? "score: " + score() : "";
    el("p-question").textContent = question.header;
    el("p-prompt").textContent = question.prompt;
    paint(frames[question.before], frames[question.frame]);
    picked = null;
    details(frames[question.frame].node);
    el("p-answer").value = "";
    el("p-answer").focus();
  }

  function check() {
    var question = current();
    var typed = el("p-answer").value;
    if (question === null || !typed.trim()) { return; }
    var given = parseNumber(typed);
    if (given === null) {
      say("\u201c" + typed.trim() + "\u201d is not a number, try again (Hint for a hint)", "wrong");
      el("p-answer").value = "";
      el("p-answer").focus();
      return;
    }
    var correct = near(given, question.expected) || near(given, question.shown);
    done.push({question: question, given: given, correct: correct, hinted: hinted});
    hinted = false;
    if (correct) {
      say(question.id + ": " + typed.trim() + " \u2713 right", "right");
    } else {
      say(question.id + ": " + typed.trim() + " \u2717 not quite: " + question.explain, "wrong");
      var mistake = named(question, given);
      if (mistake) { say(mistake, "wrong mistake"); }
    }
    ask();
  }

  function startPractice() {
    done = [];
    stopped = false;
    hinted = false;
    el("p-feedback").textContent = "";
    say(quiz.intro);
    page.classList.add("practicing");
    el("p-practice").setAttribute("aria-pressed", "true");
    el("p-practice").textContent = "Stop practice";
    ask();
  }

  function stopPractice() {
    if (current() !== null) { stopped = true; }
    page.classList.remove("practicing");
    el("p-practice").setAttribute("aria-pressed", "false");
    el("p-practice").textContent = "Practice";
    go(at);
  }

  if (quiz && quiz.questions.length) {
    on("p-form", "submit", function (event) { event.preventDefault(); check(); });
    on("p-hint", "click", function () {
      var question = current();
      if (question) { hinted = true; say(question.hint); el("p-answer").focus(); }
    });
    on("p-again", "click", startPractice);
    on("p-stop", "click", function () { if (current() !== null) { stopped = true; ask(); } });
  } else {
    el("p-practice").hidden = true;
  }

  /* On a narrow screen (a phone) a drawing fitted to the width would be too small to read: show it
     large (its numbers about 16 px) and scroll to the current step instead. */
  if (drawing && graph.clientWidth / naturalWidth < 0.45) { el("p-zoom").click(); }
  go(data.start || 0);
  if (data.mode === "practice" && quiz && quiz.questions.length) { startPractice(); }
})();
