// The page works without this script (every form posts and the page comes
// back); with it, forms post in place and an event stream keeps the messages
// and the clock current.
"use strict";
(() => {
  const list = document.getElementById("messages");
  const flash = document.getElementById("flash");
  const clock = document.getElementById("clock");
  const jump = document.getElementById("jump-note");

  // update brings the list to the server's rendering message by message: a
  // message that did not change keeps its element, so a button being pressed
  // or focused is not swapped out from under the member.
  function update(html) {
    const next = document.createElement("template");
    next.innerHTML = html;
    const fresh = [...next.content.children];
    if (fresh.some((li) => !li.id)) { list.replaceChildren(...fresh); return; }
    const old = new Map([...list.children].map((li) => [li.id, li]));
    let at = list.firstElementChild;
    for (const li of fresh) {
      const have = old.get(li.id);
      old.delete(li.id);
      if (have && have.outerHTML === li.outerHTML) {
        if (have === at) at = at.nextElementSibling;
        else list.insertBefore(have, at);
        continue;
      }
      if (have) {
        if (have === at) at = at.nextElementSibling;
        have.remove();
      }
      list.insertBefore(li, at);
    }
    for (const li of old.values()) li.remove();
  }

  let busy = false, again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
      const r = await fetch(list.dataset.src, { cache: "no-store" });
      if (r.ok) {
        const active = document.activeElement;
        const key = active && active.closest("li.message") && active.name === "custom_id"
          ? [active.closest("li.message").id, active.value] : null;
        update(await r.text());
        if (key && !list.contains(active)) {
          const back = document.querySelector(`#${key[0]} button[value="${CSS.escape(key[1])}"]`);
          if (back) back.focus();
        }
        if (atEnd) list.scrollTop = list.scrollHeight;
      }
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  const events = new EventSource("/events");
  // A page left open in the back/forward cache would keep its stream, and a
  // browser opens only six connections to one host: after a few views, a
  // click would wait for a free one. Close it when the page goes; a page
  // shown again from the cache reloads to be current.
  addEventListener("pagehide", () => events.close());
  addEventListener("pageshow", (e) => { if (e.persisted) location.reload(); });
  events.addEventListener("change", (e) => {
    const state = JSON.parse(e.data);
    clock.textContent = state.clock;
    jump.textContent = state.note || "";
    refresh();
  });

  document.getElementById("as").addEventListener("change", (e) => e.target.form.submit());
  const cmd = document.getElementById("cmd");
  if (cmd) cmd.addEventListener("change", () => { if (cmd.value.trim()) cmd.form.submit(); });

  document.addEventListener("submit", async (e) => {
    const form = e.target;
    if (!form.hasAttribute("data-async")) return;
    e.preventDefault();
    const body = new URLSearchParams(new FormData(form, e.submitter));
    flash.textContent = "";
    form.setAttribute("aria-busy", "true");
    try {
      const r = await fetch(form.action, { method: "POST", body, headers: { "X-Sandbox-Fetch": "1" } });
      if (!r.ok) flash.textContent = await r.text();
      else if (form.hasAttribute("data-reset")) form.reset();
    } catch (err) {
      flash.textContent = "The sandbox did not answer: " + err.message;
    } finally {
      form.removeAttribute("aria-busy");
      refresh();
    }
  });

  // The bot's own autocomplete answers, asked as the member types.
  for (const input of document.querySelectorAll("input[data-autocomplete]")) {
    let timer;
    const ask = async () => {
      const params = new URLSearchParams(new FormData(input.form));
      for (const [k, v] of new URLSearchParams(location.search)) if (k === "as" || k === "ch") params.set(k, v);
      params.set("focus", input.name.replace(/^opt-/, ""));
      const r = await fetch("/autocomplete?" + params);
      if (!r.ok) return;
      const options = (await r.json()).map((c) => {
        const o = document.createElement("option");
        o.value = c.value;
        o.textContent = c.name;
        return o;
      });
      document.getElementById(input.getAttribute("list")).replaceChildren(...options);
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(ask, 120); });
    input.addEventListener("focus", ask);
  }

  list.scrollTop = list.scrollHeight;
})();
