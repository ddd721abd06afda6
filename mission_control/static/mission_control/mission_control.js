/* Mission Control live refresh: no build step, no dependencies.
 *
 * Every few seconds the page fetches itself and swaps in the fresh content of each element
 * marked [data-mc-live] (matched by id). The server renders that content with Django's
 * autoescaping, and HTML parsed by DOMParser never runs scripts, so job data stays inert.
 * Refreshing pauses while the tab is hidden, while a job is selected for a bulk action or a
 * form field has focus, and when the operator unticks "Auto-refresh" (remembered per browser).
 *
 * The browser's time zone goes to the server in the mc_tz cookie, so dates are rendered in it
 * (the server checks the name and falls back to its default for one it does not know).
 */
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (/^[A-Za-z0-9_+\/-]{1,64}$/.test(zone || "") && (" " + document.cookie + ";").indexOf(" mc_tz=" + zone + ";") === -1) {
      document.cookie = "mc_tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax" +
        (window.location.protocol === "https:" ? "; Secure" : "");
    }
  } catch (e) { /* no Intl: the server's default zone applies */ }
  var KEY = "missionControl.autoRefresh";
  var main = document.querySelector("[data-mc-refresh-seconds]");
  var toggle = document.getElementById("mc-autorefresh");
  if (!main) { return; }
  var seconds = parseInt(main.getAttribute("data-mc-refresh-seconds"), 10) || 5;
  var busy = false;

  if (toggle) {
    toggle.checked = window.localStorage.getItem(KEY) !== "off";
    toggle.addEventListener("change", function () {
      window.localStorage.setItem(KEY, toggle.checked ? "on" : "off");
    });
  }

  function operatorIsBusy() {
    if (document.querySelector(".action-select:checked, #mc-select-all:checked")) { return true; }
    var active = document.activeElement;
    return !!(active && active.closest && active.closest("form") && active.matches("input, select, textarea"));
  }

  function refresh() {
    if (busy || document.hidden || (toggle && !toggle.checked) || operatorIsBusy()) { return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Mission-Control-Refresh": "1" } })
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("refresh " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-mc-live]").forEach(function (element) {
          var replacement = element.id && fresh.getElementById(element.id);
          if (replacement) { element.innerHTML = replacement.innerHTML; }
        });
        document.documentElement.setAttribute("data-mc-refreshed", String(Date.now()));
      })
      .catch(function () { /* keep the current content; try again next tick */ })
      .then(function () { busy = false; });
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "mc-select-all") {
      document.querySelectorAll(".action-select").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
  });

  window.setInterval(refresh, seconds * 1000);
}());
