// mmem's page: search, timelines, people, playback and live updates. Plain JS, no build, no CDN.
"use strict";

const writeToken = (document.querySelector('meta[name="mmem-write-token"]') || {}).content || "";
const state = { sources: [], byUri: {}, people: [], info: {} };
const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const fileUrl = (path) => "/files?path=" + encodeURIComponent(path);
function clock(s) {
  s = Math.max(0, s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = (s % 60).toFixed(1);
  return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + sec.padStart(4, "0");
}
function toast(text) {
  const t = $("#toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 2500);
}

async function api(path, options = {}) {
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const d = body.detail;
    throw new Error(Array.isArray(d) ? d.map((x) => (x.loc || []).join(".") + ": " + x.msg).join("; ") : d || res.statusText);
  }
  return body;
}
const post = (path, body) => api(path, {
  method: "POST", headers: { "content-type": "application/json", "x-mmem-token": writeToken },
  body: JSON.stringify(body),
});

async function loadSources() {
  state.sources = (await api("/api/sources")).sources;
  state.byUri = Object.fromEntries(state.sources.map((s) => [s.uri, s]));
}
async function loadPeople() {
  state.people = (await api("/api/entities")).entities;
}
const personLabel = (p) => p.name || p.id;

// -- playback ----------------------------------------------------------------------------
function play(uri, start) {
  const src = state.byUri[uri];
  const kind = src && src.media === "audio" ? "audio" : "video";
  const box = $("#media-box");
  let media = $("#media");
  const url = fileUrl(uri);
  if (!media || media.tagName.toLowerCase() !== kind || media.dataset.uri !== uri) {
    box.replaceChildren();
    media = el(kind, { id: "media", controls: true, preload: "auto", "data-uri": uri });
    media.src = url;
    box.append(media);
  }
  $("#player").hidden = false;
  $("#now-playing").textContent = (src ? src.name : uri) + " from " + clock(start);
  const seek = () => {
    media.currentTime = start;
    media.play().catch(() => {});
  };
  if (media.readyState >= 1) seek();
  else media.addEventListener("loadedmetadata", seek, { once: true });
}
$("#close-player").addEventListener("click", () => {
  const m = $("#media");
  if (m) m.pause();
  $("#player").hidden = true;
});

// -- search ------------------------------------------------------------------------------
function momentCard(m, i) {
  const src = state.byUri[m.source];
  const people = (m.entities || []).map((e) => el("span", { class: "chip person-chip" }, e.name || e.id));
  return el("li", { class: "moment", "data-event-id": m.event_id, "data-start": m.start },
    m.keyframe ? el("img", { src: fileUrl(m.keyframe), alt: "keyframe", loading: "lazy" })
      : el("div", { class: "thumb no-face" }, src && src.media === "audio" ? "audio" : "no keyframe"),
    el("div", {},
      el("div", { class: "where" }, `#${i + 1} · ${src ? src.name : m.source} · ${clock(m.start)}–${clock(m.end)} · score ${m.score.toFixed(2)}`),
      m.transcript ? el("p", { class: "quote" }, "“" + m.transcript + "”") : null,
      el("div", { class: "people" }, people)),
    el("button", { class: "play primary", type: "button", onclick: () => play(m.source, m.start) }, "▶ Play"));
}

async function search(q) {
  const answer = $("#answer"), list = $("#results");
  answer.textContent = "searching…";
  list.replaceChildren();
  try {
    if (!state.sources.length) await loadSources();
    const res = await api("/api/ask?" + new URLSearchParams({ q, k: 5 }));
    answer.textContent = res.answer;
    list.replaceChildren(...res.moments.map(momentCard));
  } catch (e) {
    answer.textContent = "error: " + e.message;
  }
}
$("#ask").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const q = $("#q").value.trim();
  if (q) search(q);
});

// -- timelines ---------------------------------------------------------------------------
function span(lane, start, end, duration, attrs, text) {
  const left = (100 * start) / duration, width = Math.max(0.3, (100 * (end - start)) / duration);
  const b = el("div", Object.assign({ class: "block", style: `left:${left}%;width:${width}%` }, attrs), text || "");
  lane.append(b);
  return b;
}
function eventBlock(lane, e, duration) {
  const b = span(lane, e.start, e.end, duration,
    { title: `${clock(e.start)}–${clock(e.end)}`, "data-event-id": e.id, onclick: () => play(e.source, e.start) });
  if (e.keyframes && e.keyframes.length) b.style.backgroundImage = `url("${fileUrl(e.keyframes[0])}")`;
  return b;
}

