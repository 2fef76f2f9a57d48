import { api, ApiError, enc, failed } from "./api.js";
import { grants, h, notice, replace, table, text, time, twoClickButton } from "./dom.js";

export async function renderKeys(page) {
  document.title = "Keys · Broker console";
  const status = h("div", { id: "keys-status" });
  const list = h("div", { id: "keys-list" });
  page.append(h("h1", {}, "Keys"), leakedForm(() => load()), status, list);

  async function load() {
    const answer = await api("GET", "/v1/keys");
    replace(list, table(
      ["Name", "Role", "Tenant", "Prefix", "Status", "Created", "Last used", "Expires", "Grants", ""],
      answer.items.map(key => row(key)),
      "No keys."));
  }

  function row(key) {
    const actions = h("td", { class: "actions" });
    if (key.status === "active") {
      actions.append(revokeButton(key), rotateButton(key));
    }
    return h("tr", { "data-key-id": key.id, "data-key-name": key.name },
      h("td", {}, key.name),
      h("td", {}, key.role),
      h("td", {}, key.tenant),
      h("td", {}, h("code", { class: "prefix" }, key.prefix)),
      h("td", {}, h("span", { class: `status ${key.status}` }, key.status)),
      h("td", {}, time(key.createdAt)),
      h("td", {}, time(key.lastUsedAt)),
      h("td", {}, time(key.expiresAt)),
      h("td", {}, grants(key)),
      actions);
  }

  function revokeButton(key) {
    return twoClickButton("Revoke", "Confirm revoke", async () => {
      try {
        await api("POST", `/v1/keys/${enc(key.id)}/revoke`);
        replace(status, notice("ok", `Revoked ${key.name}.`));
        await load();
      } catch (error) {
        failed(error, status);
      }
    });
  }

  function rotateButton(key) {
    const button = h("button", { type: "button", class: "secondary" }, "Rotate");
    button.addEventListener("click", () => {
      const grace = h("input", { type: "number", min: "0", max: "86400", value: "0", class: "short", "aria-label": "Grace seconds" });
      const go = h("button", { type: "submit" }, "Rotate now");
      const form = h("form", { class: "inline" }, h("label", {}, "Old secret works for ", grace, " s"), go);
      form.addEventListener("submit", async event => {
        event.preventDefault();
        go.disabled = true;
        try {
          const issued = await api("POST", `/v1/keys/${enc(key.id)}/rotate`, { graceSeconds: Number(grace.value) || 0 });
          replace(status, newSecret(issued));
          await load();
        } catch (error) {
          failed(error, status);
          go.disabled = false;
        }
      });
      button.replaceWith(form);
    });
    return button;
  }

  await load();
}

function newSecret(issued) {
  const box = h("div", { class: "notice ok secret", role: "status" },
    h("p", {}, `New secret for ${issued.name}. It is shown once: copy it now.`),
    h("code", { id: "new-secret" }, issued.key));
  const hide = h("button", { type: "button", class: "secondary" }, "Hide");
  hide.addEventListener("click", () => box.remove());
  box.append(hide);
  return box;
}

function leakedForm(reload) {
  const input = h("input", { id: "leaked-key", type: "password", autocomplete: "off", spellcheck: "false", required: true, placeholder: "brk_…" });
  const result = h("div", { id: "leaked-result" });
  const button = h("button", { type: "submit", class: "danger" }, "Revoke leaked key");
  const form = h("form", { id: "revoke-leaked", class: "card" },
    h("h2", {}, "Revoke a leaked key"),
    h("p", {}, "Paste a key value found where it should not be. The broker finds the key it belongs to, revokes it and shows where it was used."),
    h("label", { for: "leaked-key" }, "Leaked value"),
    input,
    button,
    result);
  form.addEventListener("submit", async event => {
    event.preventDefault();
    button.disabled = true;
    const value = input.value.trim();
    // The pasted value never stays on the page.
    input.value = "";
    try {
      const revoked = await api("POST", "/v1/keys/revoke-leaked", { key: value });
      replace(result,
        notice("ok", `Revoked ${revoked.name} (${revoked.role}), ${revoked.id}, at ${time(revoked.revokedAt)}. Last used ${time(revoked.lastUsedAt)}.`),
        h("h3", {}, "Recent use"),
        table(["Time", "Action", "Target", "Outcome", "Reason"], (revoked.recentUse ?? []).map(record => h("tr", {},
          h("td", {}, time(record.time)),
          h("td", {}, record.action),
          h("td", {}, text(record.target)),
          h("td", {}, record.outcome),
          h("td", {}, text(record.reason)))), "No recorded use."));
      await reload();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        replace(result, notice("error", "The value matches no key of this tenant."));
      } else {
        failed(error, result);
      }
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
