// term.js: the terminal page. It connects xterm.js to /ws (internal/wsproto
// describes the protocol), reconnects by itself when the network drops, and
// adds what a browser terminal needs: the key row, copy and paste, OSC 52.
'use strict';

(() => {
  // Message types: the first byte of every binary message (internal/wsproto;
  // web's TestPageSpeaksTheProtocol keeps the two the same).
  const MSG = { input: 0, output: 1, resize: 2, ping: 3, pong: 4, pause: 5, resume: 6, close: 7 };
  const CLOSE_ENDED = 4000; // the student left the workspace
  const CLOSE_SIGNED_OUT = 4001; // the browser session ended
  // Flow control: output written to xterm.js but not yet processed, in bytes.
  const HIGH_WATER = 256 * 1024;
  const LOW_WATER = 32 * 1024;
  const PING_EVERY = 20000;
  const PONG_WITHIN = 10000;
  const BACKOFF = [250, 500, 1000, 2000, 4000, 8000, 15000]; // ms, then 15 s each
  const INPUT_CHUNK = 32 * 1024;

  const encoder = new TextEncoder();
  const $ = (id) => document.getElementById(id);
  const statusEl = $('status');
  const overlay = $('overlay');

  // ---- the terminal ----

  const term = new Terminal({
    fontFamily: getComputedStyle(document.documentElement).getPropertyValue('--mono').trim() || 'monospace',
    fontSize: 15,
    cursorBlink: true,
    macOptionIsMeta: true,
    allowProposedApi: false,
    theme: {
      background: '#0d1117', foreground: '#e6edf3', cursor: '#e6edf3', selectionBackground: '#2f81f766',
      black: '#484f58', red: '#ff7b72', green: '#3fb950', yellow: '#d29922', blue: '#58a6ff',
      magenta: '#bc8cff', cyan: '#39c5cf', white: '#b1bac4', brightBlack: '#6e7681', brightRed: '#ffa198',
      brightGreen: '#56d364', brightYellow: '#e3b341', brightBlue: '#79c0ff', brightMagenta: '#d2a8ff',
      brightCyan: '#56d4dd', brightWhite: '#f0f6fc',
    },
  });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open($('terminal'));
  let renderer = 'dom';
  try {
    const webgl = new WebglAddon.WebglAddon();
    webgl.onContextLoss(() => { webgl.dispose(); renderer = 'dom'; }); // the DOM renderer takes over
    term.loadAddon(webgl);
    renderer = 'webgl';
  } catch (e) {
    // No WebGL here: xterm.js draws with the DOM renderer.
  }
  // Figures (#15): the page lays each figure's PNG over the rows reserved
  // for it (graphics=page on /ws; "figures: the page's overlay" below).
  // The image addon stays for a student who picks iterm2 (ctrl+F4): it
  // draws iTerm2's inline images (OSC 1337), within the server's own limits
  // for a figure (4 MiB, 16 Mpx).
  const graphics = 'page';
  let images = null;
  try {
    images = new ImageAddon.ImageAddon({
      pixelLimit: 16 << 20, iipSizeLimit: 4 << 20, storageLimit: 64, sixelSupport: false,
    });
    term.loadAddon(images);
  } catch (e) {
    images = null;
  }
  fit.fit();
  term.focus();

  // ---- the connection ----

  let ws = null; // the live socket, or null
  let state = 'connecting';
  let attempt = 0; // failed connections in a row
  let retryTimer = 0;
  let pingTimer = 0;
  let pongTimer = 0;
  let pending = 0; // output bytes xterm.js has not processed yet
  let paused = false; // we asked the server to pause output
  let fresh = false; // no output yet on this socket: reset the screen first
  let leaving = false; // the page is being left: do not reconnect
  let closeCode = 0; // why the server said it closes this socket (MSG.close), if it did

  function setStatus(next, detail) {
    state = next;
    statusEl.dataset.state = next;
    const labels = {
      connecting: 'Connecting…',
      connected: 'Connected',
      reconnecting: detail || 'Reconnecting…',
      'signed-out': 'Signed out',
      ended: 'Session ended',
    };
    statusEl.querySelector('.label').textContent = labels[next];
    document.title = (next === 'connected' ? '' : '⟳ ') + document.title.replace(/^⟳ /, '');
  }

  function send(bytes) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(bytes);
  }

  function connect() {
    clearTimeout(retryTimer);
    hideOverlay();
    if (attempt === 0 && state !== 'reconnecting') setStatus('connecting');
    const sock = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws?graphics=' + graphics);
    sock.binaryType = 'arraybuffer';
    ws = sock;
    closeCode = 0;
    sock.onopen = () => {
      if (sock !== ws) return;
      attempt = 0;
      pending = 0;
      paused = false;
      fresh = true;
      sendResize(); // the server waits for the size before it opens the workspace
      setStatus('connected');
      pingTimer = setInterval(ping, PING_EVERY);
    };
    sock.onmessage = (ev) => {
      if (sock === ws) receive(new Uint8Array(ev.data));
    };
    sock.onclose = (ev) => {
      if (sock === ws) dropped(closeCode || ev.code);
    };
  }

  function receive(msg) {
    switch (msg[0]) {
      case MSG.output: {
        if (fresh) {
          // A new session draws the whole screen: start from a clean terminal,
          // in order with what is still queued from the old one.
          term.write('\x1bc');
          fresh = false;
        }
        const data = msg.subarray(1);
        pending += data.length;
        term.write(data, () => {
          pending -= data.length;
          if (paused && pending < LOW_WATER) {
            paused = false;
            send(Uint8Array.of(MSG.resume));
          }
        });
        if (!paused && pending > HIGH_WATER) {
          paused = true;
          send(Uint8Array.of(MSG.pause));
        }
        break;
      }
      case MSG.ping:
        msg[0] = MSG.pong;
        send(msg);
        break;
      case MSG.pong:
        clearTimeout(pongTimer);
        pongTimer = 0;
        break;
      case MSG.close:
        // The close frame says the same, but it can be lost on the way.
        closeCode = (msg[1] << 8) | msg[2];
        break;
    }
  }

  function ping() {
    send(Uint8Array.of(MSG.ping));
    if (!pongTimer) {
      // No answer: the network is gone even if the socket does not know yet.
      pongTimer = setTimeout(() => abandon(), PONG_WITHIN);
    }
  }

  // abandon drops the socket at once (its close may take minutes on a dead network).
  function abandon() {
    const sock = ws;
    if (!sock) return;
    ws = null;
    sock.onclose = null;
    sock.close();
    dropped(1006);
  }

  function dropped(code) {
    ws = null;
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    pongTimer = 0;
    if (leaving) return;
    if (code === CLOSE_SIGNED_OUT) return signedOut();
    if (code === CLOSE_ENDED) return ended();
    retryLater();
  }

  async function retryLater() {
    // Signed out elsewhere (or expired)? Then no retry will help.
    try {
      const res = await fetch('/session', { cache: 'no-store', credentials: 'same-origin' });
      if (res.status === 401) return signedOut();
    } catch (e) {
      // The network is down: keep trying.
    }
    if (leaving || ws) return;
    const delay = BACKOFF[Math.min(attempt, BACKOFF.length - 1)] * (0.8 + Math.random() * 0.4);
    attempt++;
    const offline = navigator.onLine === false;
    setStatus('reconnecting', offline ? 'Offline, waiting for the network…' : 'Reconnecting…');
    retryTimer = setTimeout(connect, offline ? 60000 : delay);
  }

  function signedOut() {
    setStatus('signed-out');
    showOverlay('You are signed out',
      'Your sign-in ended (signed out elsewhere, expired after 12 hours unused, or your password changed). Your files and Python session are safe.',
      'Sign in again', () => { location.href = '/?m=expired'; }, null);
  }

  function ended() {
    setStatus('ended');
    showOverlay('You left the workspace',
      'Your files are saved on the server, and your Python session waits a while for you to come back.',
      'Open the workspace again', () => { attempt = 0; term.reset(); connect(); term.focus(); }, 'Sign out');
  }

  function showOverlay(title, text, primary, onPrimary, secondary) {
    $('overlay-title').textContent = title;
    $('overlay-text').textContent = text;
    const p = $('overlay-primary');
    p.textContent = primary;
    p.onclick = onPrimary;
    const s = $('overlay-secondary');
    s.hidden = !secondary;
    s.textContent = secondary || '';
    s.onclick = (ev) => { ev.preventDefault(); leaving = true; $('logout').submit(); };
    overlay.hidden = false;
    p.focus();
  }

  function hideOverlay() {
    overlay.hidden = true;
  }

  // Come back at once when the network or the tab does.
  window.addEventListener('online', () => { if (state === 'reconnecting') connect(); });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state === 'reconnecting') connect();
  });
  window.addEventListener('pagehide', () => { leaving = true; });
  $('logout').addEventListener('submit', () => { leaving = true; if (ws) ws.close(); });

  // ---- input ----

  function sendInput(text) {
    const bytes = encoder.encode(text);
    for (let i = 0; i < bytes.length; i += INPUT_CHUNK) {
      const chunk = bytes.subarray(i, i + INPUT_CHUNK);
      const msg = new Uint8Array(chunk.length + 1);
      msg[0] = MSG.input;
      msg.set(chunk, 1);
      send(msg);
    }
  }

  let ctrlArmed = false;
  const ctrlButton = document.querySelector('[data-mod="ctrl"]');
  function armCtrl(on) {
    ctrlArmed = on;
    ctrlButton.setAttribute('aria-pressed', String(on));
  }

  // withCtrl turns one typed character into its control code (ctrl+c → ^C).
  function withCtrl(data) {
    if (data.length !== 1) return data;
    const c = data.toUpperCase().charCodeAt(0);
    if (c >= 64 && c <= 95) return String.fromCharCode(c - 64);
    if (data === ' ') return '\x00';
    if (data === '?') return '\x7f';
    return data;
  }

  term.onData((data) => {
    if (ctrlArmed) {
      data = withCtrl(data);
      armCtrl(false);
    }
    sendInput(data);
  });
  term.onBinary((data) => {
    const bytes = Uint8Array.from(data, (ch) => ch.charCodeAt(0) & 0xff);
    const msg = new Uint8Array(bytes.length + 1);
    msg[0] = MSG.input;
    msg.set(bytes, 1);
    send(msg);
  });

  // Copy: ctrl+shift+c (ctrl+c stays ^C for the workspace). Paste:
  // ctrl+shift+v or ctrl+v, which the browser turns into a paste event.
  term.attachCustomKeyEventHandler((ev) => {
    if (ev.type === 'keydown' && ev.ctrlKey && ev.shiftKey && ev.code === 'KeyC') {
      if (term.hasSelection()) copy(term.getSelection());
      ev.preventDefault();
      return false;
    }
    if (ev.type === 'keydown' && ev.ctrlKey && ev.shiftKey && ev.code === 'KeyV') {
      return false; // the browser pastes
    }
    return true;
  });

  // OSC 52: the workspace copies the editor's selection to this clipboard.
  term.parser.registerOscHandler(52, (data) => {
    const b64 = data.slice(data.indexOf(';') + 1);
    if (!b64 || b64 === '?') return true; // reading the clipboard is never allowed
    try {
      const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
      copy(new TextDecoder().decode(bytes));
    } catch (e) {
      // Not base64: ignore it.
    }
    return true;
  });

  function copy(text) {
    const done = () => toast('Copied to your clipboard');
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, () => legacyCopy(text) && done());
    } else if (legacyCopy(text)) {
      done();
    }
  }

  function legacyCopy(text) {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    ta.remove();
    term.focus();
    return ok;
  }

  let toastTimer = 0;
  function toast(text) {
    const t = $('toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 1600);
  }

  // ---- the key row ----

  const KEYS = {
    esc: '\x1b', tab: '\t', f1: '\x1bOP', f2: '\x1bOQ', f3: '\x1bOR', f4: '\x1bOS', f5: '\x1b[15~',
    up: 'A', down: 'B', right: 'C', left: 'D',
  };

  function keySequence(name) {
    const k = KEYS[name];
    if (k.length !== 1 || name === 'esc' || name === 'tab') return k;
    // Arrows: ctrl+arrow, or the application or normal cursor mode's form.
    if (ctrlArmed) return '\x1b[1;5' + k;
    return (term.modes.applicationCursorKeysMode ? '\x1bO' : '\x1b[') + k;
  }

  function press(button) {
    if (button.dataset.mod === 'ctrl') {
      armCtrl(!ctrlArmed);
      return;
    }
    const name = button.dataset.key;
    if (name === 'tab' && ctrlArmed) {
      sendInput('\t');
    } else {
      sendInput(keySequence(name));
    }
    armCtrl(false);
  }

  // Buttons act on press and never take the focus, so a touch keyboard stays
  // open; arrows repeat while held.
  let repeatTimer = 0;
  function stopRepeat() {
    clearTimeout(repeatTimer);
    clearInterval(repeatTimer);
    repeatTimer = 0;
    document.querySelectorAll('.keys .down').forEach((b) => b.classList.remove('down'));
  }
  function startPress(ev) {
    const button = ev.target.closest('button');
    if (!button) return;
    ev.preventDefault();
    stopRepeat();
    button.classList.add('down');
    press(button);
    if (['up', 'down', 'left', 'right'].includes(button.dataset.key)) {
      repeatTimer = setTimeout(() => { repeatTimer = setInterval(() => press(button), 60); }, 400);
    }
    term.focus();
  }
  const keys = $('keys');
  keys.addEventListener('mousedown', startPress);
  keys.addEventListener('touchstart', startPress, { passive: false });
  ['mouseup', 'mouseleave', 'touchend', 'touchcancel'].forEach((e) => keys.addEventListener(e, stopRepeat));
  keys.addEventListener('click', (ev) => {
    // Keyboard activation (Enter or Space on a focused button) only.
    const button = ev.target.closest('button');
    if (button && ev.detail === 0) { press(button); term.focus(); }
  });

  // ---- size ----

  function sendResize() {
    const { cols, rows } = term;
    if (cols < 1 || rows < 1) return; // never 0x0
    const msg = new Uint8Array(5);
    const view = new DataView(msg.buffer);
    msg[0] = MSG.resize;
    view.setUint16(1, cols);
    view.setUint16(3, rows);
    send(msg);
  }
  term.onResize(sendResize);
  let fitFrame = 0;
  new ResizeObserver(() => {
    cancelAnimationFrame(fitFrame);
    fitFrame = requestAnimationFrame(() => fit.fit());
  }).observe($('terminal'));

  // ---- figures: a click opens the PNG in a tab of its own ----

  // The Python pane names each figure on the line after its picture:
  // "[figure saved: ~/figures/NAME-N.png]" (python/classroomd_figures.py).
  const FIGURE_NAME = /~\/(figures\/[A-Za-z0-9_.-]+\.png)\b/g;
  const FIGURE_SAVED = /\[figure saved: ~\/(figures\/[A-Za-z0-9_.-]+\.png)\]/;

  // A professor's live view names the student it shows in its title row
  // (internal/tui/console/liveview): their figures are in that student's
  // home, which the professor's file transfers see at students/NAME.
  const WATCHED = /(?:^| )(?:Watching ([a-z][a-z0-9._-]{0,31}) \(they see it\)|You are typing in ([a-z][a-z0-9._-]{0,31})'s )/;

  function watchedStudent() {
    const buf = term.buffer.active;
    for (let y = 0; y < term.rows; y++) {
      const line = buf.getLine(buf.viewportY + y);
      const m = line && WATCHED.exec(line.translateToString(true));
      if (m) return m[1] || m[2];
    }
    return '';
  }

  function figureURL(rel) {
    return '/files/download?inline=1&path=' + encodeURIComponent(rel);
  }

  function openFigure(rel) {
    const who = watchedStudent();
    window.open(figureURL(who ? 'students/' + who + '/' + rel : rel), '_blank', 'noopener');
  }

  // The named path is a link (it is text: the workspace names it whatever
  // the terminal can draw).
  term.registerLinkProvider({
    provideLinks(y, callback) {
      const line = term.buffer.active.getLine(y - 1);
      if (!line) return callback(undefined);
      const text = line.translateToString(true);
      const links = [];
      for (const m of text.matchAll(FIGURE_NAME)) {
        // Cells and characters line up here: the names are ASCII, and
        // nothing wide comes before them on the pane's line in practice.
        links.push({
          range: { start: { x: m.index + 1, y }, end: { x: m.index + m[0].length, y } },
          text: m[0],
          activate: () => openFigure(m[1]),
        });
      }
      callback(links.length ? links : undefined);
    },
  });

  // ---- figures: the page's overlay ----

  // The workspace says where each figure lies with a private OSC
  // (internal/tui/figure/page.go):
  //   7709;clear                                     no figure shown
  //   7709;place;COL;ROW;COLS;ROWS;VERSION;figures/NAME.png
  // and the page lays an <img> of the PNG over that box of cells: the
  // file at its own resolution (matplotlib saves it for a screen of 2
  // device pixels a CSS pixel), fetched once per version and moved, not
  // sent again, as the pane scrolls. A professor's live view fetches it
  // from the watched student's home. The images let the mouse through to
  // the terminal (the click handler below opens them).
  const FIGURE_REL = /^figures\/[^/\\]+\.png$/;
  const FIGURES_KEPT = 16;
  const figureLayer = document.createElement('div');
  figureLayer.className = 'figure-layer';
  term.element.querySelector('.xterm-screen').appendChild(figureLayer);
  const figureImgs = new Map(); // url + version → <img>, oldest first
  let placed = []; // { img, rel, col, row, cols, rows }

  function layoutFigure(p) {
    const s = p.img.style;
    s.left = (100 * p.col / term.cols) + '%';
    s.top = (100 * p.row / term.rows) + '%';
    s.width = (100 * p.cols / term.cols) + '%';
    s.height = (100 * p.rows / term.rows) + '%';
  }

  function clearFigures() {
    for (const p of placed) p.img.hidden = true;
    placed = [];
  }

  function figureImg(url, version) {
    const key = version + ' ' + url;
    let img = figureImgs.get(key);
    if (img) {
      figureImgs.delete(key); // most recently used last
    } else {
      img = document.createElement('img');
      img.className = 'figure';
      img.alt = '';
      img.decoding = 'async';
      img.draggable = false;
      img.src = url;
      figureLayer.appendChild(img);
      for (const [k, old] of figureImgs) {
        if (figureImgs.size < FIGURES_KEPT) break;
        if (placed.some((p) => p.img === old)) continue;
        old.remove();
        figureImgs.delete(k);
      }
    }
    figureImgs.set(key, img);
    return img;
  }

  term.parser.registerOscHandler(7709, (data) => {
    const f = data.split(';');
    if (f[0] === 'clear') {
      clearFigures();
      return true;
    }
    if (f[0] !== 'place' || f.length < 7) return true;
    const [col, row, cols, rows] = f.slice(1, 5).map((v) => parseInt(v, 10));
    const version = f[5];
    const rel = f.slice(6).join(';');
    if (!FIGURE_REL.test(rel) || rel.includes('..') || ![col, row, cols, rows].every((v) => v >= 0 && v <= 4096) || cols < 1 || rows < 1) return true;
    const who = watchedStudent();
    const img = figureImg(figureURL(who ? 'students/' + who + '/' + rel : rel), version);
    const p = { img, rel, col, row, cols, rows };
    placed = placed.filter((q) => q.img !== img);
    placed.push(p);
    layoutFigure(p);
    img.hidden = false;
    return true;
  });
  // A redraw of the whole screen (a resize, the alternate screen, a reset)
  // comes with no clear of its own: the figures go with the cells.
  term.parser.registerCsiHandler({ final: 'J' }, (params) => { if (params[0] >= 2) clearFigures(); return false; });
  term.parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => { if ([47, 1047, 1049].includes(params[0])) clearFigures(); return false; });
  term.parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => { if ([47, 1047, 1049].includes(params[0])) clearFigures(); return false; });
  term.parser.registerEscHandler({ final: 'c' }, () => { clearFigures(); return false; });
  term.onResize(() => placed.forEach(layoutFigure));

  // placedAt is the overlay figure covering screen cell (col, row).
  function placedAt(col, row) {
    return placed.find((p) => col >= p.col && col < p.col + p.cols && row >= p.row && row < p.row + p.rows);
  }

  // figureAt names the figure whose picture covers the buffer cell (x, y):
  // the overlay's, or for the image addon's the first "[figure saved: ...]"
  // line below it (a picture has at most 20 rows in the pane).
  function figureAt(x, y) {
    const p = placedAt(x, y - term.buffer.active.viewportY);
    if (p) return p.rel;
    if (!images || !images.getImageAtBufferCell(x, y)) return '';
    const buf = term.buffer.active;
    for (let i = y; i < Math.min(buf.length, y + 24); i++) {
      const line = buf.getLine(i);
      if (!line) break;
      const m = FIGURE_SAVED.exec(line.translateToString(true));
      if (m) return m[1];
    }
    return '';
  }

  // bufferCell is the buffer cell under a mouse event.
  function bufferCell(ev) {
    const screen = term.element && term.element.querySelector('.xterm-screen');
    if (!screen) return null;
    const r = screen.getBoundingClientRect();
    const col = Math.floor((ev.clientX - r.left) / (r.width / term.cols));
    const row = Math.floor((ev.clientY - r.top) / (r.height / term.rows));
    if (col < 0 || row < 0 || col >= term.cols || row >= term.rows) return null;
    return { x: col, y: term.buffer.active.viewportY + row };
  }

  // Clicks on a picture open it (the workspace gets the click too: it only
  // moves the focus to the Python pane).
  $('terminal').addEventListener('click', (ev) => {
    const cell = bufferCell(ev);
    const rel = cell && figureAt(cell.x, cell.y);
    if (rel) openFigure(rel);
  }, true);

  // ---- for tests and the curious ----

  window.classroomd = {
    term,
    state: () => state,
    renderer: () => renderer,
    graphics: () => graphics,
    images: () => images,
    // figures describes the overlay's figures on the screen: each one's
    // box in page pixels and the PNG's own size.
    figures: () => placed.map((p) => {
      const r = p.img.getBoundingClientRect();
      return { rel: p.rel, src: p.img.src, col: p.col, row: p.row, cols: p.cols, rows: p.rows,
        x: r.left, y: r.top, width: r.width, height: r.height, complete: p.img.complete,
        naturalWidth: p.img.naturalWidth, naturalHeight: p.img.naturalHeight, dpr: window.devicePixelRatio };
    }),
    figureAt,
    figureURL,
    // text returns the screen as lines of plain text.
    text: () => {
      const buf = term.buffer.active;
      const lines = [];
      for (let y = 0; y < term.rows; y++) {
        const line = buf.getLine(buf.viewportY + y);
        lines.push(line ? line.translateToString(true) : '');
      }
      return lines.join('\n');
    },
  };

  connect();
})();
