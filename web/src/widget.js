// The stalking triage chat widget.
//
// Safety rules this file keeps:
// - everything the person or the bot writes is shown as text (textContent), never HTML;
// - the conversation lives in sessionStorage only (gone when the tab closes) and
//   nothing is written to localStorage, cookies or IndexedDB;
// - quick exit (button, or Shift pressed three times) clears what the widget stored,
//   disconnects, and replaces the page so Back does not return to it.
import { io } from "socket.io-client";

const STORE_KEY = "stalking-triage-chat";
const SHIFT_PRESSES = 3;
const SHIFT_WINDOW_MS = 2000;

const root = document.querySelector("[data-triage-chat]");
const log = root.querySelector("[data-log]");
const form = root.querySelector("[data-form]");
const input = root.querySelector("[data-input]");
const exitButton = document.querySelector("[data-quick-exit]");
const clearButton = root.querySelector("[data-clear]");
const status = root.querySelector("[data-status]");
const exitUrl = exitButton.dataset.exitUrl || "https://www.bbc.co.uk/weather";

let numbers = [];
let socket = null;
let state = loadState();

function loadState() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE_KEY));
    if (saved && Array.isArray(saved.messages)) return saved;
  } catch (error) {
    // A damaged entry is dropped: start a new conversation.
  }
  return { sessionId: null, messages: [] };
}

function saveState() {
  sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
}

// ---- quick exit -----------------------------------------------------------

function quickExit() {
  try {
    sessionStorage.clear();
    if (socket) socket.disconnect();
  } finally {
    document.body.textContent = "";
    window.location.replace(exitUrl);
  }
}

exitButton.addEventListener("click", quickExit);

let shiftTimes = [];
document.addEventListener("keydown", (event) => {
  if (event.key !== "Shift" || event.repeat) return;
  const now = Date.now();
  shiftTimes = shiftTimes.filter((t) => now - t < SHIFT_WINDOW_MS);
  shiftTimes.push(now);
  if (shiftTimes.length >= SHIFT_PRESSES) quickExit();
});

// ---- rendering ------------------------------------------------------------

function digits(phone) {
  return phone.replace(/[^0-9]/g, "");
}

// Splits text into strings and {phone} pieces for every number the knowledge file knows.
function withPhoneLinks(text) {
  const phones = numbers
    .flatMap((s) => [s.phone, s.textphone])
    .filter(Boolean)
    .sort((a, b) => b.length - a.length);
  if (!phones.length) return [text];
  const escaped = phones.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<![0-9])(${escaped.join("|")})(?![0-9])`, "g");
  const pieces = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    pieces.push(text.slice(last, match.index), { phone: match[0] });
    last = match.index + match[0].length;
  }
  pieces.push(text.slice(last));
  return pieces.filter((p) => p !== "");
}

function mentions(text, number) {
  return Boolean(number) && new RegExp(`(?<![0-9])${number}(?![0-9])`).test(text);
}

// The emergency advice: the emergency number together with the Silent Solution code
// (a passing "call 999" in the introduction is not highlighted).
function isEmergency(text) {
  const emergency = numbers.filter((s) => s.emergency);
  return (
    emergency.some((s) => mentions(text, s.phone)) && emergency.some((s) => mentions(text, s.silent_code))
  );
}

function renderMessage(message) {
  const item = document.createElement("div");
  item.className = `message message--${message.from}`;
  const who = document.createElement("span");
  who.className = "visually-hidden";
  who.textContent = message.from === "bot" ? "Chat says: " : "You said: ";
  item.append(who);
  if (message.from === "bot" && isEmergency(message.text)) {
    item.classList.add("message--emergency");
    item.setAttribute("role", "alert"); // announced at once, not after the queue
    const label = document.createElement("strong");
    label.className = "message__label";
    label.textContent = "Emergency";
    item.append(label);
  }
  const body = document.createElement("p");
  for (const piece of message.from === "bot" ? withPhoneLinks(message.text) : [message.text]) {
    if (typeof piece === "string") {
      body.append(document.createTextNode(piece));
    } else {
      const link = document.createElement("a");
      link.href = `tel:${digits(piece.phone)}`;
      link.className = "phone";
      link.textContent = piece.phone;
      body.append(link);
    }
  }
  item.append(body);
  log.append(item);
  return item;
}

function renderButtons(buttons) {
  const group = document.createElement("div");
  group.className = "quick-replies";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Suggested answers");
  for (const button of buttons) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "quick-reply";
    element.textContent = button.title;
    element.addEventListener("click", () => {
      group.remove();
      send(button.payload, button.title);
    });
    group.append(element);
  }
  log.append(group);
}

function scrollToEnd() {
  log.scrollTop = log.scrollHeight;
}

// Turning a phone or resizing keeps the latest message (often the emergency advice) in view.
window.addEventListener("resize", scrollToEnd);

function addBotMessage(data) {
  if (typeof data.text === "string" && data.text.trim()) {
    const message = { from: "bot", text: data.text };
    state.messages.push(message);
    renderMessage(message);
  }
  const buttons = Array.isArray(data.quick_replies) ? data.quick_replies : [];
  log.querySelectorAll(".quick-replies").forEach((old) => old.remove());
  if (buttons.length) renderButtons(buttons.filter((b) => b && b.title && b.payload));
  saveState();
  scrollToEnd();
}

// ---- conversation ---------------------------------------------------------

function send(payload, shown) {
  const text = (shown || payload).trim();
  if (!socket || !payload.trim()) return;
  const message = { from: "user", text };
  state.messages.push(message);
  renderMessage(message);
  saveState();
  scrollToEnd();
  socket.emit("user_uttered", { message: payload, session_id: state.sessionId });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  send(text);
  input.focus();
});

clearButton.addEventListener("click", () => {
  sessionStorage.removeItem(STORE_KEY);
  state = { sessionId: null, messages: [] };
  log.textContent = "";
  if (socket) socket.disconnect();
  connect();
  input.focus();
});

function setStatus(text) {
  status.textContent = text;
}

function connect() {
  socket = io(window.location.origin, { path: "/socket.io", transports: ["websocket"] });
  socket.on("connect", () => {
    setStatus("");
    socket.emit("session_request", { session_id: state.sessionId });
  });
  socket.on("session_confirm", (sessionId) => {
    const isNew = sessionId !== state.sessionId;
    state.sessionId = sessionId;
    saveState();
    if (isNew && state.messages.length === 0) {
      socket.emit("user_uttered", { message: "/greet", session_id: sessionId });
    }
  });
  socket.on("bot_uttered", addBotMessage);
  socket.on("connect_error", () =>
    setStatus(`The chat can't connect at the moment. If you are in danger, call ${root.dataset.emergency}.`),
  );
}

async function start() {
  try {
    const answer = await fetch(root.dataset.servicesUrl, { credentials: "omit", cache: "no-store" });
    numbers = await answer.json();
  } catch (error) {
    numbers = [];
  }
  state.messages.forEach(renderMessage);
  scrollToEnd();
  connect();
}

start();
