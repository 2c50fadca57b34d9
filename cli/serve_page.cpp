// GET / of `trfpipe serve`: type a text, see it as displaCy renders it (entities, then the words
// with their tags and, when the pipeline parses, the dependency arcs). The markup comes from the
// server's POST /render, i.e. the same C++ renderer as `apply --displacy` and `evaluate
// --displacy-path`. `/?text=...` fills the box and submits it (links to an analysis, tests).
#include "cli/serve_page.hpp"

namespace trfpipe::cli {

const char* serve_page_html() {
  return R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>trfpipe serve</title>
<style>
  body { font-family: -apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif;
         margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.4rem; margin-bottom: 0.2rem; }
  #model { color: #666; font-size: 0.9rem; margin-bottom: 1rem; }
  textarea { width: 100%; box-sizing: border-box; font-size: 1rem; padding: 0.5rem; }
  button { margin-top: 0.5rem; font-size: 1rem; padding: 0.4rem 1.2rem; cursor: pointer; }
  #status { margin: 0.8rem 0; color: #555; min-height: 1.2rem; }
  #status.error { color: #b00020; }
  h2 { font-size: 1.1rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
  #deps { overflow-x: auto; }
</style>
</head>
<body>
<h1>trfpipe serve</h1>
<div id="model"></div>
<form id="form">
  <textarea id="text" name="text" rows="4" placeholder="Type a text and press Parse"></textarea>
  <button type="submit" id="submit">Parse</button>
</form>
<div id="status"></div>
<section><h2>Entities</h2><div id="ents"></div></section>
<section><h2>Tokens and dependencies</h2><div id="deps"></div></section>
<script>
const $ = (id) => document.getElementById(id);
function show(message, error) {
  $('status').textContent = message;
  $('status').className = error ? 'error' : '';
}
async function parse(text) {
  show('Parsing...', false);
  document.body.dataset.state = 'busy';
  try {
    const r = await fetch('/render', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                      body: JSON.stringify({text: text})});
    const j = await r.json();
    if (!r.ok) throw new Error(j.error || r.statusText);
    $('ents').innerHTML = j.ent;
    $('deps').innerHTML = j.dep;
    const ents = (j.doc.ents || []).length, tokens = (j.doc.tokens || []).length;
    show(tokens + ' tokens, ' + ents + ' entities', false);
    document.body.dataset.state = 'done';
  } catch (e) {
    show('Error: ' + e.message, true);
    document.body.dataset.state = 'error';
  }
}
$('form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('text').value;
  history.replaceState(null, '', '?text=' + encodeURIComponent(text));
  parse(text);
});
fetch('/meta').then((r) => r.json()).then((m) => {
  $('model').textContent = (m.lang || '') + '_' + (m.name || 'pipeline') + ' ' + (m.version || '') +
      ' \u00b7 pipeline: [' + (m.pipeline || []).join(', ') + ']';
}).catch(() => {});
const given = new URLSearchParams(location.search).get('text');
if (given !== null) {
  $('text').value = given;
  $('form').requestSubmit();
}
</script>
</body>
</html>
)HTML";
}

}  // namespace trfpipe::cli
