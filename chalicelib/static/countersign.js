/* Countersign pages: progressive enhancement only. Every page works without this file.
   Sign page: posts JSON, shows field errors in place, shows thanks in place.
   Dashboard: polls /totals with If-None-Match and updates the figures, list and map in place;
   polls less while nothing changes and not at all while its tab is hidden. */
(function () {
  "use strict";

  /* The page's language and digits (CLDR's, as the server wrote them), and the words this script writes,
     from the page's JSON data block (#page-text), so every message follows the page's language. */
  var html = document.documentElement;
  var language = html.lang || "en";
  var numbers = new Intl.NumberFormat(language + "-u-nu-" + (html.getAttribute("data-numbers") || "latn"));
  var text = (function () {
    var block = document.getElementById("page-text");
    try { return block ? JSON.parse(block.textContent) : {}; } catch (e) { return {}; }
  })();
  function say(key, fallback) { return text[key] || fallback; }

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function percent(total, goal) { return goal > 0 ? Math.min(100, 100 * total / goal) : 0; }
  function fold(text) {
    // "Côte d'Ivoire" matches "cote": compare without case or accents.
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function clock(date) {
    var sameDay = date.toDateString() === new Date().toDateString();
    return sameDay ? date.toLocaleTimeString(language) : date.toLocaleString(language);
  }

  /* Polls a totals URL for the element `root`. While the figures change, every
     `everySeconds`; each answer that changes nothing (a 304) doubles the wait, up to
     QUIET_MAX seconds, and the next change brings it back. A failure keeps the last
     figures, tells onStale, and retries after 10, 20, 40, then every 60 seconds.
     A hidden tab polls nothing; shown again, it polls at once. root's data-next-poll
     says what comes next: seconds, "paused", or "" while a request is out. */
  var QUIET_MAX = 60;

  function pollTotals(root, url, everySeconds, etag, handlers) {
    var quiet = everySeconds;
    var failing = everySeconds;
    var timer = null;
    var inFlight = false;

    function pause() {
      clearTimeout(timer);
      root.setAttribute("data-next-poll", "paused");
    }

    function next(seconds) {
      if (document.hidden) { pause(); return; }
      clearTimeout(timer);
      timer = setTimeout(tick, seconds * 1000);
      root.setAttribute("data-next-poll", String(seconds));
    }

    function tick() {
      if (inFlight) return;
      if (document.hidden) { pause(); return; }
      inFlight = true;
      root.setAttribute("data-next-poll", "");
      var headers = { Accept: "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      fetch(url, { headers: headers, credentials: "omit" })
        .then(function (response) {
          if (response.status === 304) return null;
          if (!response.ok) throw new Error("HTTP " + response.status);
          var version = response.headers.get("ETag");
          if (version && version === etag) return null;
          etag = version || etag;
          return response.json();
        })
        .then(function (figures) {
          inFlight = false;
          failing = everySeconds;
          quiet = figures ? everySeconds : Math.min(quiet * 2, QUIET_MAX);
          if (figures) handlers.onData(figures);
          if (handlers.onFresh) handlers.onFresh();
          next(quiet);
        })
        .catch(function () {
          inFlight = false;
          failing = Math.min(Math.max(failing * 2, 10), 60);
          if (handlers.onStale) handlers.onStale(failing);
          next(failing);
        });
    }

    document.addEventListener("visibilitychange", function () {
      if (document.hidden) pause();
      else if (!inFlight) tick();
    });
    next(handlers.firstDelay === undefined ? everySeconds : handlers.firstDelay);
  }

  function showProgress(root, figures, goal) {
    goal = figures.goal || goal;
    $$("[data-progress]", root).forEach(function (el) { el.hidden = false; });
    $$("[data-total]", root).forEach(function (el) { el.textContent = numbers.format(figures.total); });
    $$("[data-percent]", root).forEach(function (el) { el.textContent = percent(figures.total, goal).toFixed(1); });
    $$("[data-bar]", root).forEach(function (el) { el.setAttribute("width", percent(figures.total, goal).toFixed(1) + "%"); });
  }

  /* "7 of 7 countries over their threshold", for a petition with per-country targets. */
  function showTargetsLine(root, figures) {
    var line = $("[data-targets-line]", root);
    var targets = Object.keys(figures.targets || {}).length;
    if (!line || !targets) return;
    var reached = (figures.targets_reached || []).length;
    var template = line.getAttribute("data-template");
    if (template) line.textContent = template.replace("{reached}", numbers.format(reached));
  }

  /* ---------- sharing (thanks page and the in-place thanks) ---------- */

  function setUpSharing(root) {
    var input = $("[data-share-url]", root);
    if (!input) return;
    var status = $("[data-copy-status]", root);
    var copy = $("[data-copy]", root);
    var share = $("[data-native-share]", root);
    copy.hidden = false;
    copy.addEventListener("click", function () {
      function done() { status.textContent = say("copied", "Link copied. Paste it anywhere to share."); }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { input.select(); document.execCommand("copy"); done(); });
      } else {
        input.select();
        document.execCommand("copy");
        done();
      }
    });
    if (navigator.share) {
      share.hidden = false;
      share.addEventListener("click", function () {
        navigator.share({ title: document.title, url: input.value }).catch(function () {});
      });
    }
    input.addEventListener("focus", function () { input.select(); });
  }

  /* ---------- sign page ---------- */

  var FIELDS = ["name", "email", "country", "postcode", "consent", "updates_opt_in"];

  function setUpSignForm(form) {
    var section = $("#sign-section");
    var summary = $("#error-summary");
    var list = $("[data-error-list]", summary);
    var button = $("[data-submit]", form);
    var status = $("[data-form-status]", form);

    summary.addEventListener("click", function (event) {
      // Following a summary link moves focus to the field itself, not just the scroll position.
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      var label = $("label[for='" + target.id + "']") || target;
      label.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    });

    function fieldError(name, message) {
      var slot = $("[data-error-for='" + name + "']", form);
      var input = form.elements[name];
      var box = slot ? slot.closest(".field") : null;
      if (slot) {
        slot.textContent = "";
        if (message) {
          var hidden = document.createElement("span");
          hidden.className = "visually-hidden";
          hidden.textContent = say("error_prefix", "Error: ");
          slot.appendChild(hidden);
          slot.appendChild(document.createTextNode(message));
        }
      }
      if (input && input.setAttribute) {
        if (message) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      }
      if (box) box.classList.toggle("invalid", !!message);
    }

    function showErrors(errors, general) {
      FIELDS.forEach(function (name) { fieldError(name, errors[name]); });
      list.textContent = "";
      Object.keys(errors).forEach(function (name) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "#" + (form.elements[name] && form.elements[name].id ? name : name + "-error");
        link.textContent = errors[name];
        item.appendChild(link);
        list.appendChild(item);
      });
      if (general) {
        var item = document.createElement("li");
        item.textContent = general;
        list.appendChild(item);
      }
      summary.hidden = false;
      var prefix = say("error_prefix", "Error: ");
      document.title = document.title.indexOf(prefix) === 0 ? document.title : prefix + document.title;
      summary.focus();
    }

    function clearErrors() {
      FIELDS.forEach(function (name) { fieldError(name, null); });
      summary.hidden = true;
      list.textContent = "";
      var prefix = say("error_prefix", "Error: ");
      if (document.title.indexOf(prefix) === 0) document.title = document.title.slice(prefix.length);
    }

    function showThanks() {
      var template = $("#thanks-template");
      if (!template) { window.location.href = form.action.replace(/signatures$/, "thanks"); return; }
      section.textContent = "";
      section.appendChild(template.content.cloneNode(true));
      section.setAttribute("aria-labelledby", "thanks-heading");
      section.setAttribute("data-signed", "");
      setUpSharing(section);
      if (text.thanks_title) document.title = text.thanks_title;
      var heading = $("[data-thanks-heading]", section);
      heading.focus();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var e = form.elements;
      var body = {
        name: e.name.value,
        email: e.email.value,
        country: e.country.value,
        postcode: e.postcode ? e.postcode.value : "", // the embed's compact form has none
        consent: e.consent.checked,
        updates_opt_in: e.updates_opt_in.checked,
        website: e.website.value
      };
      if (e.source) body.source = e.source.value;
      // The challenge's token, when the petition has one (Turnstile's widget adds this field).
      var challenge = form.querySelector('[name="cf-turnstile-response"]');
      if (challenge) body["cf-turnstile-response"] = challenge.value;
      button.disabled = true;
      status.textContent = say("sending", "Sending your signature…");
      // With data-direct the signature goes straight to the API's own address (skipping the CDN)
      // as a form body: a "simple" cross-site request, so no preflight request is paid for either.
      var direct = form.getAttribute("data-direct");
      var request = direct ? {
        method: "POST",
        headers: { Accept: "application/json" },
        body: new URLSearchParams({
          name: body.name, email: body.email, country: body.country, postcode: body.postcode,
          consent: body.consent ? "yes" : "", updates_opt_in: body.updates_opt_in ? "yes" : "no",
          website: body.website, source: body.source || "",
          "cf-turnstile-response": body["cf-turnstile-response"] || ""
        }),
        credentials: "omit"
      } : {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin"
      };
      fetch(direct || form.action, request)
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            return { status: response.status, data: data };
          });
        })
        .then(function (reply) {
          button.disabled = false;
          status.textContent = "";
          if (reply.status === 202 || reply.status === 200) { clearErrors(); showThanks(); return; }
          // A token works once: whatever the answer, the next try needs a fresh check.
          if (challenge && window.turnstile) window.turnstile.reset();
          if (reply.status === 422 && reply.data.errors) { showErrors(reply.data.errors); return; }
          showErrors({}, reply.data.error || say("failed", "Something went wrong on our side. Please try again."));
        })
        .catch(function () {
          button.disabled = false;
          status.textContent = "";
          showErrors({}, say("offline", "We couldn't reach the server. Check your connection and try again; your details are still here."));
        });
    });
  }

  /* ---------- dashboard ---------- */

  function setUpDashboard(root) {
    var names = JSON.parse($("#country-names").textContent);
    var list = $("[data-countries]", root);
    var filter = $("[data-filter]", root);
    var noMatch = $("[data-no-match]", root);
    var count = $("[data-country-count]", root);
    var updated = $("[data-updated]", root);
    var stale = $("[data-stale]", root);
    var mapBox = $("[data-map-box]", root);
    var legend = $("[data-legend]", root);
    var goal = Number(root.getAttribute("data-goal"));
    var lastGood = new Date();
    var current = { by_country: {} };

    $$("li", list).forEach(function (li) {
      current.by_country[li.getAttribute("data-code")] = Number($(".n", li).getAttribute("data-n"));
    });

    function showUpdated(iso) {
      if (!iso) return;
      var when = new Date(iso);
      if (isNaN(when)) return;
      updated.setAttribute("datetime", iso);
      updated.textContent = clock(when);
    }

    function applyFilter() {
      var query = fold(filter.value.trim());
      var shown = 0;
      $$("li", list).forEach(function (li) {
        var match = !query || fold($(".name", li).textContent).indexOf(query) !== -1;
        li.hidden = !match;
        if (match) shown++;
      });
      noMatch.hidden = shown > 0 || !query;
    }

    function row(code) {
      var li = document.createElement("li");
      li.setAttribute("data-code", code);
      // No style attributes anywhere: the page's Content-Security-Policy refuses inline styles.
      li.innerHTML = '<span class="name"></span><span class="n"></span>' +
        '<svg class="bar" aria-hidden="true" focusable="false"><rect width="0" height="100%"></rect></svg>';
      $(".name", li).textContent = names[code] || code;
      return li;
    }

    function showCountries(byCountry) {
      var codes = Object.keys(byCountry); // the server sends them ranked
      var top = codes.length ? byCountry[codes[0]] : 0;
      var rows = {};
      $$("li", list).forEach(function (li) { rows[li.getAttribute("data-code")] = li; });
      codes.forEach(function (code, index) {
        var li = rows[code] || row(code);
        delete rows[code];
        var n = $(".n", li);
        var figure = numbers.format(byCountry[code]);
        if (n.textContent !== figure) n.textContent = figure;
        n.setAttribute("data-n", String(byCountry[code]));
        $(".bar rect", li).setAttribute("width", (top ? 100 * byCountry[code] / top : 0).toFixed(1) + "%");
        // Move a row only when it is out of place, so unchanged rows never re-render.
        if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
      });
      Object.keys(rows).forEach(function (code) { list.removeChild(rows[code]); });
      count.textContent = "(" + numbers.format(codes.length) + ")";
      applyFilter();
    }

    function paintMap(byCountry) {
      var svg = $("svg", mapBox);
      if (!svg) return;
      var max = 0;
      Object.keys(byCountry).forEach(function (code) { max = Math.max(max, byCountry[code]); });
      $$("path[data-cc]", svg).forEach(function (path) {
        var code = path.getAttribute("data-cc");
        var n = byCountry[code] || 0;
        // Log scale: a country with a tenth of the leader's signatures still shows colour.
        var level = n && max ? Math.max(1, Math.ceil(5 * Math.log(1 + n) / Math.log(1 + max))) : 0;
        path.setAttribute("class", level ? "c" + level : "");
        var title = path.firstElementChild;
        if (!title) { title = document.createElementNS("http://www.w3.org/2000/svg", "title"); path.appendChild(title); }
        title.textContent = (names[code] || code) + ": " + numbers.format(n);
      });
    }

    function show(figures) {
      current = figures;
      showProgress(root, figures, goal);
      showUpdated(figures.updated_at);
      showCountries(figures.by_country || {});
      paintMap(figures.by_country || {});
      showTargetsLine(root, figures);
    }

    filter.addEventListener("input", applyFilter);
    showUpdated(updated.getAttribute("datetime"));

    if (mapBox && root.getAttribute("data-map")) {
      fetch(root.getAttribute("data-map"))
        .then(function (response) { if (!response.ok) throw new Error(); return response.text(); })
        .then(function (svg) {
          mapBox.innerHTML = svg; // our own static asset, not user content
          legend.hidden = false;
          paintMap(current.by_country || {});
        })
        .catch(function () {});
    }

    pollTotals(root, root.getAttribute("data-totals"), Number(root.getAttribute("data-poll")) || 5,
      root.getAttribute("data-etag"), {
        onData: show,
        onFresh: function () {
          lastGood = new Date();
          if (!stale.hidden) { stale.hidden = true; root.classList.remove("stale"); }
        },
        onStale: function (retryIn) {
          root.classList.add("stale");
          stale.hidden = false;
          stale.textContent = say("stale", "Can't reach the server. These figures are from {time}; trying again in " +
            "{seconds} seconds.").replace("{time}", clock(lastGood)).replace("{seconds}", numbers.format(retryIn));
        }
      });
  }

  /* ---------- start ---------- */

  var page = document.body.getAttribute("data-page");
  if (page === "dashboard") {
    setUpDashboard($("[data-totals]"));
    return;
  }
  var form = $("[data-sign-form]");
  if (form && window.fetch && window.JSON) setUpSignForm(form);
  if (page === "thanks") setUpSharing(document);
  var progress = $("[data-totals]");
  if (progress && window.fetch) {
    var unknown = $("[data-progress]", progress).hidden; // the 422 re-render has no figure yet
    pollTotals(progress, progress.getAttribute("data-totals"), Number(progress.getAttribute("data-poll")) || 20, null, {
      firstDelay: unknown ? 0 : undefined,
      onData: function (figures) { showProgress(progress, figures, Number(progress.getAttribute("data-goal"))); }
    });
  }
})();
