//! The console's two static files: the style sheet (simple, responsive: a table scrolls on a
//! phone, cards stack) and the one small script (select the first 50 shown, count the selection,
//! filter rows while typing). Everything works without the script; the policy allows only these
//! files (`script-src 'self'`, `style-src 'self'`), never inline code.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

pub const CSS: &str = r#"
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;background:#f6f7f9;line-height:1.45}
a{color:#0b57d0}a:focus,button:focus,input:focus,select:focus{outline:3px solid #f9a825;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:9}
header.top{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.6rem 1.2rem;background:#12263f;color:#fff}
header.top a{color:#fff;text-decoration:none}.brand{font-weight:700;font-size:1.15rem}
header.top nav{display:flex;gap:1rem}.signout{margin-left:auto;display:flex;gap:.6rem;align-items:center}
main{max-width:80rem;margin:0 auto;padding:1rem 1.2rem}
h1{font-size:1.5rem;margin:.4rem 0 1rem}h2{font-size:1.15rem;margin:0 0 .5rem}h3{font-size:1rem;margin:.8rem 0 .3rem}
button{font:inherit;padding:.45rem .9rem;border-radius:6px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b57d0}button.danger{background:#b3261e;border-color:#b3261e}
input,select{font:inherit;padding:.4rem;border:1px solid #8a94a6;border-radius:6px;max-width:100%}
td .muted{white-space:nowrap}
.muted{color:#5f6b7a}.error{color:#b3261e}.warn{color:#8a5a00}.ok{color:#1e6b34}
.notice{background:#e8f0fe;border-left:4px solid #0b57d0;padding:.5rem .8rem}
.alert,strong.alert{color:#8a1c12;font-weight:700}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:1rem}
.card{background:#fff;border:1px solid #d5dae1;border-radius:10px;padding:1rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:.5rem 0}dt{color:#5f6b7a}dd{margin:0}
.guard{background:#fdecea;border:1px solid #b3261e;border-radius:8px;padding:.6rem .8rem}
ul.health{list-style:none;padding:0;margin:0}ul.health li{padding:.15rem 0}
li.bad,dd.bad{color:#b3261e}li.ok::before{content:"● ";color:#1e6b34}li.bad::before{content:"● ";color:#b3261e}
.filters{display:flex;flex-wrap:wrap;gap:.8rem;align-items:end;margin:.5rem 0 1rem}
.actions{display:flex;flex-wrap:wrap;gap:.8rem;align-items:center;margin:.5rem 0;position:sticky;top:0;background:#f6f7f9;padding:.4rem 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:.45rem .55rem;border-bottom:1px solid #e2e6ea;text-align:left;vertical-align:top}
tr.green td:first-child{border-left:6px solid #1e6b34}tr.red td:first-child{border-left:6px solid #b3261e}
tr.mixed td:first-child{border-left:6px solid #8a5a00}tr.grey td:first-child{border-left:6px solid #9aa3ad}
ul.steps{margin:.2rem 0 0;padding-left:1.1rem}li.grant{color:#1e6b34}li.revoke{color:#b3261e}
.colour{font-weight:600}
table.access{margin-bottom:.6rem}table.access th[scope=row]{font-weight:400;border-left:6px solid #9aa3ad}
table.access tr.green th[scope=row]{border-left-color:#1e6b34}table.access tr.red th[scope=row]{border-left-color:#b3261e}
td.status{color:#5f6b7a}td.status.grant{color:#1e6b34;font-weight:600}td.status.revoke{color:#b3261e;font-weight:600}
.state{font-weight:700}.state.executed,.state.discarded{color:#1e6b34}.state.failed{color:#b3261e}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
form.signin{display:grid;gap:.6rem;max-width:28rem}
.person-actions{display:flex;flex-wrap:wrap;gap:.8rem;align-items:center;margin:.6rem 0}
.person-actions form{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
code{word-break:break-all;font-size:.85em}
@media (max-width:640px){
 main{padding:.6rem}.cards{grid-template-columns:1fr}
 table.suggestions thead{display:none}
 table.suggestions tr{display:block;border-bottom:2px solid #d5dae1;padding:.3rem 0}
 table.suggestions td{display:block;border:0;padding:.2rem .5rem}
 .signout{margin-left:0}
}
"#;

pub const JS: &str = r#""use strict";
(function () {
  var LIMIT = 50;
  var form = document.getElementById("decide");
  if (!form) { return; }
  var boxes = function () {
    return Array.prototype.slice.call(form.querySelectorAll("input[name=id]"));
  };
  var visible = function (box) { return box.closest("tr").style.display !== "none"; };
  var counter = document.getElementById("selected");
  var all = document.getElementById("select-all");
  var count = function () {
    var n = boxes().filter(function (b) { return b.checked; }).length;
    if (counter) { counter.textContent = n + " selected (at most " + LIMIT + ")"; }
    return n;
  };
  form.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t === all) {
      var n = 0;
      boxes().forEach(function (b) {
        b.checked = all.checked && visible(b) && n < LIMIT;
        if (b.checked) { n += 1; }
      });
    } else if (t.name === "id" && t.checked && count() > LIMIT) {
      t.checked = false;
      if (counter) { counter.textContent = "At most " + LIMIT + " at once"; }
      return;
    }
    count();
  });
  var q = document.getElementById("q");
  if (q) {
    q.addEventListener("input", function () {
      var want = q.value.trim().toLowerCase();
      form.querySelectorAll("tbody tr").forEach(function (row) {
        row.style.display = !want || row.textContent.toLowerCase().indexOf(want) >= 0 ? "" : "none";
      });
    });
  }
})();
"#;

pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such file").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body,
    )
        .into_response()
}