async function renderTimelines() {
  const box = $("#timelines");
  box.replaceChildren(el("p", { class: "muted" }, "loading…"));
  await Promise.all([loadSources(), loadPeople()]);
  const [events, details] = await Promise.all([
    api("/api/events"),
    Promise.all(state.people.map((p) => api("/api/entities/" + encodeURIComponent(p.id)).catch(() => null))),
  ]);
  const out = [];
  for (const s of state.sources) {
    const evs = events.events.filter((e) => e.source === s.uri);
    const duration = Math.max(s.duration || 0, ...evs.map((e) => e.end), 1);
    const lane = el("div", { class: "lane events", "data-label": "events", "data-source": s.uri, "data-duration": duration });
    evs.forEach((e) => eventBlock(lane, e, duration));
    const speech = el("div", { class: "lane speech", "data-label": "speech" });
    const section = el("div", { class: "source", "data-source": s.uri },
      el("h2", {}, `${s.name} · ${clock(duration)} · ${evs.length} events${s.status === "live" ? " · live" : ""}`), lane, speech);
    api("/api/transcript?" + new URLSearchParams({ source: s.id })).then((t) => {
      t.segments.forEach((g) => span(speech, g.start, g.end, duration,
        { title: `${clock(g.start)} ${g.text}`, onclick: () => play(s.uri, g.start) }, g.text));
    }).catch(() => {});
    details.forEach((d, i) => {
      const apps = d ? d.appearances.filter((a) => a.source === s.uri) : [];
      if (!apps.length) return;
      const p = state.people[i];
      const pl = el("div", { class: "lane who", "data-label": personLabel(p) });
      apps.forEach((a) => span(pl, a.start, a.end, duration,
        { title: `${personLabel(p)} (${a.kind}) ${clock(a.start)}`, onclick: () => play(s.uri, a.start) }));
      section.append(pl);
    });
    out.push(section);
  }
  box.replaceChildren(...(out.length ? out : [el("p", { class: "muted" }, "nothing in memory yet: run mmem ingest")]));
}

// -- people ------------------------------------------------------------------------------
async function renderPeople() {
  const box = $("#people");
  await loadPeople();
  const ro = state.info.read_only;
  $("#people-note").textContent = state.people.length ? (ro ? "This memory is served read-only." : "")
    : "No people yet: ingest media with faces or speech.";
  box.replaceChildren(...state.people.map((p) => {
    const others = state.people.filter((o) => o.id !== p.id);
    const nameInput = el("input", { class: "name", value: p.name || "", placeholder: "name", "aria-label": "name " + p.id });
    const mergeSel = el("select", { class: "merge-with", "aria-label": "merge into " + p.id },
      el("option", { value: "" }, "merge…"), others.map((o) => el("option", { value: o.id }, personLabel(o))));
    const act = (fn) => async () => {
      try { await fn(); await renderPeople(); } catch (e) { toast("error: " + e.message); }
    };
    return el("div", { class: "person", "data-id": p.id },
      p.thumbnail ? el("img", { class: "thumb", src: fileUrl(p.thumbnail), alt: personLabel(p) })
        : el("div", { class: "thumb no-face" }, p.kind === "voice" ? "voice only" : "no picture"),
      el("strong", { class: "label" }, personLabel(p)),
      el("span", { class: "muted" }, `${p.id} · ${p.kind} · ${p.appearances} appearances`),
      ro ? null : el("div", { class: "row" }, nameInput, el("button", { class: "save-name", type: "button",
        onclick: act(async () => {
          await post(`/api/entities/${encodeURIComponent(p.id)}/name`, { name: nameInput.value });
          toast(`named ${p.id} ${nameInput.value}`);
        }) }, "Name")),
      ro || !others.length ? null : el("div", { class: "row" }, mergeSel, el("button", { class: "merge", type: "button",
        onclick: act(async () => {
          if (!mergeSel.value) return;
          if (!confirm(`Merge ${mergeSel.value} into ${p.id}? (mmem entities split undoes it)`)) return;
          await post("/api/entities/merge", { keep: p.id, other: mergeSel.value });
        }) }, "Merge")),
      ro ? null : el("button", { class: "forget danger", type: "button",
        onclick: act(async () => {
          if (!confirm(`Forget ${personLabel(p)}? Their face and voice data is deleted for good.`)) return;
          await post(`/api/entities/${encodeURIComponent(p.id)}/forget`, { confirm: true });
          toast(`forgot ${p.id}`);
        }) }, "Forget…"));
  }));
}

// -- live --------------------------------------------------------------------------------
function listen() {
  const live = $("#live");
  const es = new EventSource("/api/live");
  es.addEventListener("hello", () => { live.textContent = "live"; live.classList.add("on"); });
  es.addEventListener("source", (m) => {
    const s = JSON.parse(m.data);
    if (!state.byUri[s.uri]) state.sources.push(s);
    state.byUri[s.uri] = s;
  });
  es.addEventListener("event", (m) => {
    const e = JSON.parse(m.data);
    toast(`new event in ${e.source.split("/").pop()} at ${clock(e.start)}`);
    const lane = document.querySelector(`.lane.events[data-source="${CSS.escape(e.source)}"]`);
    if (lane && e.end <= +lane.dataset.duration) eventBlock(lane, e, +lane.dataset.duration).classList.add("new");
    else if (!$("#view-timeline").hidden) {  // a new source, or one that grew longer: draw again, once
      clearTimeout(listen.redraw);
      listen.redraw = setTimeout(() => renderTimelines().catch(() => {}), 300);
    }
  });
  es.onerror = () => { live.textContent = "live: reconnecting"; live.classList.remove("on"); };
}

// -- views -------------------------------------------------------------------------------
function show() {
  const view = (location.hash || "#search").slice(1).split("/")[0] || "search";
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "view-" + view;
  for (const a of document.querySelectorAll("nav a[data-view]")) a.classList.toggle("active", a.dataset.view === view);
  if (view === "timeline") renderTimelines().catch((e) => toast("error: " + e.message));
  if (view === "people") renderPeople().catch((e) => toast("error: " + e.message));
  if (view === "search") $("#q").focus();
}
window.addEventListener("hashchange", show);
api("/api/info").then((i) => { state.info = i; }).catch(() => {});
loadSources().catch(() => {});
show();
listen();
