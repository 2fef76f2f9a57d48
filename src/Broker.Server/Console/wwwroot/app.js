import { api, ApiError, currentKey, describe, forgetKey, keepKey } from "./api.js";
import { h, notice, replace } from "./dom.js";
import { renderKeys } from "./keys.js";
import { renderCredentials } from "./credentials.js";
import { renderAudit } from "./audit.js";
import { renderApprovals } from "./approvals.js";
import { renderIdentity } from "./identity.js";

const pages = { keys: renderKeys, credentials: renderCredentials, audit: renderAudit, approvals: renderApprovals, identity: renderIdentity };
const main = document.getElementById("main");
const nav = document.getElementById("nav");
const signOutButton = document.getElementById("sign-out");

function signOut(message) {
  forgetKey();
  sessionStorage.clear();
  showSignIn(message);
}

function showSignIn(message) {
  nav.hidden = true;
  signOutButton.hidden = true;
  document.title = "Sign in · Broker console";
  const input = h("input", { id: "key", name: "key", type: "password", autocomplete: "off", spellcheck: "false", required: true, placeholder: "brk_…" });
  const status = h("div", { id: "sign-in-status" }, message ? notice("info", message) : null);
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { id: "sign-in", class: "card narrow" },
    h("h1", {}, "Sign in"),
    h("p", {}, "Use an admin, responder or approver key. It stays in this browser tab only and is sent only to this broker."),
    h("label", { for: "key" }, "Key"),
    input,
    button,
    status);
  form.addEventListener("submit", async event => {
    event.preventDefault();
    const key = input.value.trim();
    button.disabled = true;
    try {
      // Listing keys is what admins and responders may do, listing approvals what approvers may: it proves the key before it is kept.
      let landing = "#keys";
      try {
        await api("GET", "/v1/keys", undefined, key);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 403)) {
          throw error;
        }
        await api("GET", "/v1/approvals?status=pending", undefined, key);
        landing = "#approvals";
      }
      input.value = "";
      keepKey(key);
      if (location.hash === landing || (landing === "#keys" && location.hash === "")) {
        route();
      } else {
        location.hash = landing;
      }
    } catch (error) {
      const text = error instanceof ApiError && error.status === 403
        ? "Forbidden: this key is not an admin, responder or approver key."
        : describe(error);
      replace(status, notice("error", text));
    } finally {
      button.disabled = false;
    }
  });
  replace(main, form);
  input.focus();
}

async function route() {
  if (!currentKey()) {
    showSignIn();
    return;
  }
  const name = location.hash.replace(/^#/, "") || "keys";
  const render = pages[name] ?? pages.keys;
  nav.hidden = false;
  signOutButton.hidden = false;
  for (const link of nav.querySelectorAll("a")) {
    link.classList.toggle("current", link.dataset.page === name);
    if (link.dataset.page === name) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
  const page = h("section", { id: `page-${name}`, class: "page" });
  replace(main, page);
  try {
    await render(page);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      signOut("Signed out: the key is no longer accepted (revoked, expired or unknown).");
      return;
    }
    page.append(notice("error", describe(error)));
  }
}

signOutButton.addEventListener("click", () => signOut("Signed out."));
window.addEventListener("hashchange", route);
// A page that lost its key mid-way (a 401 on an action) asks to be signed out through this event.
window.addEventListener("broker:unauthenticated", () => signOut("Signed out: the key is no longer accepted (revoked, expired or unknown)."));
route();
