// Live progress on the run page: poll the API (same session cookie) and update the progress bar
// and the status text (an aria-live region, so screen readers hear the change). No framework.
(function () {
  var box = document.getElementById("run");
  if (!box) return;
  var status = box.getAttribute("data-status");
  if (status === "completed" || status === "failed") return;
  var id = box.getAttribute("data-run");
  var bar = document.getElementById("run-progress");
  var pct = document.getElementById("run-percent");
  var st = document.getElementById("run-status");
  var msg = document.getElementById("run-message");
  function tick() {
    fetch("/api/v1/runs/" + id, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (run) {
        if (!run) { setTimeout(tick, 2000); return; }
        var p = Math.round((run.progress || 0) * 100);
        bar.value = p; bar.textContent = p + "%"; pct.textContent = p + "%";
        st.textContent = st.getAttribute("data-" + run.status) || run.status;
        msg.textContent = run.message || "";
        if (run.status === "completed" || run.status === "failed") { window.location.reload(); return; }
        setTimeout(tick, 700);
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 500);
})();
