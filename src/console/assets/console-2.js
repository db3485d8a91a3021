// ssisd web console script, version 2 (served as /assets/console-2.js; a change to this file
// gets a new version and path). Hand-written, no dependencies, no build step. It fills the
// server-rendered page shells with data read from the API under /api/v1 with the browser's
// session cookie, sends changes to the same API with the session's CSRF token, and follows runs
// and the event log through the API's server-sent event streams. Every name and message is put
// into the page as text (textContent, attribute values), never parsed as HTML.
'use strict';

(() => {
  const body = document.body;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : '';
  const abilities = (body.dataset.can || '').split(' ').filter(Boolean);
  const identity = body.dataset.identity || '';

  // --- small helpers -----------------------------------------------------------------------

  /** Whether the role may do `op` at all (`own`: only on the caller's own things). */
  function can(op, owner) {
    if (abilities.includes(op)) return true;
    if (!abilities.includes(op + ':own')) return false;
    return owner === undefined || owner === identity;
  }

  /** Builds an element: attributes (on* not accepted), then children (strings become text). */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  const $ = (sel) => document.querySelector(sel);

  /** Replaces a node's children (arrays flattened, strings as text). */
  function fill(node, ...children) {
    node.replaceChildren(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false)
      .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  }
  const enc = encodeURIComponent;
  const pathOf = (segments) => segments.map(enc).join('/');

  function notice(text, kind) {
    const n = $('#notice');
    if (!n) return;
    n.className = kind ? 'notice ' + kind : '';
    n.textContent = text || '';
    if (kind === 'error') n.setAttribute('role', 'alert');
  }

  function when(t) {
    if (!t) return '';
    const d = new Date(t);
    return isNaN(d) ? String(t) : d.toLocaleString();
  }

  function duration(ms) {
    if (ms === undefined || ms === null) return '';
    if (ms < 1000) return Math.round(ms) + ' ms';
    const s = ms / 1000;
    if (s < 120) return s.toFixed(1) + ' s';
    const m = Math.floor(s / 60);
    return m + ' min ' + Math.round(s - m * 60) + ' s';
  }

  function size(n) {
    if (n === undefined || n === null) return '';
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1024 / 1024).toFixed(1) + ' MiB';
  }

  /** Whether a `next` target stays on this console (a path, never another site). */
  function safeNext(next) {
    return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') &&
      !next.startsWith('/\\') ? next : '/packages';
  }

  function signIn() {
    location.assign('/login?next=' + enc(location.pathname + location.search));
  }

  /** One API request; resolves to the JSON answer (null for none), rejects with its message. */
  async function api(method, path, options) {
    const o = options || {};
    const headers = {};
    if (csrf && method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
    let payload;
    if (o.raw !== undefined) {
      payload = o.raw;
      headers['Content-Type'] = o.type || 'application/octet-stream';
    } else if (o.json !== undefined) {
      payload = JSON.stringify(o.json);
      headers['Content-Type'] = 'application/json';
    }
    const res = await fetch('/api/v1/' + path, {
      method, headers, body: payload, credentials: 'same-origin', cache: 'no-store',
    });
    if (res.status === 401) {
      signIn();
      throw new Error('signed out');
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (_) { data = { message: text }; }
    }
    if (!res.ok) {
      const err = new Error((data && data.message) || res.status + ' ' + res.statusText);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  /** Runs an action, showing what went wrong (the API's own message) in the notice. */
  async function attempt(what, f) {
    try {
      const n = $('#notice');
      if (n && n.classList.contains('error')) notice('');
      return await f();
    } catch (e) {
      if (e.message !== 'signed out') notice(what + ': ' + e.message, 'error');
      return undefined;
    }
  }

  function table(headers, rows, label) {
    return el('div', { class: 'table-wrap' },
      el('table', { 'aria-label': label },
        el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, rows)));
  }

  function badge(text, kind) {
    return el('span', { class: 'badge ' + (kind || String(text).replace(/[^a-z]/gi, '-')) }, text);
  }

  function dl(pairs) {
    return el('dl', { class: 'facts' }, pairs.filter((p) => p[1] !== undefined && p[1] !== null && p[1] !== '')
      .map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }

  function button(text, onclick, cls) {
    return el('button', { type: 'button', class: cls, onclick }, text);
  }

  // --- sign in and out -----------------------------------------------------------------------

  function loginPage() {
    const form = $('#login-form');
    const next = safeNext(new URLSearchParams(location.search).get('next'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const token = $('#token').value.trim();
      const res = await fetch('/session', {
        method: 'POST', headers: { Authorization: 'Bearer ' + token }, credentials: 'same-origin',
      });
      $('#token').value = '';
      if (res.ok) {
        location.assign(next);
        return;
      }
      let message = res.status + ' ' + res.statusText;
      try { message = (await res.json()).message; } catch (_) { /* keep the status */ }
      notice(message, 'error');
    });
    $('#token').focus();
  }

  const signOut = $('#sign-out');
  if (signOut) {
    signOut.addEventListener('click', async () => {
      await fetch('/session', { method: 'DELETE', headers: { 'X-CSRF-Token': csrf }, credentials: 'same-origin' });
      location.assign('/login');
    });
  }

  // --- Stored Packages -----------------------------------------------------------------------

  function currentFolder() {
    const tail = location.pathname.replace(/^\/packages\/?/, '');
    return tail.split('/').filter(Boolean).map(decodeURIComponent);
  }

  async function packagesPage() {
    const segments = currentFolder();
    const tops = await attempt('Listing the folders', () => api('GET', 'folders'));
    if (!tops) return;
    const tree = $('#tree');
    fill(tree, el('ul', {}, tops.folders.map((f) => el('li', {},
      el('a', { href: '/packages/' + enc(f.name), 'aria-current': segments[0] === f.name ? 'page' : null }, f.name),
      ' ', badge(f.health.state)))));
    const crumbs = $('#crumbs');
    fill(crumbs, el('a', { href: '/packages' }, 'Stored Packages'),
      segments.map((s, i) => [' / ', el('a', { href: '/packages/' + pathOf(segments.slice(0, i + 1)) }, s)]));
    if (segments.length === 0) {
      fill($('#listing'), table(['Folder', 'Kind', 'Health', 'Location'], tops.folders.map((f) => el('tr', {},
        el('td', {}, el('a', { href: '/packages/' + enc(f.name) }, f.name)),
        el('td', {}, f.kind), el('td', {}, badge(f.health.state), ' ', f.health.detail || ''),
        el('td', {}, f.location || ''))), 'Top-level folders'));
      return;
    }
    folderActions(segments);
    const renamed = new URLSearchParams(location.search).get('renamed');
    if (renamed) notice('Renamed the folder ' + renamed + ' to ' + segments[segments.length - 1] + '.', 'ok');
    await listFolder(segments, null, true);
  }

  // For a limited user: the packages of the folder it owns (the listing's `yours`).
  const yours = new Set();

  /** The owner as far as the role's decisions need it: known only for a limited user. */
  function ownerOf(name) {
    if (body.dataset.role !== 'limited-user') return undefined;
    return yours.has(name) || yours.has(name.toLowerCase()) ? identity : '';
  }

  async function listFolder(segments, cursor, fresh) {
    const q = '?limit=500' + (cursor ? '&cursor=' + enc(cursor) : '');
    const data = await attempt('Listing the folder', () => api('GET', 'folders/' + pathOf(segments) + q));
    if (!data) return;
    const listing = $('#listing');
    if (fresh) yours.clear();
    for (const n of data.yours || []) yours.add(n);
    if (fresh) {
      fill(listing, );
      if ((data.folders || []).length === 0 && (data.packages || []).length === 0 && (data.projects || []).length === 0) {
        listing.append(el('p', { class: 'hint' }, 'This folder is empty.'));
      }
    }
    const rows = [];
    for (const f of data.folders || []) {
      rows.push(el('tr', { class: 'folder' },
        el('td', {}, el('a', { href: '/packages/' + pathOf([...segments, f.name]) }, f.name)),
        el('td', {}, 'folder'), el('td', {}), el('td', {}), el('td', {})));
    }
    for (const p of data.packages || []) {
      const version = p.version_major !== undefined ? [p.version_major, p.version_minor, p.version_build].join('.') : '';
      rows.push(el('tr', { class: 'package' },
        el('td', {}, el('button', { type: 'button', class: 'link', onclick: () => openPackage(segments, p) }, p.name)),
        el('td', {}, p.error ? badge('unreadable', 'failed') : 'package'),
        el('td', {}, version), el('td', {}, p.protection_level || ''),
        el('td', {}, size(p.size))));
    }
    for (const p of data.projects || []) {
      rows.push(el('tr', { class: 'project' },
        el('td', {}, p.name), el('td', {}, 'project'), el('td', {}), el('td', {}), el('td', {}, size(p.size))));
    }
    if (rows.length) {
      let body = listing.querySelector('tbody');
      if (!body) {
        listing.append(table(['Name', 'Kind', 'Version', 'Protection level', 'Size'], [], 'Folder contents'));
        listing.querySelector('table').classList.add('contents');
        body = listing.querySelector('tbody');
      }
      body.append(...rows);
    }
    const more = listing.querySelector('.more');
    if (more) more.remove();
    if (data.next_cursor) {
      listing.append(button('Show more', () => listFolder(segments, data.next_cursor, false), 'more secondary'));
    }
  }

  function folderActions(segments) {
    const box = $('#folder-actions');
    fill(box, );
    if (can('import')) {
      const file = el('input', { type: 'file', id: 'import-file', accept: '.dtsx,application/xml,text/xml' });
      const name = el('input', { type: 'text', id: 'import-name', placeholder: 'name (default: the file\'s)' });
      const overwrite = el('input', { type: 'checkbox', id: 'import-overwrite' });
      const form = el('form', { class: 'inline', id: 'import-form', onsubmit: async (ev) => {
        ev.preventDefault();
        const f = file.files[0];
        if (!f) { notice('Choose a .dtsx file to import.', 'error'); return; }
        const n = name.value.trim() || f.name.replace(/\.dtsx$/i, '');
        const bytes = await f.arrayBuffer();
        const q = overwrite.checked ? '?overwrite=true' : '';
        const ok = await attempt('Importing ' + n, () => api('PUT', 'packages/' + pathOf([...segments, n]) + q, { raw: bytes, type: 'application/octet-stream' }));
        if (ok !== undefined) {
          notice('Imported ' + n + '.', 'ok');
          form.reset();
          listFolder(segments, null, true);
        }
      } },
      el('label', { for: 'import-file' }, 'Import package'), file,
      el('label', { for: 'import-name', class: 'visually-hidden' }, 'Package name'), name,
      el('label', { class: 'check' }, overwrite, ' replace'),
      el('button', { type: 'submit' }, 'Import'));
      box.append(form);
    }
    if (can('folders')) {
      const name = el('input', { type: 'text', id: 'new-folder', placeholder: 'New folder', required: true, maxlength: 128 });
      box.append(el('form', { class: 'inline', id: 'folder-form', onsubmit: async (ev) => {
        ev.preventDefault();
        const n = name.value.trim();
        const ok = await attempt('Creating folder ' + n, () => api('POST', 'folders/' + pathOf([...segments, n])));
        if (ok !== undefined) { name.value = ''; notice('Created folder ' + n + '.', 'ok'); listFolder(segments, null, true); }
      } }, el('label', { for: 'new-folder', class: 'visually-hidden' }, 'New folder name'), name,
      el('button', { type: 'submit' }, 'Create folder')));
      if (segments.length > 1) {
        const current = segments[segments.length - 1];
        const newName = el('input', { type: 'text', id: 'folder-rename-to', value: current, required: true, maxlength: 128 });
        box.append(el('form', { class: 'inline', id: 'folder-rename-form', onsubmit: async (ev) => {
          ev.preventDefault();
          const n = newName.value.trim();
          if (!n || n === current) { notice('Type the folder\'s new name.', 'error'); return; }
          const ok = await attempt('Renaming the folder ' + current, () => api('PATCH', 'folders/' + pathOf(segments), { json: { name: n } }));
          if (ok !== undefined) location.assign('/packages/' + pathOf([...segments.slice(0, -1), n]) + '?renamed=' + enc(current));
        } }, el('label', { for: 'folder-rename-to' }, 'Rename this folder to'), newName,
        el('button', { type: 'submit', class: 'secondary' }, 'Rename folder')));
        box.append(button('Delete this folder', async () => {
          if (!confirm('Delete the folder ' + segments[segments.length - 1] + ' and everything in it?')) return;
          const ok = await attempt('Deleting the folder', () => api('DELETE', 'folders/' + pathOf(segments) + '?recursive=true'));
          if (ok !== undefined) location.assign('/packages/' + pathOf(segments.slice(0, -1)));
        }, 'danger'));
      }
    }
  }

  function openPackage(segments, p) {
    const dialog = $('#package-dialog');
    const full = [...segments, p.name];
    $('#package-title').textContent = p.name;
    const version = p.version_major !== undefined ? [p.version_major, p.version_minor, p.version_build].join('.') : undefined;
    fill($('#package-details'), ...dl([
      ['Folder', segments.join(' / ')], ['Object name', p.object_name], ['Id', p.id], ['Version', version],
      ['Description', p.description], ['Protection level', p.protection_level], ['Size', size(p.size)],
      ['Created', [when(p.creation_date), p.creator_name, p.creator_computer].filter(Boolean).join(' · ')],
      ['Modified', when(p.modified)], ['Format', p.format_version], ['Error', p.error],
    ]).childNodes);
    const actions = $('#package-actions');
    fill(actions, );
    const owner = ownerOf(p.name);
    const runForm = $('#run-form');
    runForm.hidden = true;
    if (can('export', owner)) {
      actions.append(el('a', { class: 'button', href: '/api/v1/packages/' + pathOf(full), download: p.name + '.dtsx' }, 'Export'));
    }
    if (can('run', owner)) {
      actions.append(button('Run…', () => { runForm.hidden = false; $('#run-set').focus(); }));
      runForm.onsubmit = async (ev) => {
        ev.preventDefault();
        const set = $('#run-set').value.split('\n').map((s) => s.trim()).filter(Boolean);
        const started = await attempt('Starting ' + p.name, () => api('POST', 'running', { json: { package: full.join('/'), set } }));
        if (started) location.assign('/running/' + enc(started.id));
      };
    }
    if (can('export', owner) && can('import')) {
      const target = el('input', { type: 'text', id: 'transfer-to', placeholder: 'File System/Archive' });
      const go = (verb) => async () => {
        const to = target.value.trim().replace(/\/+$/, '');
        if (!to) { notice('Name the folder to ' + verb + ' to.', 'error'); return; }
        const ok = await attempt(verb + ' ' + p.name, () => api('POST', verb, { json: { from: full.join('/'), to: to + '/' + p.name } }));
        if (ok !== undefined) { dialog.close(); notice((verb === 'copy' ? 'Copied ' : 'Moved ') + p.name + ' to ' + to + '.', 'ok'); listFolder(segments, null, true); }
      };
      actions.append(el('span', { class: 'inline' }, el('label', { for: 'transfer-to' }, 'To folder'), target,
        button('Copy', go('copy'), 'secondary'), can('change', owner) ? button('Move', go('move'), 'secondary') : null));
    }
    if (can('change', owner)) {
      const newName = el('input', { type: 'text', id: 'rename-to', value: p.name, maxlength: 128 });
      actions.append(el('span', { class: 'inline' }, el('label', { for: 'rename-to' }, 'New name'), newName,
        button('Rename', async () => {
          const n = newName.value.trim();
          if (!n || n === p.name) return;
          const ok = await attempt('Renaming ' + p.name, () => api('PATCH', 'packages/' + pathOf(full), { json: { name: n } }));
          if (ok !== undefined) { dialog.close(); notice('Renamed ' + p.name + ' to ' + n + '.', 'ok'); listFolder(segments, null, true); }
        }, 'secondary')));
    }
    if (can('change', owner)) {
      actions.append(button('Delete', async () => {
        if (!confirm('Delete the package ' + p.name + '?')) return;
        const ok = await attempt('Deleting ' + p.name, () => api('DELETE', 'packages/' + pathOf(full)));
        if (ok !== undefined) { dialog.close(); notice('Deleted ' + p.name + '.', 'ok'); listFolder(segments, null, true); }
      }, 'danger'));
    }
    dialog.showModal();
  }

  // --- Running Packages ----------------------------------------------------------------------

  async function runningPage() {
    const refresh = async () => {
      const data = await attempt('Listing the runs', () => api('GET', 'running'));
      if (!data) return;
      const runs = data.running || [];
      fill($('#runs'), runs.length === 0 ? el('p', { class: 'hint' }, 'No package is running.')
        : table(['Run', 'Package', 'State', 'Started', 'By', 'Executing', 'Last message', ''], runs.map((r) => el('tr', {},
          el('td', {}, el('a', { href: '/running/' + enc(r.id) }, r.id.slice(0, 8))),
          el('td', {}, r.package), el('td', {}, badge(r.state)), el('td', {}, when(r.started_at)),
          el('td', {}, r.user, ' (', r.how, ')'), el('td', {}, (r.executing || []).join(', ')),
          el('td', { class: 'wrap' }, r.last_message || ''),
          el('td', {}, can('stop', r.user) ? button('Stop', () => stopRun(r.id), 'danger') : null))), 'Runs'));
    };
    await refresh();
    setInterval(refresh, 2000);
  }

  async function stopRun(id) {
    if (!confirm('Stop this run?')) return;
    const ok = await attempt('Stopping the run', () => api('POST', 'running/' + enc(id) + '/stop'));
    if (ok !== undefined) notice('Stopping…', 'ok');
  }

  function messageLine(time, kind, path, text) {
    return el('div', { class: 'msg ' + kind },
      el('time', {}, when(time)), ' ', badge(kind), ' ', el('span', { class: 'path' }, path || ''), ' ', el('span', {}, text));
  }

  async function runPage() {
    const id = decodeURIComponent(location.pathname.split('/')[2] || '');
    const messages = $('#messages');
    let ended = false;
    const finish = async () => {
      if (ended) return;
      ended = true;
      const ex = await api('GET', 'executions/' + enc(id)).catch(() => null);
      fill($('#run-actions'), );
      fill($('#run-head'), el('p', { class: 'ended', id: 'run-ended' }, 'The run has ended',
        ex ? [': ', badge(ex.status), ' after ', duration(ex.duration_ms)] : '', '. ',
        el('a', { href: '/history/' + enc(id) }, 'Its messages and timeline are in the History.')));
      fill($('#executing'), );
    };
    const detail = async () => {
      let r;
      try {
        r = await api('GET', 'running/' + enc(id));
      } catch (e) {
        if (e.status === 404) { await finish(); return; }
        notice('Reading the run: ' + e.message, 'error');
        return;
      }
      $('#title').textContent = r.package;
      fill($('#run-head'), dl([['Run', r.id], ['State', badge(r.state)], ['Started', when(r.started_at)],
        ['By', r.user + ' (' + r.how + ')'], ['Process', r.pid]]));
      const actions = $('#run-actions');
      if (!actions.firstChild && can('stop', r.user)) actions.append(button('Stop', () => stopRun(id), 'danger'));
      fill($('#executing'), ...(r.executing || []).map((p) => el('li', {}, p)));
      const paths = r.rows_per_path || [];
      fill($('#paths'), paths.length === 0 ? el('p', { class: 'hint' }, 'No data flow has sent rows yet.')
        : table(['Task', 'Path', 'Destination', 'Rows', 'Buffers', ''], paths.map((p) => el('tr', {},
          el('td', { title: p.task_path }, p.task_name), el('td', {}, p.path_name),
          el('td', {}, [p.destination_component, p.input].filter(Boolean).join(' · ')), el('td', { class: 'num' }, p.rows),
          el('td', { class: 'num' }, p.buffers), el('td', {}, p.final ? 'done' : ''))), 'Rows per path'));
    };
    await detail();
    if (ended) return;
    // The stream replays the run's records from its start, then follows them as they come.
    let pending = null;
    const follow = () => {
      fill(messages);
      const stream = new EventSource('/api/v1/running/' + enc(id) + '/stream');
      stream.onmessage = (ev) => {
        let rec;
        try { rec = JSON.parse(ev.data); } catch (_) { return; }
        const kind = rec.event;
        if (kind === 'error' || kind === 'warning' || kind === 'information') {
          messages.append(messageLine(rec.time, kind, rec.path, rec.description));
        } else if (kind === 'executable_start' || kind === 'executable_end') {
          messages.append(messageLine(rec.time, kind === 'executable_start' ? 'pre-execute' : 'post-execute', rec.path,
            kind === 'executable_end' ? (rec.result || '') + ' ' + duration(rec.duration_ms) : ''));
        } else if (kind === 'run_end') {
          messages.append(messageLine(rec.time, 'run-end', '', 'Run ended: ' + rec.result + ' (' + rec.errors + ' errors, ' + rec.warnings + ' warnings)'));
        }
        if (!pending) pending = setTimeout(() => { pending = null; detail(); }, 500);
      };
      stream.onerror = () => {
        // The stream ends with the run (the browser would reconnect and replay): look first,
        // and follow again only if the run goes on.
        stream.close();
        setTimeout(async () => { await detail(); if (!ended) setTimeout(follow, 1000); }, 300);
      };
    };
    follow();
  }

  // --- History -------------------------------------------------------------------------------

  async function historyPage() {
    const form = $('#history-filter');
    const params = new URLSearchParams(location.search);
    for (const k of ['package', 'status']) if (params.get(k)) form.elements[k].value = params.get(k);
    const load = async () => {
      const q = new URLSearchParams({ limit: '200' });
      const pkg = form.elements.package.value.trim();
      if (pkg) q.set('package', pkg);
      if (form.elements.status.value) q.set('status', form.elements.status.value);
      if (form.elements.since.value) q.set('since', new Date(form.elements.since.value).toISOString());
      const data = await attempt('Reading the history', () => api('GET', 'executions?' + q));
      if (!data) return;
      const list = data.executions || [];
      fill($('#executions'), list.length === 0 ? el('p', { class: 'hint' }, 'No execution matches.')
        : table(['Execution', 'Package', 'Status', 'Started', 'Duration', 'By', 'Errors', 'Warnings'], list.map((x) => el('tr', {},
          el('td', {}, el('a', { href: '/history/' + enc(x.id) }, x.id.slice(0, 8))), el('td', {}, x.package),
          el('td', {}, badge(x.status)), el('td', {}, when(x.start_time)), el('td', { class: 'num' }, duration(x.duration_ms)),
          el('td', {}, x.caller || '', ' (', x.started_by || '', ')'), el('td', { class: 'num' }, x.errors),
          el('td', { class: 'num' }, x.warnings))), 'Executions'));
    };
    form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
    await load();
  }

  async function executionPage() {
    const id = decodeURIComponent(location.pathname.split('/')[2] || '');
    const x = await attempt('Reading the execution', () => api('GET', 'executions/' + enc(id)));
    if (!x) return;
    $('#title').textContent = x.package;
    fill($('#overview'), dl([['Execution', x.id], ['Status', badge(x.status)], ['Started', when(x.start_time)],
      ['Ended', when(x.end_time)], ['Duration', duration(x.duration_ms)], ['By', (x.caller || '') + ' (' + (x.started_by || '') + ')'],
      ['Exit', x.exit || x.exit_code], ['Errors', x.errors], ['Warnings', x.warnings], ['Overrides', (x.sets || []).join('  ')]]));
    const stats = await attempt('Reading its statistics', () => api('GET', 'executions/' + enc(id) + '/statistics'));
    const executables = (stats && stats.executables) || [];
    const timeline = $('#timeline');
    if (executables.length === 0) {
      fill(timeline, el('p', { class: 'hint' }, 'No executable timings were recorded (the history\'s logging level may be none).'));
    } else {
      const start = Math.min(...executables.map((e) => Date.parse(e.start_time)));
      const end = Math.max(...executables.map((e) => Date.parse(e.end_time || e.start_time)));
      const span = Math.max(end - start, 1);
      fill(timeline, el('div', { class: 'gantt', role: 'list' }, executables.map((e) => {
        const bar = el('span', { class: 'bar ' + String(e.result || '').toLowerCase() });
        const from = Date.parse(e.start_time) - start;
        bar.style.marginLeft = (100 * from / span).toFixed(2) + '%';
        bar.style.width = Math.max(100 * (e.duration_ms || 0) / span, 0.5).toFixed(2) + '%';
        return el('div', { class: 'row', role: 'listitem' },
          el('span', { class: 'label', title: e.path }, e.name || e.path, ' · ', duration(e.duration_ms), ' · ', e.result || ''),
          el('span', { class: 'track' }, bar));
      })));
    }
    const flows = (stats && stats.data_flow) || [];
    if (flows.length) {
      timeline.append(el('h3', {}, 'Rows per data-flow path'), table(['Task', 'Path', 'Destination', 'Rows'], flows.map((d) => el('tr', {},
        el('td', { title: d.task_path }, d.task_name), el('td', {}, d.path_name),
        el('td', {}, [d.destination_component, d.input].filter(Boolean).join(' · ')), el('td', { class: 'num' }, d.rows_sent))), 'Rows per path'));
    }
    const data = await attempt('Reading its messages', () => api('GET', 'executions/' + enc(id) + '/messages?limit=10000'));
    if (data && data.messages && data.messages.length === 10000) {
      $('#message-filter').after(el('p', { class: 'hint' }, 'The first 10,000 messages are shown.'));
    }
    const all = (data && data.messages) || [];
    const filter = $('#message-filter');
    const show = () => {
      const types = filter.elements.type.value ? filter.elements.type.value.split(',').map(Number) : null;
      const q = filter.elements.q.value.trim().toLowerCase();
      const shown = all.filter((m) => (!types || types.includes(m.message_type)) &&
        (!q || (m.message + ' ' + m.source + ' ' + m.path).toLowerCase().includes(q)));
      fill($('#messages'), shown.length === 0 ? el('p', { class: 'hint' }, 'No message matches.')
        : shown.map((m) => messageLine(m.time, m.message_type_name || String(m.message_type), m.path, m.message)));
    };
    filter.addEventListener('input', show);
    filter.addEventListener('submit', (ev) => ev.preventDefault());
    show();
  }

  // --- Schedules -----------------------------------------------------------------------------

  const VIEW_ONLY = ['source', 'owner', 'effective_time_zone', 'next_run', 'last_run', 'last_execution', 'active', 'created', 'modified'];
  // The keys of a schedule's timing besides cron and calendar (a frequency and its details).
  const FREQUENCY_KEYS = ['frequency', 'at', 'every', 'from', 'until', 'date', 'days', 'day_of_month', 'interval', 'start_date', 'end_date'];

  async function schedulesPage() {
    const form = $('#schedule-form');
    const f = form.elements;
    const out = $('#schedule-check');
    // The schedule being changed (its whole definition), or null for a new one.
    let editing = null;

    const load = async () => {
      const data = await attempt('Listing the schedules', () => api('GET', 'schedules'));
      if (!data) return;
      const list = data.schedules || [];
      fill($('#schedules'), list.length === 0 ? el('p', { class: 'hint' }, 'No schedule yet.')
        : table(['Name', 'Package', 'When', 'Next run', 'Last run', 'State', ''], list.map((s) => {
          const enabled = s.enabled !== false;
          const mine = can('run', s.owner);
          const actions = [];
          if (mine) actions.push(button('Run now', async () => {
            const r = await attempt('Running ' + s.name, () => api('POST', 'schedules/' + enc(s.name) + '/run'));
            if (r) location.assign('/running/' + enc(r.id));
          }, 'secondary'));
          if (mine && s.source === 'api') {
            actions.push(button('Edit', () => edit(s), 'secondary'));
            actions.push(button(enabled ? 'Disable' : 'Enable', async () => {
              const def = definitionOf(s);
              def.enabled = !enabled;
              const ok = await attempt('Changing ' + s.name, () => api('PUT', 'schedules/' + enc(s.name), { json: def }));
              if (ok !== undefined) load();
            }, 'secondary'));
            actions.push(button('Delete', async () => {
              if (!confirm('Delete the schedule ' + s.name + '?')) return;
              const ok = await attempt('Deleting ' + s.name, () => api('DELETE', 'schedules/' + enc(s.name)));
              if (ok !== undefined) load();
            }, 'danger'));
          }
          return el('tr', {}, el('td', {}, s.name), el('td', {}, s.package),
            el('td', {}, s.cron || s.calendar || s.frequency || '', ' (', s.effective_time_zone, ')'),
            el('td', {}, enabled ? when(s.next_run) : ''), el('td', {}, when(s.last_run),
              s.last_execution ? [' ', el('a', { href: '/history/' + enc(s.last_execution) }, 'details')] : ''),
            el('td', {}, badge(enabled ? 'enabled' : 'disabled'), s.active ? [' ', badge(s.active + ' running', 'running')] : ''),
            el('td', {}, actions));
        }), 'Schedules'));
    };

    /** A schedule's definition as the API takes it back (what it shows only, left out). */
    function definitionOf(s) {
      const def = {};
      for (const [k, v] of Object.entries(s)) if (!VIEW_ONLY.includes(k)) def[k] = v;
      return def;
    }

    /** The definition the form describes; what it does not show is kept from the one edited. */
    function formDefinition() {
      const def = editing ? definitionOf(editing) : {};
      def.name = f.name.value.trim();
      def.package = f.package.value.trim();
      delete def.cron;
      delete def.calendar;
      if (f.kind.value !== 'frequency') {
        for (const k of FREQUENCY_KEYS) delete def[k];
        def[f.kind.value] = f.when.value.trim();
      }
      if (f.time_zone.value.trim()) def.time_zone = f.time_zone.value.trim(); else delete def.time_zone;
      def.set = f.set.value.split('\n').map((x) => x.trim()).filter(Boolean);
      def.max_active = Number(f.max_active.value || 1);
      def.retry_attempts = Number(f.retry_attempts.value || 0);
      def.retry_interval = Number(f.retry_interval.value || 60);
      if (f.logging_level.value) def.logging_level = f.logging_level.value; else delete def.logging_level;
      def.enabled = f.enabled.checked;
      return def;
    }

    /** Shows what the service says of the definition as typed: its next runs, or what is wrong. */
    let timer = null;
    let asked = 0;
    const check = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const n = ++asked;
        const def = formDefinition();
        if (!def.name) def.name = 'new-schedule';
        if (!def.package || (f.kind.value !== 'frequency' && !f.when.value.trim())) {
          out.className = 'hint';
          out.textContent = 'Name the package and say when; the service checks it as you type.';
          return;
        }
        let text;
        let ok = true;
        try {
          const r = await api('POST', 'schedules?dry_run=true', { json: def });
          text = r.next_runs.length === 0 ? 'Valid, but it never runs again.'
            : 'Next runs (' + r.effective_time_zone + '): ' + r.next_runs.map(when).join(' · ');
        } catch (e) {
          if (e.message === 'signed out') return;
          ok = false;
          text = e.message;
        }
        if (n !== asked) return; // a later check is on its way
        out.className = 'hint ' + (ok ? 'ok' : 'bad');
        out.textContent = text;
      }, 250);
    };
    form.addEventListener('input', check);
    form.addEventListener('change', check);

    const reset = () => {
      editing = null;
      form.reset();
      f.name.readOnly = false;
      const frequency = f.kind.querySelector('option[value=frequency]');
      if (frequency) frequency.remove();
      $('#schedule-summary').textContent = 'New schedule';
      $('#schedule-submit').textContent = 'Create';
      $('#schedule-cancel').hidden = true;
      out.textContent = '';
    };

    function edit(s) {
      reset();
      editing = s;
      f.name.value = s.name;
      f.name.readOnly = true; // a schedule is not renamed: create the new one, delete the old
      f.package.value = s.package;
      if (s.frequency) {
        f.kind.append(el('option', { value: 'frequency' }, s.frequency + ' (kept as it is)'));
        f.kind.value = 'frequency';
        f.when.value = '';
      } else {
        f.kind.value = s.calendar ? 'calendar' : 'cron';
        f.when.value = s.calendar || s.cron || '';
      }
      f.time_zone.value = s.time_zone || '';
      f.set.value = (s.set || []).join('\n');
      f.max_active.value = s.max_active || 1;
      f.retry_attempts.value = s.retry_attempts || 0;
      f.retry_interval.value = s.retry_interval || 60;
      f.logging_level.value = s.logging_level || '';
      f.enabled.checked = s.enabled !== false;
      $('#schedule-summary').textContent = 'Edit schedule ' + s.name;
      $('#schedule-submit').textContent = 'Save';
      $('#schedule-cancel').hidden = false;
      $('#schedule-new').open = true;
      f.package.focus();
      check();
    }

    const syncKind = () => { f.when.required = f.kind.value !== 'frequency'; f.when.disabled = f.kind.value === 'frequency'; };
    f.kind.addEventListener('change', syncKind);
    $('#schedule-cancel').addEventListener('click', () => { reset(); syncKind(); $('#schedule-new').open = false; });
    if (!can('run')) $('#schedule-new').hidden = true;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const def = formDefinition();
      const ok = editing
        ? await attempt('Changing the schedule', () => api('PUT', 'schedules/' + enc(def.name), { json: def }))
        : await attempt('Creating the schedule', () => api('POST', 'schedules', { json: def }));
      if (ok !== undefined) {
        notice((editing ? 'Saved the schedule ' : 'Created the schedule ') + def.name + '.', 'ok');
        reset();
        syncKind();
        load();
      }
    });
    await load();
    setInterval(load, 10000);
  }

  // --- Events --------------------------------------------------------------------------------

  async function eventsPage() {
    const form = $('#event-filter');
    const box = $('#events');
    let stream = null;
    const row = (e) => el('tr', { class: e.level },
      el('td', { class: 'num' }, e.id), el('td', {}, when(e.time)), el('td', {}, badge(e.level)),
      el('td', {}, e.source), el('td', { class: 'num' }, e.event_id), el('td', { class: 'wrap' }, e.message));
    const load = async () => {
      if (stream) { stream.close(); stream = null; }
      const q = new URLSearchParams({ limit: '200' });
      if (form.elements.level.value) q.set('level', form.elements.level.value);
      if (form.elements.source.value.trim()) q.set('source', form.elements.source.value.trim());
      if (form.elements.since.value) q.set('since', new Date(form.elements.since.value).toISOString());
      const data = await attempt('Reading the event log', () => api('GET', 'events?' + q));
      if (!data) return;
      const list = data.events || [];
      fill(box, table(['Id', 'Time', 'Level', 'Source', 'Event', 'Message'], list.map(row), 'Events'));
      if (form.elements.follow.checked) {
        const last = list.reduce((m, e) => Math.max(m, e.id), 0);
        q.delete('limit');
        q.delete('since');
        q.set('since_id', String(last));
        stream = new EventSource('/api/v1/events/stream?' + q);
        const add = (ev) => {
          let e;
          try { e = JSON.parse(ev.data); } catch (_) { return; }
          box.querySelector('tbody').prepend(row(e));
        };
        for (const level of ['information', 'warning', 'error', 'message']) stream.addEventListener(level, add);
      }
    };
    form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
    await load();
  }

  // --- Service -------------------------------------------------------------------------------

  async function servicePage() {
    const s = await attempt('Reading the status', () => api('GET', 'status'));
    if (!s) return;
    const up = s.uptime_seconds;
    fill($('#status'), dl([['Version', s.service + ' ' + s.version], ['Process', s.pid],
      ['Started', when(s.started_at)], ['Uptime', duration(up * 1000)], ['Listening on', s.listen],
      ['Configuration', s.configuration], ['Data directory', s.data_dir],
      ['Stop running packages on shutdown', s.stop_executing_packages_on_shutdown ? 'yes' : 'no'],
      ['You', s.caller.identity + ' (' + s.caller.role + ', ' + s.caller.via + ')']]));
    fill($('#folders'), table(['Folder', 'Kind', 'Health', 'Location'], (s.folders || []).map((f) => el('tr', {},
      el('td', {}, el('a', { href: '/packages/' + enc(f.name) }, f.name)), el('td', {}, f.kind),
      el('td', {}, badge(f.health.state), ' ', f.health.detail || ''), el('td', {}, f.location || ''))), 'Folders'));
    if (await metricsAtAGlance()) setInterval(metricsAtAGlance, 5000);
  }

  /** The samples of an OpenMetrics text: [{ name, labels, value }]. */
  function parseMetrics(text) {
    const out = [];
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = {};
      for (const l of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
      out.push({ name: m[1], labels, value: Number(m[3]) });
    }
    return out;
  }

  /** The service's own metrics (GET /metrics), summed into a few figures. */
  async function metricsAtAGlance() {
    const box = $('#metrics');
    const res = await fetch('/metrics', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) {
      let why = res.status + ' ' + res.statusText;
      try { why = (await res.json()).message; } catch (_) { /* keep the status */ }
      fill(box, el('p', { class: 'hint' }, 'The metrics cannot be shown: ' + why));
      return false;
    }
    const samples = parseMetrics(await res.text());
    const sum = (name, pick) => samples.filter((x) => x.name === name && (!pick || pick(x.labels)))
      .reduce((a, x) => a + x.value, 0);
    const by = (name, label) => {
      const totals = {};
      for (const x of samples.filter((y) => y.name === name)) totals[x.labels[label]] = (totals[x.labels[label]] || 0) + x.value;
      return Object.entries(totals).filter(([, v]) => v > 0).map(([k, v]) => k + ' ' + v).join(', ') || 'none';
    };
    const requests = sum('ssisd_http_requests_total');
    const failed = sum('ssisd_http_requests_total', (l) => Number(l.code) >= 500);
    const writes = sum('ssisd_history_writes_total');
    const transactions = sum('ssisd_history_transactions_total');
    fill(box, el('div', { class: 'glance' }, [
      ['Running now', sum('ssisd_runs_running')],
      ['Runs started', sum('ssisd_runs_started_total'), by('ssisd_runs_started_total', 'how')],
      ['Runs finished', sum('ssisd_runs_finished_total'), by('ssisd_runs_finished_total', 'outcome')],
      ['Data-flow rows', sum('ssisd_data_flow_rows_total')],
      ['Schedules fired', sum('ssisd_schedule_events_total', (l) => l.outcome === 'fired'), by('ssisd_schedule_events_total', 'outcome')],
      ['Events logged', sum('ssisd_events_total'), by('ssisd_events_total', 'level')],
      ['HTTP requests', requests, failed + ' answered with a server error'],
      ['History writes', writes, transactions ? (writes / transactions).toFixed(1) + ' per transaction' : ''],
    ].map(([label, value, detail]) => el('div', { class: 'figure' },
      el('span', { class: 'label' }, label), el('strong', {}, Math.round(value).toLocaleString()),
      detail ? el('span', { class: 'detail' }, detail) : null))));
    return true;
  }

  const pages = {
    login: loginPage, packages: packagesPage, running: runningPage, run: runPage, history: historyPage,
    execution: executionPage, schedules: schedulesPage, events: eventsPage, service: servicePage,
  };
  const page = pages[body.dataset.page];
  if (page) page();
})();
