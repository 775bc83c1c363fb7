//! `GET /`: the approval page for property managers. Static HTML; it calls the JSON API with the
//! token the manager pastes in (kept in the tab's session storage only).
//!
//! Its Content-Security-Policy allows exactly its own inline style and script, by SHA-256 hash
//! (computed here from the very text served, so an edit cannot forget the header), plus
//! `fetch` to this origin; no inline event handlers (`onclick`), nothing from elsewhere, no
//! framing.

use axum::http::header;
use axum::response::{Html, IntoResponse};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

pub async fn page() -> impl IntoResponse {
    (
        [(header::CONTENT_SECURITY_POLICY, CSP.as_str())],
        Html(PAGE.as_str()),
    )
}

const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}
table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;border-bottom:1px solid #ddd;text-align:left}
.green{border-left:6px solid #2e7d32}.red{border-left:6px solid #c62828}.mixed{border-left:6px solid #c62828;box-shadow:inset 6px 0 #2e7d32}.grey{border-left:6px solid #9e9e9e}
#msg{margin:.5rem 0;color:#333}
";

const SCRIPT: &str = r#"
const t=document.getElementById('token');t.value=sessionStorage.getItem('lockstep-token')||'';
function hdr(){sessionStorage.setItem('lockstep-token',t.value);return {'Authorization':'Bearer '+t.value,'Content-Type':'application/json'}}
function say(m){document.getElementById('msg').textContent=m}
async function load(){const r=await fetch('/api/v1/suggestions',{headers:hdr()});const j=await r.json();if(!r.ok){say(j.error);return}
const rows=document.getElementById('rows');rows.textContent='';
for(const s of j.suggestions){const tr=document.createElement('tr');tr.className=s.colour;
const cb=document.createElement('input');cb.type='checkbox';cb.value=s.id;const td=document.createElement('td');td.appendChild(cb);tr.appendChild(td);
for(const v of [s.property,s.name,s.unit||'',s.kind,s.steps.map(x=>x.system+': '+x.describe).join('; '),s.reason,new Date(s.created_at*1000).toLocaleString()]){const c=document.createElement('td');c.textContent=v;tr.appendChild(c)}
rows.appendChild(tr)}say(j.suggestions.length+' pending')}
async function decide(what){const ids=[...document.querySelectorAll('#rows input:checked')].map(c=>c.value);
const r=await fetch('/api/v1/suggestions/'+what,{method:'POST',headers:hdr(),body:JSON.stringify({ids})});const j=await r.json();
if(!r.ok){say(j.error);return}await load();
if(j.results){say(Object.values(j.results).map(x=>x.name+': '+x.state+(x.error?' ('+x.error+')':'')).join('; '))}else{say(what+': done')}}
document.getElementById('load').addEventListener('click',load);
document.getElementById('approve').addEventListener('click',()=>decide('approve'));
document.getElementById('discard').addEventListener('click',()=>decide('discard'));
"#;

static PAGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lockstep: access suggestions</title>
<style>{STYLE}</style></head><body>
<h1>Access suggestions</h1>
<p><label>API token <input id="token" type="password" size="50"></label> <button id="load">Load</button></p>
<div id="msg"></div>
<table><thead><tr><th></th><th>Property</th><th>Person</th><th>Unit</th><th>Kind</th><th>Change</th><th>Reason</th><th>Since</th></tr></thead><tbody id="rows"></tbody></table>
<p><button id="approve">Approve selected (max 50)</button> <button id="discard">Discard selected</button></p>
<script>{SCRIPT}</script></body></html>
"#
    )
});

fn hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

static CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        hash(SCRIPT),
        hash(STYLE)
    )
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_served_script_and_style_and_no_handler_is_inline() {
        assert!(PAGE.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(PAGE.contains(&format!("<style>{STYLE}</style>")));
        assert!(CSP.contains(&hash(SCRIPT)) && CSP.contains(&hash(STYLE)));
        assert!(!CSP.contains("unsafe-inline"));
        let lower = PAGE.to_lowercase();
        for handler in ["onclick", "onload", "onerror", "onsubmit", "javascript:"] {
            assert!(
                !lower.contains(handler),
                "inline {handler} would be blocked by the CSP"
            );
        }
    }
}
