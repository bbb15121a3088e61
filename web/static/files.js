// files.js: files in and out of the browser (web/files.go describes the
// server side). Upload: the button or files dropped on the page, into the
// folder selected in the workspace's file list, one file at a time with its
// progress. Download: the selected file, or a folder as a zip.
//
// The page learns the selection from the workspace itself: in a browser, the
// file list reports it with a private OSC sequence, 7707 (internal/tui,
// reportSelection), which xterm.js hands to us and never draws. It is only a
// default: the dialog shows the folder or file and lets the student change
// it, and the server confines every path to the student's own home.
'use strict';

(() => {
  const OSC_SELECTION = 7707;
  const $ = (id) => document.getElementById(id);
  const cd = window.classroomd;
  const csrf = document.querySelector('meta[name="classroomd-csrf"]').content;

  // ---- the selection in the file list ----

  // kind: "d" a folder, "f" a file, "c" something in the read-only course folder.
  let selection = { kind: 'd', path: '.' };
  cd.term.parser.registerOscHandler(OSC_SELECTION, (data) => {
    const parts = data.split(';');
    if (parts.length === 3 && parts[0] === 'sel' && 'dfc'.includes(parts[1]) && parts[1].length === 1) {
      try {
        selection = { kind: parts[1], path: decodeURIComponent(parts[2].replace(/\+/g, ' ')) || '.' };
      } catch (e) {
        // Malformed: keep the last one.
      }
    }
    return true;
  });

  function parent(p) {
    const i = p.lastIndexOf('/');
    return i > 0 ? p.slice(0, i) : '.';
  }
  function uploadDir() {
    if (selection.kind === 'c') return '.';
    return selection.kind === 'd' ? selection.path : parent(selection.path);
  }
  function downloadTarget() {
    return selection.kind === 'c' ? '.' : selection.path;
  }
  // The path as the dialog shows it: the home is an empty field.
  const showPath = (p) => (p === '.' ? '' : p);
  const readPath = () => pathInput.value.trim().replace(/^\/+|\/+$/g, '') || '.';
  const where = (p) => (p === '.' ? 'your home folder' : p);

  function human(n) {
    if (n < 1024) return n + (n === 1 ? ' byte' : ' bytes');
    const units = ['KB', 'MB', 'GB', 'TB'];
    let v = n / 1024;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (v >= 10 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i];
  }

  // ---- the dialog ----

  const dialog = $('transfer');
  const form = $('transfer-form');
  const title = $('transfer-title');
  const pathLabel = $('transfer-path-label');
  const pathInput = $('transfer-path');
  const info = $('transfer-info');
  const list = $('transfer-list');
  const replaceRow = $('transfer-replace-row');
  const replaceBox = $('transfer-replace');
  const errorEl = $('transfer-error');
  const go = $('transfer-go');
  const cancel = $('transfer-cancel');

  let mode = null; // "upload", "uploading", "uploaded", "download"
  let items = []; // uploads: {file, li, bar, state, why}
  let xhr = null; // the upload under way
  let cancelled = false;
  let infoSeq = 0; // the latest /files/info asked for
  let infoOK = false;

  // showError says why something cannot go on; a question (a name taken)
  // is a notice, not an error.
  function showError(text, notice) {
    errorEl.textContent = text || '';
    errorEl.hidden = !text;
    errorEl.classList.toggle('error', !notice);
    errorEl.classList.toggle('notice', !!notice);
    errorEl.setAttribute('role', notice ? 'status' : 'alert');
  }

  function open(newMode) {
    mode = newMode;
    showError('');
    replaceRow.hidden = true;
    replaceBox.checked = false;
    list.replaceChildren();
    info.textContent = '';
    dialog.hidden = false;
    go.disabled = false;
    pathInput.disabled = false;
    cancel.textContent = 'Cancel';
  }

  function close() {
    if (xhr) xhr.abort();
    cancelled = true;
    dialog.hidden = true;
    mode = null;
    items = [];
    cd.term.focus();
  }

  cancel.addEventListener('click', close);
  dialog.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') { ev.preventDefault(); close(); }
  });

  // ---- upload ----

  function openUpload(files, skipped) {
    if (mode === 'uploading') return;
    open('upload');
    cancelled = false;
    title.textContent = files.length === 1 ? 'Upload 1 file' : 'Upload ' + files.length + ' files';
    pathLabel.textContent = 'Into the folder (empty: your home folder)';
    pathInput.value = showPath(uploadDir());
    pathInput.placeholder = 'your home folder';
    items = files.map((file) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = file.name;
      name.title = file.name;
      const state = document.createElement('span');
      state.className = 'state';
      state.textContent = human(file.size);
      const bar = document.createElement('progress');
      bar.max = Math.max(file.size, 1);
      bar.value = 0;
      const why = document.createElement('span');
      why.className = 'why';
      why.hidden = true;
      li.append(name, state, bar, why);
      list.append(li);
      return { file, li, bar, state, why, done: false };
    });
    if (skipped > 0) {
      showError(skipped === 1 ? 'A folder cannot be uploaded as it is: zip it first, or choose its files.'
        : skipped + ' folders cannot be uploaded as they are: zip them first, or choose their files.');
    }
    go.textContent = 'Upload';
    go.hidden = files.length === 0;
    go.focus();
  }

  function mark(item, state, text, why) {
    item.li.dataset.state = state;
    item.state.textContent = text;
    item.why.textContent = why || '';
    item.why.hidden = !why;
  }

  async function postJSON(url, body) {
    const res = await fetch(url, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json', 'X-Classroomd-Csrf': csrf },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    return { ok: res.ok, status: res.status, data };
  }

  // plan asks the server what the upload will meet: the folder, the room,
  // names taken. It reports whether to go on.
  async function plan(dir) {
    const todo = items.filter((it) => !it.done);
    let res;
    try {
      res = await postJSON('/files/plan', { dir, files: todo.map((it) => ({ name: it.file.name, size: it.file.size })) });
    } catch (e) {
      showError('The server cannot be reached just now. Check your network and try again.');
      return false;
    }
    if (!res.ok) {
      showError(res.data.error || 'The upload could not be prepared (HTTP ' + res.status + ').');
      return false;
    }
    let bad = false;
    let taken = 0;
    (res.data.files || []).forEach((f, i) => {
      const it = todo[i];
      if (!it) return;
      if (f.error) { mark(it, 'failed', 'refused', f.error); bad = true; }
      else if (f.exists) { mark(it, 'exists', 'already exists', ''); taken++; }
      else mark(it, 'ready', human(it.file.size), '');
    });
    if (res.data.error) { showError(res.data.error); return false; }
    if (bad) { showError('Some files cannot be uploaded (see why above). Remove them from your choice and try again.'); return false; }
    if (taken > 0 && !replaceBox.checked) {
      replaceRow.hidden = false;
      showError((taken === 1 ? '1 file already exists' : taken + ' files already exist') + ' in ' + where(dir) +
        '. Tick "Replace" to overwrite, or cancel and rename yours.', true);
      return false;
    }
    return true;
  }

  function sendOne(item, dir, replace) {
    return new Promise((resolve) => {
      const q = new URLSearchParams({ dir, name: item.file.name });
      if (replace) q.set('replace', '1');
      const req = new XMLHttpRequest();
      xhr = req;
      req.open('POST', '/files/upload?' + q.toString());
      req.setRequestHeader('X-Classroomd-Csrf', csrf);
      req.setRequestHeader('Content-Type', 'application/octet-stream');
      mark(item, 'sending', '0%');
      req.upload.onprogress = (ev) => {
        item.bar.value = ev.loaded;
        if (ev.lengthComputable && ev.total > 0) mark(item, 'sending', Math.floor((100 * ev.loaded) / ev.total) + '%');
      };
      req.onload = () => {
        xhr = null;
        let body = {};
        try { body = JSON.parse(req.responseText); } catch (e) { body = {}; }
        if (req.status === 200) {
          item.bar.value = item.bar.max;
          item.done = true;
          mark(item, 'done', 'uploaded');
          resolve(true);
        } else {
          mark(item, 'failed', 'failed', body.error || 'The server refused it (HTTP ' + req.status + ').');
          resolve(false);
        }
      };
      req.onerror = () => {
        xhr = null;
        mark(item, 'failed', 'failed', 'The connection broke off; nothing of this file was kept. Try again.');
        resolve(false);
      };
      req.onabort = () => {
        xhr = null;
        mark(item, 'failed', 'cancelled', 'Cancelled; nothing of this file was kept.');
        resolve(false);
      };
      req.send(item.file);
    });
  }

  async function upload() {
    const dir = readPath();
    showError('');
    go.disabled = true;
    pathInput.disabled = true;
    if (!(await plan(dir))) {
      go.disabled = false;
      pathInput.disabled = false;
      return;
    }
    mode = 'uploading';
    replaceRow.hidden = true;
    cancel.textContent = 'Stop';
    let sent = 0;
    let failed = 0;
    for (const it of items) {
      if (cancelled) break;
      if (it.done) continue;
      if (await sendOne(it, dir, replaceBox.checked)) sent++; else failed++;
    }
    if (cancelled) return;
    mode = 'uploaded';
    cancel.textContent = 'Close';
    const all = items.length;
    const done = items.filter((it) => it.done).length;
    title.textContent = 'Uploaded ' + done + ' of ' + all + (all === 1 ? ' file' : ' files') + ' to ' + where(dir);
    if (failed > 0) {
      showError('Some files were not uploaded (see why above). "Try again" sends only those.');
      go.textContent = 'Try again';
      go.disabled = false;
      pathInput.disabled = false;
      mode = 'upload';
    } else {
      go.hidden = true;
      cancel.focus();
      toast(sent === 1 ? items[0].file.name + ' uploaded to ' + where(dir) : sent + ' files uploaded to ' + where(dir));
    }
  }

  // ---- download ----

  function openDownload() {
    if (mode === 'uploading') return;
    open('download');
    title.textContent = 'Download';
    pathLabel.textContent = 'File or folder (empty: your whole home folder, as a zip)';
    pathInput.value = showPath(downloadTarget());
    pathInput.placeholder = 'your home folder';
    go.textContent = 'Download';
    go.hidden = false;
    if (selection.kind === 'c') {
      info.textContent = 'Course files are not downloaded from here: press c on one in the file list to copy it into your home first.';
    }
    describe();
    go.focus();
  }

  async function describe() {
    const seq = ++infoSeq;
    const p = readPath();
    infoOK = false;
    showError('');
    let res;
    let data = {};
    try {
      res = await fetch('/files/info?' + new URLSearchParams({ path: p }), { credentials: 'same-origin', cache: 'no-store' });
      data = await res.json();
    } catch (e) {
      if (seq === infoSeq) showError('The server cannot be reached just now. Check your network and try again.');
      return;
    }
    if (seq !== infoSeq || mode !== 'download') return;
    if (!res.ok || data.error) {
      showError(data.error || 'That cannot be downloaded (HTTP ' + res.status + ').');
      return;
    }
    infoOK = true;
    info.textContent = data.kind === 'folder'
      ? where(data.path) + ': a folder, ' + data.files + (data.files === 1 ? ' file, ' : ' files, ') + human(data.size) + ', saved as ' + data.name
      : data.path + ': ' + human(data.size);
  }

  let describeTimer = 0;
  pathInput.addEventListener('input', () => {
    if (mode !== 'download') return;
    clearTimeout(describeTimer);
    describeTimer = setTimeout(describe, 250);
  });

  async function download() {
    clearTimeout(describeTimer);
    if (!infoOK) await describe();
    if (!infoOK) return;
    const a = document.createElement('a');
    a.href = '/files/download?' + new URLSearchParams({ path: readPath() });
    a.download = '';
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    toast('Downloading ' + where(readPath()) + '…');
    close();
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (mode === 'upload') upload();
    else if (mode === 'download') download();
  });

  // ---- the buttons, and dropping files on the page ----

  const input = $('upload-input');
  $('upload-button').addEventListener('click', () => { input.value = ''; input.click(); });
  input.addEventListener('change', () => { if (input.files.length) openUpload(Array.from(input.files), 0); });
  $('download-button').addEventListener('click', openDownload);

  const drop = $('drop');
  let dragDepth = 0;
  const carriesFiles = (ev) => ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes('Files');
  window.addEventListener('dragenter', (ev) => {
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    dragDepth++;
    $('drop-dir').textContent = where(uploadDir());
    drop.hidden = false;
  });
  window.addEventListener('dragover', (ev) => {
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('dragleave', (ev) => {
    if (!carriesFiles(ev)) return;
    dragDepth = Math.max(dragDepth - 1, 0);
    if (dragDepth === 0) drop.hidden = true;
  });
  window.addEventListener('drop', (ev) => {
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    dragDepth = 0;
    drop.hidden = true;
    const dropped = [];
    let folders = 0;
    const entries = Array.from(ev.dataTransfer.items || []);
    const fileList = Array.from(ev.dataTransfer.files || []);
    fileList.forEach((f, i) => {
      const entry = entries[i] && entries[i].webkitGetAsEntry ? entries[i].webkitGetAsEntry() : null;
      if (entry && entry.isDirectory) folders++;
      else dropped.push(f);
    });
    openUpload(dropped, folders);
  });

  function toast(text) {
    const t = $('toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 3000);
  }

  // For tests and the curious.
  cd.files = {
    selection: () => ({ ...selection }),
    upload: (files) => openUpload(files, 0),
    mode: () => mode,
  };
})();
